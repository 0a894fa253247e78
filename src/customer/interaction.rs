//! Interactions: browsing, logins, service contacts, message events.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::CustomerId;
use crate::customer::RecordRef;

/// What kind of interaction (R3).
///
/// Serialises in snake case (`"add_to_cart"`, `"message_opened"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InteractionKind {
    /// Viewed a product or page.
    Browse,
    /// Added a product to favourites (收藏).
    Favorite,
    /// Added a product to the cart (加购).
    AddToCart,
    /// Logged in (site, app or mini-program).
    Login,
    /// Asked a question (pre- or after-sales inquiry).
    Inquiry,
    /// Filed a complaint.
    Complaint,
    /// Made a suggestion.
    Suggestion,
    /// Answered a survey.
    SurveyResponse,
    /// A message from the company was delivered.
    MessageReceived,
    /// A message from the company was opened.
    MessageOpened,
    /// A link in a message from the company was clicked.
    MessageClicked,
}

impl InteractionKind {
    /// The number of kinds.
    pub const COUNT: usize = 11;

    /// Every kind, in declaration order (the order of [`InteractionKind::index`]).
    pub const ALL: [InteractionKind; InteractionKind::COUNT] = [
        InteractionKind::Browse,
        InteractionKind::Favorite,
        InteractionKind::AddToCart,
        InteractionKind::Login,
        InteractionKind::Inquiry,
        InteractionKind::Complaint,
        InteractionKind::Suggestion,
        InteractionKind::SurveyResponse,
        InteractionKind::MessageReceived,
        InteractionKind::MessageOpened,
        InteractionKind::MessageClicked,
    ];

    /// The kind's position in [`InteractionKind::ALL`], `0..COUNT`.
    pub fn index(self) -> usize {
        match self {
            InteractionKind::Browse => 0,
            InteractionKind::Favorite => 1,
            InteractionKind::AddToCart => 2,
            InteractionKind::Login => 3,
            InteractionKind::Inquiry => 4,
            InteractionKind::Complaint => 5,
            InteractionKind::Suggestion => 6,
            InteractionKind::SurveyResponse => 7,
            InteractionKind::MessageReceived => 8,
            InteractionKind::MessageOpened => 9,
            InteractionKind::MessageClicked => 10,
        }
    }

    /// The serde name, e.g. `add_to_cart`.
    pub fn as_str(self) -> &'static str {
        match self {
            InteractionKind::Browse => "browse",
            InteractionKind::Favorite => "favorite",
            InteractionKind::AddToCart => "add_to_cart",
            InteractionKind::Login => "login",
            InteractionKind::Inquiry => "inquiry",
            InteractionKind::Complaint => "complaint",
            InteractionKind::Suggestion => "suggestion",
            InteractionKind::SurveyResponse => "survey_response",
            InteractionKind::MessageReceived => "message_received",
            InteractionKind::MessageOpened => "message_opened",
            InteractionKind::MessageClicked => "message_clicked",
        }
    }

    /// Whether the kind shows interest in buying (browse, favorite, add-to-cart): what
    /// makes a non-buyer *Potential* (SPEC §8).
    pub fn shows_interest(self) -> bool {
        matches!(
            self,
            InteractionKind::Browse | InteractionKind::Favorite | InteractionKind::AddToCart
        )
    }
}

impl fmt::Display for InteractionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One interaction of a customer, at an instant.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{CustomerId, Interaction, InteractionKind};
///
/// let at = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().ok_or("bad date")?;
/// let login = Interaction::new(CustomerId(9), InteractionKind::Login, at);
/// assert_eq!(serde_json::to_string(&login)?,
///     r#"{"customer":9,"kind":"login","at":"2024-05-01T10:00:00Z"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interaction {
    /// Who interacted.
    pub customer: CustomerId,
    /// What they did.
    pub kind: InteractionKind,
    /// When.
    pub at: DateTime<Utc>,
}

impl Interaction {
    /// An interaction.
    pub fn new(customer: CustomerId, kind: InteractionKind, at: DateTime<Utc>) -> Interaction {
        Interaction { customer, kind, at }
    }

    /// The record reference used in error messages.
    pub fn record(&self) -> RecordRef {
        RecordRef::Interaction {
            customer: self.customer,
        }
    }
}
