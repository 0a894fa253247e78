//! The raw service policy document: what a company writes (serde, any format).
//!
//! [`ServicePolicy::compile`](crate::service::ServicePolicy::compile) checks it once
//! and compiles it into the form that replays cases; every problem is an error naming
//! its path, such as `service.schedules[0].windows[1]`.

use serde::{Deserialize, Serialize};

use crate::rules::Field;
use crate::service::{Metric, Status};

/// The service section of a company's policy: SLA policies per case type and
/// priority or severity (chosen by the first matching rule), business-hours
/// schedules, auto-close, follow-up delays and the vocabularies of complaints.
///
/// Missing fields take the defaults of [`ServiceDoc::default`]: UTC, no schedules,
/// no policies (so no SLA clocks), auto-close 4 days after resolution, a 7-day
/// no-reason return window, a satisfaction follow-up within 24 hours, a revisit
/// within 3 days, and group complaints escalated to `management`.
/// [`ServiceDoc::reference`] adds the SPEC's response-time policies.
///
/// # Durations
///
/// Durations are text: a whole number and a unit, `s`, `m`, `h` or `d` (a `d` is
/// 24 hours of the clock's time: 24 business hours in business time), e.g. `90s`,
/// `5m`, `4h`, `3d`. Escalation offsets may be signed: `-1h` is an hour before the
/// target is due, `2h` two hours after.
///
/// # Example
///
/// ```
/// use patronage::service::{ServiceDoc, ServicePolicy};
///
/// let doc: ServiceDoc = toml::from_str(r#"
///     zone = "Asia/Shanghai"
///     customer_fields = [{ name = "tier", type = "symbol", values = ["standard", "vip"] }]
///
///     [[schedules]]
///     name = "office"
///     zone = "Asia/Shanghai"
///     windows = [{ days = ["mon", "tue", "wed", "thu", "fri"], open = "09:00", close = "18:00" }]
///     holidays = ["2024-10-01", "01-01"]
///
///     [[policies]]
///     name = "vip"
///     when = "tier == vip"
///     targets = [{ metric = "first_response", within = "1m" }]
///
///     [[policies]]
///     name = "standard"
///     schedule = "office"
///     targets = [
///         { metric = "first_response", within = "5m" },
///         { metric = "resolution", within = "16h", hours = "business", escalations = [
///             { level = "warning", at = "-2h" },
///             { level = "breach", at = "0m" },
///         ] },
///     ]
/// "#)?;
/// let policy = ServicePolicy::compile(&doc)?;
/// assert_eq!(policy.policy_names().collect::<Vec<_>>(), ["vip", "standard"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ServiceDoc {
    /// The company's reference zone (IANA), in which instants become dates: the
    /// `as_of` date of policy rules, and the days of the no-reason return window.
    pub zone: String,
    /// Customer attributes that policy rules may read (a tier, a VIP level, CLV…),
    /// given per case in [`Opening::attributes`](crate::service::Opening::attributes).
    pub customer_fields: Vec<Field>,
    /// The complaint categories (root causes are tallied per category).
    ///
    /// SPEC R21 names damaged goods, poor service attitude and fraud as severity
    /// grades; here they are categories (what the complaint is about) and the grade
    /// is [`severity_grades`](Self::severity_grades) (how serious it is), so that a
    /// policy can say `category == fraud or severity == critical`.
    pub complaint_categories: Vec<String>,
    /// The complaint severity grades.
    pub severity_grades: Vec<String>,
    /// Business-hours schedules, referred to by name from policies.
    pub schedules: Vec<ScheduleDoc>,
    /// SLA policies, in order: a case gets the first whose `when` holds.
    pub policies: Vec<PolicyDoc>,
    /// A resolved case closes by itself this long (calendar time) after it was
    /// resolved, unless another event comes first.
    pub auto_close_after: String,
    /// An after-sales return or exchange is a no-reason return when it is opened at
    /// most this many calendar days (in [`zone`](Self::zone)) after delivery.
    pub return_window_days: u32,
    /// A resolved after-sales case asks for satisfaction within this long (calendar).
    pub satisfaction_within: String,
    /// A closed complaint is revisited within this long (calendar).
    pub revisit_within: String,
    /// The escalation level a group complaint gets as soon as it is opened.
    pub group_complaint_level: String,
}

/// A business-hours schedule: an IANA zone, weekday windows and holidays.
///
/// A window is the set of instants whose wall-clock time in the zone is from `open`
/// (inclusive) to `close` (exclusive) on one of its days; `close` may be `24:00`.
/// On the day clocks spring forward, a wall time that does not exist maps to the
/// first instant after the gap; on the day they fall back, `open` maps to the first
/// occurrence of its wall time and `close` to the last, so a window spanning the
/// repeated hour contains it twice. Windows of one schedule may not overlap.
///
/// Holidays are dates `YYYY-MM-DD` or yearly `MM-DD` (a yearly `02-29` applies in
/// leap years only); a holiday closes the whole local day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDoc {
    /// The schedule's name.
    pub name: String,
    /// The IANA zone of its windows and holidays.
    pub zone: String,
    /// The weekly opening windows.
    pub windows: Vec<WindowDoc>,
    /// The holidays.
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// One weekly opening window of a [`ScheduleDoc`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowDoc {
    /// The weekdays it applies to.
    pub days: Vec<Day>,
    /// The local opening time, `HH:MM`.
    pub open: String,
    /// The local closing time, `HH:MM` (up to `24:00`).
    pub close: String,
}

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// An SLA policy: when it applies, and its targets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    /// The policy's name (reported on each case it applies to).
    pub name: String,
    /// The condition, over the case fields (`case_type`, `category`, `priority`,
    /// `severity`, `handler`, `scope`, `channel`) and the
    /// [`customer_fields`](ServiceDoc::customer_fields); absent, the policy always
    /// applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// The schedule of its business-hours targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// The targets, at most one per metric.
    pub targets: Vec<TargetDoc>,
}

/// One SLA target of a [`PolicyDoc`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetDoc {
    /// What is measured.
    pub metric: Metric,
    /// The target, a duration (`5m`, `4h`, `3d`).
    pub within: String,
    /// Calendar time (the default) or the policy's business hours.
    #[serde(default)]
    pub hours: Hours,
    /// The statuses in which the clock stops running; absent, the metric's default:
    /// `waiting_on_customer` and `waiting_on_third_party` for `resolution`, none for
    /// the response metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_in: Option<Vec<Status>>,
    /// Escalation levels, each at an offset from the due instant in the clock's time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalations: Vec<EscalationDoc>,
}

/// Calendar time or business hours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Hours {
    /// Every second counts.
    #[default]
    Calendar,
    /// Only the open time of the policy's schedule counts.
    Business,
}

/// One escalation level of a [`TargetDoc`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationDoc {
    /// The level's name (`warning`, `breach`, `management`…).
    pub level: String,
    /// The offset from the due instant, in the clock's time: `-1h` (before), `0m`
    /// (at the breach), `2h` (after).
    pub at: String,
}

impl Default for ServiceDoc {
    fn default() -> ServiceDoc {
        ServiceDoc {
            zone: "UTC".to_owned(),
            customer_fields: Vec::new(),
            complaint_categories: [
                "logistics_delay",
                "not_as_described",
                "damaged_goods",
                "poor_service_attitude",
                "fraud",
                "other",
            ]
            .map(str::to_owned)
            .to_vec(),
            severity_grades: ["minor", "major", "critical"].map(str::to_owned).to_vec(),
            schedules: Vec::new(),
            policies: Vec::new(),
            auto_close_after: "4d".to_owned(),
            return_window_days: 7,
            satisfaction_within: "24h".to_owned(),
            revisit_within: "3d".to_owned(),
            group_complaint_level: "management".to_owned(),
        }
    }
}

impl ServiceDoc {
    /// The defaults of SPEC R19–R21 as policies: complaints answered within 5
    /// minutes and handled within 24 hours (escalated with a warning 4 hours before,
    /// at the breach, and to management 24 hours after); chatbot cases answered within
    /// 1 minute; every other case answered within 5 minutes, first and next replies.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::service::{ServiceDoc, ServicePolicy};
    ///
    /// let doc = ServiceDoc::reference();
    /// assert_eq!(doc.policies.len(), 3);
    /// let policy = ServicePolicy::compile(&doc)?;
    /// assert_eq!(policy.policy_names().collect::<Vec<_>>(), ["complaints", "chatbot", "standard"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reference() -> ServiceDoc {
        let target = |metric, within: &str, escalations: Vec<EscalationDoc>| TargetDoc {
            metric,
            within: within.to_owned(),
            hours: Hours::Calendar,
            pause_in: None,
            escalations,
        };
        let level = |level: &str, at: &str| EscalationDoc {
            level: level.to_owned(),
            at: at.to_owned(),
        };
        ServiceDoc {
            policies: vec![
                PolicyDoc {
                    name: "complaints".to_owned(),
                    when: Some("case_type == complaint".to_owned()),
                    schedule: None,
                    targets: vec![
                        target(Metric::FirstResponse, "5m", Vec::new()),
                        target(
                            Metric::Resolution,
                            "24h",
                            vec![
                                level("warning", "-4h"),
                                level("breach", "0m"),
                                level("management", "24h"),
                            ],
                        ),
                    ],
                },
                PolicyDoc {
                    name: "chatbot".to_owned(),
                    when: Some("handler == chatbot".to_owned()),
                    schedule: None,
                    targets: vec![
                        target(Metric::FirstResponse, "1m", Vec::new()),
                        target(Metric::NextResponse, "1m", Vec::new()),
                    ],
                },
                PolicyDoc {
                    name: "standard".to_owned(),
                    when: None,
                    schedule: None,
                    targets: vec![
                        target(Metric::FirstResponse, "5m", Vec::new()),
                        target(Metric::NextResponse, "5m", Vec::new()),
                    ],
                },
            ],
            ..ServiceDoc::default()
        }
    }
}

impl Day {
    /// Every day, Monday first.
    pub const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];

    /// The serde name, e.g. `mon`.
    pub fn as_str(self) -> &'static str {
        match self {
            Day::Mon => "mon",
            Day::Tue => "tue",
            Day::Wed => "wed",
            Day::Thu => "thu",
            Day::Fri => "fri",
            Day::Sat => "sat",
            Day::Sun => "sun",
        }
    }

    /// The index from Monday (0) to Sunday (6).
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Reads a duration (`90s`, `5m`, `4h`, `3d`; with `signed`, also `-1h`, `+2h`) as
/// seconds.
pub(crate) fn parse_duration(text: &str, signed: bool) -> Option<i64> {
    let text = text.trim();
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') if signed => (true, text.get(1..)?),
        Some(b'+') if signed => (false, text.get(1..)?),
        _ => (false, text),
    };
    let unit_at = body.len().checked_sub(1)?;
    let (number, unit) = (body.get(..unit_at)?, body.get(unit_at..)?);
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i64 = number.parse().ok()?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return None,
    };
    // Ten years is far beyond any service target; the bound keeps instants in range.
    let seconds = value.checked_mul(scale).filter(|s| *s <= 3_650 * 86_400)?;
    Some(if negative { -seconds } else { seconds })
}

/// Reads a time of day `HH:MM` (up to `24:00`) as minutes after midnight.
pub(crate) fn parse_time(text: &str) -> Option<u32> {
    let (hours, minutes) = text.trim().split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = minutes.parse().ok()?;
    let total = hours.checked_mul(60)?.checked_add(minutes)?;
    (minutes < 60 && total <= 1_440).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s", false), Some(90));
        assert_eq!(parse_duration("5m", false), Some(300));
        assert_eq!(parse_duration("4h", false), Some(14_400));
        assert_eq!(parse_duration("3d", false), Some(259_200));
        assert_eq!(parse_duration("-1h", true), Some(-3_600));
        assert_eq!(parse_duration("+2h", true), Some(7_200));
        assert_eq!(parse_duration("-1h", false), None);
        assert_eq!(parse_duration("h", false), None);
        assert_eq!(parse_duration("4x", false), None);
        assert_eq!(parse_duration("1.5h", false), None);
        assert_eq!(parse_duration("99999999999d", false), None);
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("09:00"), Some(540));
        assert_eq!(parse_time("24:00"), Some(1_440));
        assert_eq!(parse_time("24:01"), None);
        assert_eq!(parse_time("9:00"), None);
        assert_eq!(parse_time("09:60"), None);
    }
}
