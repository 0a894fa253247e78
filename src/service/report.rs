//! The root-cause report: complaints tallied by category and cause.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::service::{CaseType, Cases};

/// A half-open period of instants, `[from, to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    /// The first instant in the period.
    pub from: DateTime<Utc>,
    /// The first instant after it.
    pub to: DateTime<Utc>,
}

/// One row of the root-cause report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RootCause {
    /// The complaint category.
    pub category: String,
    /// The root cause given at resolution (`None`: not resolved, or no cause given).
    pub cause: Option<String>,
    /// Complaints opened in the period with this category and cause.
    pub count: u64,
    /// `count` over all complaints opened in the period.
    pub share: f64,
    /// Complaints with this category and cause opened in the previous period.
    pub previous: u64,
    /// `count − previous`.
    pub change: i64,
}

impl Period {
    /// The period `[from, to)`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Period {
        Period { from, to }
    }

    /// Whether `at` is in the period.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.to
    }
}

/// Complaints opened in `period`, tallied by category and root cause, most
/// frequent first (ties by category, then cause, with no cause last), each with its
/// share and its change against `previous` (a row appears when it has complaints in
/// either period). Causes are the ones known at the cases' `as_of`.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::service::{root_causes, CaseEvent, Period, ServiceDoc, ServicePolicy};
///
/// let policy = ServicePolicy::compile(&ServiceDoc::reference())?;
/// let events: Vec<CaseEvent> = serde_json::from_str(r#"[
///     {"id": 1, "case": 1, "at": "2024-03-01T10:00:00Z", "event": "opened", "customer": 7,
///      "type": {"kind": "complaint", "category": "logistics_delay", "severity": "minor"}},
///     {"id": 2, "case": 1, "at": "2024-03-01T12:00:00Z", "event": "resolve", "cause": "carrier"},
///     {"id": 3, "case": 2, "at": "2024-02-10T10:00:00Z", "event": "opened", "customer": 8,
///      "type": {"kind": "complaint", "category": "logistics_delay", "severity": "minor"}},
///     {"id": 4, "case": 2, "at": "2024-02-10T12:00:00Z", "event": "resolve", "cause": "carrier"}
/// ]"#)?;
/// let day = |m, d| Utc.with_ymd_and_hms(2024, m, d, 0, 0, 0).single().ok_or("date");
/// let cases = policy.replay(&events, day(4, 1)?)?;
/// let report = root_causes(&cases, Period::new(day(3, 1)?, day(4, 1)?), Period::new(day(2, 1)?, day(3, 1)?));
/// assert_eq!(report.len(), 1);
/// assert_eq!((report[0].category.as_str(), report[0].cause.as_deref()), ("logistics_delay", Some("carrier")));
/// assert_eq!((report[0].count, report[0].previous, report[0].change), (1, 1, 0));
/// assert_eq!(report[0].share, 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn root_causes(cases: &Cases, period: Period, previous: Period) -> Vec<RootCause> {
    // Key: (category, no-cause flag so that `None` sorts last, cause).
    let mut tally: BTreeMap<(&str, bool, &str), (u64, u64)> = BTreeMap::new();
    let mut total = 0_u64;
    for case in cases {
        let CaseType::Complaint { category, .. } = &case.case_type else {
            continue;
        };
        let in_now = period.contains(case.created);
        let in_before = previous.contains(case.created);
        if !in_now && !in_before {
            continue;
        }
        let cause = case.cause.as_deref();
        let entry = tally
            .entry((category, cause.is_none(), cause.unwrap_or("")))
            .or_default();
        if in_now {
            entry.0 += 1;
            total += 1;
        }
        if in_before {
            entry.1 += 1;
        }
    }
    let mut rows: Vec<RootCause> = tally
        .into_iter()
        .map(|((category, no_cause, cause), (count, before))| RootCause {
            category: category.to_owned(),
            cause: (!no_cause).then(|| cause.to_owned()),
            count,
            share: if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            },
            previous: before,
            change: count as i64 - before as i64,
        })
        .collect();
    // Stable: ties keep the map's (category, cause) order.
    rows.sort_by_key(|row| std::cmp::Reverse(row.count));
    rows
}
