//! Contact channels and per-channel consent.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A channel through which the company can reach a customer.
///
/// Serialises in snake case: `"sms"`, `"email"`, `"app_push"`, `"wechat"`, `"phone"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Channel {
    /// Text message.
    Sms,
    /// E-mail.
    Email,
    /// A push notification of the company's app.
    AppPush,
    /// WeChat (official account, mini-program or work WeChat message).
    #[serde(rename = "wechat")]
    WeChat,
    /// A phone call.
    Phone,
}

impl Channel {
    /// Every channel, in declaration order.
    pub const ALL: [Channel; 5] = [
        Channel::Sms,
        Channel::Email,
        Channel::AppPush,
        Channel::WeChat,
        Channel::Phone,
    ];

    /// The serde name, e.g. `app_push`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::AppPush => "app_push",
            Channel::WeChat => "wechat",
            Channel::Phone => "phone",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the customer agreed to be contacted on a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConsentState {
    /// The customer agreed.
    OptedIn,
    /// The customer refused or withdrew; this is absolute for marketing and care.
    OptedOut,
}

/// The customer's consent on one channel: the state, since when, and why.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::Consent; use patronage::customer::ConsentState;
///
/// let at = Utc.with_ymd_and_hms(2024, 3, 1, 8, 0, 0).single().ok_or("bad date")?;
/// let consent = Consent::opted_out(at, Some("replied TD".to_owned()));
/// assert_eq!(consent.state, ConsentState::OptedOut);
/// assert!(!consent.allows_contact());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// Opted in or out.
    pub state: ConsentState,
    /// When the customer gave or withdrew consent.
    pub at: DateTime<Utc>,
    /// Why, as the host records it (e.g. `"unsubscribe link"`, `"replied TD"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Consent {
    /// Consent given at `at`.
    pub fn opted_in(at: DateTime<Utc>) -> Consent {
        Consent {
            state: ConsentState::OptedIn,
            at,
            reason: None,
        }
    }

    /// Consent withdrawn at `at`, with an optional reason.
    pub fn opted_out(at: DateTime<Utc>, reason: Option<String>) -> Consent {
        Consent {
            state: ConsentState::OptedOut,
            at,
            reason,
        }
    }

    /// Whether this consent allows contact.
    pub fn allows_contact(&self) -> bool {
        self.state == ConsentState::OptedIn
    }
}
