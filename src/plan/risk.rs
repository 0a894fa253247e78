//! Risk handling (R31): credit, market, operating and legal risk signals graded into
//! levels by the config's first-match list of conditions, each level with the
//! restrictions it implies. The planner applies them and names the level and the
//! restriction when they suppress an action.

use serde::{Deserialize, Serialize};

use crate::plan::config::Restriction;
use crate::rules::{Field, FieldId, Fields, Program, RuleError, Schema, ValueRef};

/// One customer's risk signals, as scores the host computes (a missing signal is
/// unknown: a condition reading it does not match).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RiskSignals {
    /// Credit risk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<f64>,
    /// Market risk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<f64>,
    /// Operating risk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operating: Option<f64>,
    /// Legal risk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal: Option<f64>,
}

impl RiskSignals {
    /// Signals with only a credit score.
    pub fn credit(score: f64) -> RiskSignals {
        RiskSignals {
            credit: Some(score),
            ..RiskSignals::default()
        }
    }
}

impl Fields for RiskSignals {
    fn value(&self, field: FieldId) -> Option<ValueRef<'_>> {
        match field.index() {
            0 => self.credit,
            1 => self.market,
            2 => self.operating,
            3 => self.legal,
            _ => None,
        }
        .map(ValueRef::Number)
    }
}

/// The schema risk conditions are written over: `credit`, `market`, `operating`,
/// `legal`, in this order (the order [`RiskSignals`]' [`Fields`] reads).
pub(crate) fn risk_schema() -> Result<Schema, RuleError> {
    Schema::from_fields(
        ["credit", "market", "operating", "legal"]
            .into_iter()
            .map(|name| Field::number(name).optional()),
    )
}

/// A compiled risk level.
#[derive(Clone, Debug)]
pub(crate) struct RiskLevel {
    pub(crate) name: String,
    pub(crate) condition: Program,
    pub(crate) restrictions: Vec<Restriction>,
}

impl RiskLevel {
    pub(crate) fn restricts(&self, restriction: Restriction) -> bool {
        self.restrictions.contains(&restriction)
    }
}

impl Restriction {
    /// The serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            Restriction::NoCoupons => "no_coupons",
            Restriction::NoCreditTerms => "no_credit_terms",
            Restriction::NoMarketing => "no_marketing",
            Restriction::ManualReview => "manual_review",
        }
    }
}
