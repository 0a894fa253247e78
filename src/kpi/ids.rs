//! The vocabulary of the KPI inputs — ids of cases, staff and survey responses, the
//! survey scales, case kinds and SLA metrics — below every other file of the module, so
//! that errors, values and tallies can all name them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The id of a service case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseId(pub u64);

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The id of a staff member: a service agent or an operator who looks after customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StaffId(pub u64);

impl fmt::Display for StaffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a case is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CaseKind {
    /// A question (product, order, other).
    Inquiry,
    /// Return, exchange, repair.
    AfterSales,
    /// A complaint.
    Complaint,
    /// A suggestion, adopted or not.
    Suggestion,
    /// Feedback (urgent, general, improvement), which may lead to an optimisation.
    Feedback,
}

/// An SLA metric a case was measured against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SlaMetric {
    /// Time to the first public response.
    FirstResponse,
    /// Time to each following response.
    NextResponse,
    /// Time to resolution.
    Resolution,
}

impl SlaMetric {
    /// Every metric, in report order.
    pub const ALL: [SlaMetric; 3] = [
        SlaMetric::FirstResponse,
        SlaMetric::NextResponse,
        SlaMetric::Resolution,
    ];

    /// `first_response`, `next_response`, `resolution`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SlaMetric::FirstResponse => "first_response",
            SlaMetric::NextResponse => "next_response",
            SlaMetric::Resolution => "resolution",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            SlaMetric::FirstResponse => 0,
            SlaMetric::NextResponse => 1,
            SlaMetric::Resolution => 2,
        }
    }
}

/// The id of a survey response, unique among responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResponseId(pub u64);

impl fmt::Display for ResponseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The scale of a survey question.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scale {
    /// Customer satisfaction, 1 (very unsatisfied) to 5 (very satisfied).
    Csat,
    /// Net promoter: "how likely are you to recommend us", 0 to 10.
    Nps,
    /// Customer effort (CES 2.0): "made it easy for me", 1 (strongly disagree) to 7.
    Ces,
}

impl Scale {
    /// The lowest and highest score, both inclusive.
    pub fn range(&self) -> (u8, u8) {
        match self {
            Scale::Csat => (1, 5),
            Scale::Nps => (0, 10),
            Scale::Ces => (1, 7),
        }
    }

    /// `csat`, `nps`, `ces`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Scale::Csat => "csat",
            Scale::Nps => "nps",
            Scale::Ces => "ces",
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
