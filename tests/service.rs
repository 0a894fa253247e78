//! Integration tests: service cases, SLA clocks, escalation and the closed loop.
//!
//! Most cases are data: `tests/data/service/transitions.toml` (every event in every
//! state), `sla.toml` (worked SLA examples) and `errors.toml` (bad documents and
//! event logs with their exact messages). Property tests check what must always
//! hold: business-hours deadlines are never earlier than calendar ones, elapsed and
//! remaining time add up to the target, and replay does not depend on the order in
//! which events arrive.

use chrono::{DateTime, TimeZone, Utc};
use patronage::service::{
    root_causes, Case, CaseEvent, CaseId, Cases, EscalationTrigger, EventKind, Period, Schedule,
    ScheduleDoc, ServiceDoc, ServiceErrorKind, ServicePolicy, Status,
};
use proptest::prelude::*;
use serde::Deserialize;

// ---- helpers --------------------------------------------------------------------

/// An event as the test files write it: no id (the position is the id), case 1 by
/// default.
#[derive(Debug, Deserialize)]
struct TestEvent {
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    case: Option<u64>,
    at: DateTime<Utc>,
    #[serde(flatten)]
    kind: EventKind,
}

fn events(list: Vec<TestEvent>) -> Vec<CaseEvent> {
    list.into_iter()
        .enumerate()
        .map(|(idx, e)| CaseEvent {
            id: e.id.unwrap_or(idx as u64 + 1),
            case: CaseId(e.case.unwrap_or(1)),
            at: e.at,
            kind: e.kind,
        })
        .collect()
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// `4h`, `3h30m`, `-1s`, `0s`.
fn duration(seconds: i64) -> String {
    if seconds == 0 {
        return "0s".to_owned();
    }
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let mut out = sign.to_owned();
    for (unit, size) in [("h", 3600), ("m", 60), ("s", 1)] {
        let n = (s / size) % if unit == "h" { u64::MAX } else { 60 };
        if n > 0 {
            out += &n.to_string();
            out += unit;
        }
    }
    out
}

fn instant(at: Option<DateTime<Utc>>) -> String {
    at.map_or("none".to_owned(), |at| {
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    })
}

fn serde_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

fn render_clocks(case: &Case) -> Vec<String> {
    case.clocks
        .iter()
        .map(|c| {
            format!(
                "{} {} elapsed={} remaining={} due={}",
                c.metric.as_str(),
                serde_name(&c.status),
                duration(c.elapsed_seconds),
                duration(c.remaining_seconds),
                instant(c.due)
            )
        })
        .collect()
}

fn render_escalations(case: &Case) -> Vec<String> {
    case.escalations
        .iter()
        .map(|e| {
            let trigger = match e.trigger {
                EscalationTrigger::Target(metric) => metric.as_str().to_owned(),
                EscalationTrigger::GroupComplaint => "group_complaint".to_owned(),
                _ => "?".to_owned(),
            };
            format!(
                "{trigger} {} {} {}",
                e.level,
                instant(Some(e.due)),
                serde_name(&e.state)
            )
        })
        .collect()
}

fn render_follow_ups(case: &Case) -> Vec<String> {
    case.follow_ups
        .iter()
        .map(|f| {
            format!(
                "{} at={} due={}",
                f.kind.as_str(),
                instant(Some(f.at)),
                instant(Some(f.due))
            )
        })
        .collect()
}

fn check_list(what: &str, expected: Option<&Vec<String>>, actual: &[String]) -> Result<(), String> {
    match expected {
        Some(expected) if expected != actual => Err(format!(
            "{what}\n  expected: {expected:#?}\n  actual:   {actual:#?}"
        )),
        _ => Ok(()),
    }
}

fn report(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ---- the state machine: every event in every state --------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionFile {
    events: Vec<String>,
    state: Vec<StateRow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateRow {
    name: String,
    path: Vec<String>,
    after: Vec<String>,
}

fn event_kind(name: &str, at: DateTime<Utc>) -> EventKind {
    let json = match name {
        "satisfied" => r#"{"event": "satisfaction", "verdict": "satisfied"}"#.to_owned(),
        "unsatisfied" => r#"{"event": "satisfaction", "verdict": "unsatisfied"}"#.to_owned(),
        "promise_answer" => format!(
            r#"{{"event": "promise_answer", "by": "{}"}}"#,
            (at + chrono::TimeDelta::hours(1)).to_rfc3339()
        ),
        "resolve" => r#"{"event": "resolve"}"#.to_owned(),
        "opened" => {
            r#"{"event": "opened", "customer": 7, "type": {"kind": "inquiry", "category": "order"}}"#
                .to_owned()
        }
        other => format!(r#"{{"event": "{other}"}}"#),
    };
    serde_json::from_str(&json).unwrap()
}

#[test]
fn every_transition_legal_and_illegal() {
    let file: TransitionFile =
        toml::from_str(include_str!("data/service/transitions.toml")).unwrap();
    let policy = ServicePolicy::compile(&ServiceDoc::reference()).unwrap();
    let start = utc("2024-03-01T10:00:00Z");
    let mut failures = Vec::new();
    let mut cells = 0;
    assert_eq!(file.state.len(), Status::ALL.len(), "one row per state");
    for row in &file.state {
        assert_eq!(row.after.len(), file.events.len(), "row `{}`", row.name);
        let state: Status = serde_json::from_value(row.name.clone().into()).unwrap();
        for (event, expected) in file.events.iter().zip(&row.after) {
            cells += 1;
            let at = start + chrono::TimeDelta::minutes(10 * (row.path.len() as i64 + 1));
            let kind = event_kind(event, at);
            // Through the state machine alone.
            let direct = state.next(&kind);
            let direct = match &direct {
                Ok(next) => next.as_str().to_owned(),
                Err(_) => "error".to_owned(),
            };
            // Through a full replay from `opened`.
            let mut log = vec![CaseEvent {
                id: 1,
                case: CaseId(1),
                at: start,
                kind: event_kind("opened", start),
            }];
            for (idx, step) in row.path.iter().enumerate() {
                let at = start + chrono::TimeDelta::minutes(10 * (idx as i64 + 1));
                log.push(CaseEvent {
                    id: idx as u64 + 2,
                    case: CaseId(1),
                    at,
                    kind: event_kind(step, at),
                });
            }
            log.push(CaseEvent {
                id: 99,
                case: CaseId(1),
                at,
                kind,
            });
            let replayed = match policy.replay(&log, utc("2024-03-02T00:00:00Z")) {
                Ok(cases) => {
                    let case = cases.get(CaseId(1)).unwrap();
                    assert_eq!(case.history.len(), log.len());
                    case.status.as_str().to_owned()
                }
                Err(err) => {
                    let message = err.to_string();
                    let expected_prefix = format!(
                        "case `1`, event `99`: {}",
                        if event == "opened" {
                            "is opened again".to_owned()
                        } else {
                            format!(
                                "`{}` is not allowed in state `{}`",
                                if event.ends_with("satisfied") {
                                    "satisfaction"
                                } else {
                                    event
                                },
                                row.name
                            )
                        }
                    );
                    if !message.starts_with(&expected_prefix) {
                        failures.push(format!(
                            "{} + {event}: unexpected error {message:?}",
                            row.name
                        ));
                    }
                    "error".to_owned()
                }
            };
            if direct != *expected || replayed != *expected {
                failures.push(format!(
                    "{} + {event}: expected {expected}, state machine gives {direct}, replay gives {replayed}",
                    row.name
                ));
            }
        }
    }
    assert_eq!(cells, 8 * 13);
    report(&failures);
}

// ---- SLA worked examples ------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlaFile {
    doc: ServiceDoc,
    case: Vec<SlaCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlaCase {
    name: String,
    as_of: DateTime<Utc>,
    events: Vec<TestEvent>,
    status: Option<Status>,
    clocks: Option<Vec<String>>,
    escalations: Option<Vec<String>>,
    follow_ups: Option<Vec<String>>,
    history: Option<Vec<String>>,
    return_window: Option<String>,
    error: Option<String>,
}

fn check_sla_case(policy: &ServicePolicy, case: SlaCase) -> Result<(), String> {
    let log = events(case.events);
    let cases = match (policy.replay(&log, case.as_of), &case.error) {
        (Err(err), Some(expected)) if err.to_string() == *expected => return Ok(()),
        (Err(err), _) => return Err(format!("error {:?}", err.to_string())),
        (Ok(_), Some(expected)) => return Err(format!("expected the error {expected:?}")),
        (Ok(cases), None) => cases,
    };
    let actual = cases.get(CaseId(1)).ok_or("no case 1")?;
    if let Some(status) = case.status {
        if actual.status != status {
            return Err(format!(
                "status: expected {status:?}, got {:?}",
                actual.status
            ));
        }
    }
    check_list("clocks", case.clocks.as_ref(), &render_clocks(actual))?;
    check_list(
        "escalations",
        case.escalations.as_ref(),
        &render_escalations(actual),
    )?;
    check_list(
        "follow_ups",
        case.follow_ups.as_ref(),
        &render_follow_ups(actual),
    )?;
    let history: Vec<String> = actual
        .history
        .iter()
        .map(|t| format!("{} {}", t.event.as_str(), t.to.as_str()))
        .collect();
    check_list("history", case.history.as_ref(), &history)?;
    if let Some(expected) = &case.return_window {
        let window = actual.return_window.map(|w| serde_name(&w));
        if window.as_deref() != Some(expected.as_str()) {
            return Err(format!(
                "return window: expected {expected}, got {window:?}"
            ));
        }
    }
    for clock in &actual.clocks {
        if clock.elapsed_seconds + clock.remaining_seconds != clock.target_seconds {
            return Err(format!("elapsed + remaining != target for {clock:?}"));
        }
    }
    Ok(())
}

#[test]
fn sla_worked_examples() {
    let file: SlaFile = toml::from_str(include_str!("data/service/sla.toml")).unwrap();
    let policy = ServicePolicy::compile(&file.doc).unwrap();
    let n_cases = file.case.len();
    let failures: Vec<String> = file
        .case
        .into_iter()
        .filter_map(|case| {
            let name = case.name.clone();
            check_sla_case(&policy, case)
                .err()
                .map(|e| format!("{name}: {e}"))
        })
        .collect();
    assert!(n_cases >= 20);
    report(&failures);
}

// ---- bad input ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorFile {
    case: Vec<ErrorCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorCase {
    name: String,
    doc: Option<String>,
    as_of: Option<DateTime<Utc>>,
    #[serde(default)]
    events: Vec<TestEvent>,
    error: String,
}

#[test]
fn bad_input_is_an_error_naming_where() {
    let file: ErrorFile = toml::from_str(include_str!("data/service/errors.toml")).unwrap();
    let reference = ServicePolicy::compile(&ServiceDoc::reference()).unwrap();
    let mut failures = Vec::new();
    for case in file.case {
        let actual = match &case.doc {
            Some(text) => {
                let doc: ServiceDoc = toml::from_str(text).unwrap();
                ServicePolicy::compile(&doc).map(|_| ()).map_err(|e| {
                    assert!(e.is_config() && e.path().is_some());
                    e.to_string()
                })
            }
            None => reference
                .replay(&events(case.events), case.as_of.unwrap())
                .map(|_| ())
                .map_err(|e| {
                    assert!(e.case().is_some() && e.event().is_some());
                    e.to_string()
                }),
        };
        match actual {
            Err(message) if message == case.error => {}
            Err(message) => failures.push(format!(
                "{}\n  expected: {:?}\n  actual:   {message:?}",
                case.name, case.error
            )),
            Ok(()) => failures.push(format!("{}: no error", case.name)),
        }
    }
    report(&failures);
}

#[test]
fn a_vendor_worked_example_is_monday_not_tuesday() {
    // A help-desk vendor documents "Fri 16:00 + 4 h, Mon–Fri 08:00–17:00 → Tuesday
    // 11:00 (1 h Friday + 3 h Monday)"; its own arithmetic gives Monday 11:00.
    let doc: ScheduleDoc = toml::from_str(
        r#"
        name = "vendor"
        zone = "UTC"
        windows = [{ days = ["mon", "tue", "wed", "thu", "fri"], open = "08:00", close = "17:00" }]
        "#,
    )
    .unwrap();
    let schedule = Schedule::compile(&doc).unwrap();
    let due = schedule.add(utc("2024-03-01T16:00:00Z"), 4 * 3600).unwrap();
    assert_eq!(due, utc("2024-03-04T11:00:00Z"));
    assert!(schedule.is_open(utc("2024-03-04T08:00:00Z")));
    assert!(!schedule.is_open(utc("2024-03-04T17:00:00Z")));
}

#[test]
fn windows_across_dst_transitions_follow_the_wall_clock() {
    let schedule = |windows: &str| {
        let doc: ScheduleDoc = toml::from_str(&format!(
            r#"
            name = "ny"
            zone = "America/New_York"
            windows = [{windows}]
            "#
        ))
        .unwrap();
        Schedule::compile(&doc).unwrap()
    };
    let all_sunday = schedule(r#"{ days = ["sun"], open = "00:00", close = "24:00" }"#);
    // Spring forward: Sunday 10 March 2024 has 23 hours; fall back: 3 November, 25.
    assert_eq!(
        all_sunday.open_seconds(utc("2024-03-10T05:00:00Z"), utc("2024-03-11T04:00:00Z")),
        23 * 3600
    );
    assert_eq!(
        all_sunday.open_seconds(utc("2024-11-03T04:00:00Z"), utc("2024-11-04T05:00:00Z")),
        25 * 3600
    );
    // 24 open hours from the start of the short Sunday end an hour into the next one.
    assert_eq!(
        all_sunday
            .add(utc("2024-03-10T05:00:00Z"), 24 * 3600)
            .unwrap(),
        utc("2024-03-17T05:00:00Z")
    );
    // A window over the repeated hour holds it twice: 01:00 EDT to 03:00 EST is 3 h.
    let night = schedule(r#"{ days = ["sun"], open = "01:00", close = "03:00" }"#);
    assert_eq!(
        night.open_seconds(utc("2024-11-03T00:00:00Z"), utc("2024-11-04T00:00:00Z")),
        3 * 3600
    );
    // A window inside the skipped hour does not exist that day.
    let skipped = schedule(r#"{ days = ["sun"], open = "02:00", close = "03:00" }"#);
    assert_eq!(
        skipped.open_seconds(utc("2024-03-10T00:00:00Z"), utc("2024-03-11T00:00:00Z")),
        0
    );
    assert_eq!(
        skipped.open_seconds(utc("2024-03-17T00:00:00Z"), utc("2024-03-18T00:00:00Z")),
        3600
    );
}

#[test]
fn a_schedule_closed_for_years_is_unschedulable() {
    let holidays: Vec<String> = (1..=12)
        .flat_map(|m| (1..=31).map(move |d| format!("{m:02}-{d:02}")))
        .filter(|md| chrono::NaiveDate::parse_from_str(&format!("2000-{md}"), "%Y-%m-%d").is_ok())
        .collect();
    let doc: ScheduleDoc = toml::from_str(&format!(
        r#"
        name = "never"
        zone = "UTC"
        windows = [{{ days = ["mon"], open = "09:00", close = "17:00" }}]
        holidays = {holidays:?}
        "#
    ))
    .unwrap();
    let schedule = Schedule::compile(&doc).unwrap();
    let from = utc("2024-03-01T16:00:00Z");
    let err = schedule.add(from, 3600).unwrap_err();
    assert!(matches!(err.kind(), ServiceErrorKind::Unschedulable { .. }));
    assert_eq!(
        err.to_string(),
        "schedule `never` has no open time in the 12 years after 2024-03-01 16:00:00 UTC: expected open days beside the holidays"
    );
    // A replay whose clock needs it names the case and the event.
    let mut service: ServiceDoc = ServiceDoc::default();
    service.schedules.push(doc);
    service.policies.push(
        toml::from_str(
            r#"
            name = "p"
            schedule = "never"
            targets = [{ metric = "first_response", within = "1h", hours = "business" }]
            "#,
        )
        .unwrap(),
    );
    let policy = ServicePolicy::compile(&service).unwrap();
    let log: Vec<CaseEvent> = serde_json::from_str(
        r#"[{"id": 4, "case": 9, "at": "2024-03-01T16:00:00Z", "event": "opened", "customer": 7,
             "type": {"kind": "inquiry", "category": "order"}}]"#,
    )
    .unwrap();
    let err = policy
        .replay(&log, utc("2024-03-02T00:00:00Z"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "case `9`, event `4`: schedule `never` has no open time in the 12 years after 2024-03-01 16:00:00 UTC: expected open days beside the holidays"
    );
}

#[test]
fn customer_attributes_select_tighter_targets() {
    let doc: ServiceDoc = toml::from_str(
        r#"
        customer_fields = [
            { name = "tier", type = "symbol", values = ["standard", "vip"] },
            { name = "clv", type = { money = "CNY" }, optional = true },
        ]
        [[policies]]
        name = "vip"
        when = "tier == vip or clv >= 10000 CNY"
        targets = [{ metric = "first_response", within = "1m" }]
        [[policies]]
        name = "standard"
        targets = [{ metric = "first_response", within = "5m" }]
        "#,
    )
    .unwrap();
    let policy = ServicePolicy::compile(&doc).unwrap();
    let log: Vec<CaseEvent> = serde_json::from_str(
        r#"[
        {"id": 1, "case": 1, "at": "2024-03-01T10:00:00Z", "event": "opened", "customer": 7,
         "attributes": {"tier": "vip"}, "type": {"kind": "inquiry", "category": "order"}},
        {"id": 2, "case": 2, "at": "2024-03-01T10:00:00Z", "event": "opened", "customer": 8,
         "attributes": {"tier": "standard", "clv": "12000 CNY"}, "type": {"kind": "inquiry", "category": "order"}},
        {"id": 3, "case": 3, "at": "2024-03-01T10:00:00Z", "event": "opened", "customer": 9,
         "attributes": {"tier": "standard"}, "type": {"kind": "inquiry", "category": "order"}}
        ]"#,
    )
    .unwrap();
    let cases = policy.replay(&log, utc("2024-03-01T10:02:00Z")).unwrap();
    let got: Vec<(u64, Option<&str>, String)> = cases
        .iter()
        .map(|c| (c.id.0, c.policy.as_deref(), serde_name(&c.clocks[0].status)))
        .collect();
    assert_eq!(
        got,
        [
            (1, Some("vip"), "breached".to_owned()),
            (2, Some("vip"), "breached".to_owned()),
            (3, Some("standard"), "pending".to_owned()),
        ]
    );
    // An attribute the schema cannot read.
    let bad: Vec<CaseEvent> = serde_json::from_str(
        r#"[{"id": 1, "case": 1, "at": "2024-03-01T10:00:00Z", "event": "opened", "customer": 7,
             "attributes": {"tier": "platinum"}, "type": {"kind": "inquiry", "category": "order"}}]"#,
    )
    .unwrap();
    let err = policy
        .replay(&bad, utc("2024-03-02T00:00:00Z"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "case `1`, event `1`: customer attribute `tier`: schema field `tier`: unknown value `platinum` for `tier`, expected one of `standard`, `vip`\n  |\n1 | platinum\n  | ^^^^^^^^"
    );
}

#[test]
fn a_repeated_delivery_counts_once() {
    let policy = ServicePolicy::compile(&ServiceDoc::reference()).unwrap();
    let mut log: Vec<CaseEvent> = serde_json::from_str(
        r#"[
        {"id": 1, "case": 1, "at": "2024-03-01T10:00:00Z", "event": "opened", "customer": 7,
         "type": {"kind": "inquiry", "category": "order"}},
        {"id": 2, "case": 1, "at": "2024-03-01T10:03:00Z", "event": "resolve"}
        ]"#,
    )
    .unwrap();
    let once = policy.replay(&log, utc("2024-03-02T00:00:00Z")).unwrap();
    log.extend(log.clone());
    let twice = policy.replay(&log, utc("2024-03-02T00:00:00Z")).unwrap();
    assert_eq!(once, twice);
    assert_eq!(twice.get(CaseId(1)).unwrap().history.len(), 2);
}

#[test]
fn feedback_steps_in_order() {
    use patronage::service::{Adoption, Feedback, FeedbackClass, FeedbackSummary};
    use patronage::CustomerId;

    let mut item = Feedback::new(
        4,
        CustomerId(7),
        utc("2024-03-01T10:00:00Z"),
        FeedbackClass::Improvement,
    );
    item.evaluate(utc("2024-03-02T10:00:00Z"), Adoption::NotAdopted)
        .unwrap();
    assert_eq!(
        item.answer(utc("2024-03-01T12:00:00Z")).unwrap_err().to_string(),
        "feedback `4`: `answer` is not allowed: 2024-03-01 12:00:00 UTC is before the evaluation at 2024-03-02 10:00:00 UTC"
    );
    item.answer(utc("2024-03-03T10:00:00Z")).unwrap();
    assert_eq!(
        item.answer(utc("2024-03-04T10:00:00Z")).unwrap_err().to_string(),
        "feedback `4`: `answer` is not allowed: it was answered at 2024-03-03 10:00:00 UTC; expected one answer"
    );
    let summary = FeedbackSummary::of(
        &[item],
        Period::new(utc("2024-03-01T00:00:00Z"), utc("2024-04-01T00:00:00Z")),
    );
    assert_eq!(
        (
            summary.received,
            summary.evaluated,
            summary.adopted,
            summary.answered
        ),
        (1, 1, 0, 1)
    );
    assert_eq!(summary.by_class, [0, 0, 1]);
    assert_eq!(summary.adoption_rate(), Some(0.0));
    assert_eq!(FeedbackSummary::default().adoption_rate(), None);
}

#[test]
fn events_after_as_of_are_left_out() {
    let policy = ServicePolicy::compile(&ServiceDoc::reference()).unwrap();
    let log: Vec<CaseEvent> = serde_json::from_str(
        r#"[
        {"id": 1, "case": 1, "at": "2024-03-01T10:00:00Z", "event": "opened", "customer": 7,
         "type": {"kind": "inquiry", "category": "order"}},
        {"id": 2, "case": 1, "at": "2024-03-01T10:03:00Z", "event": "agent_reply"}
        ]"#,
    )
    .unwrap();
    let early = policy.replay(&log, utc("2024-03-01T10:01:00Z")).unwrap();
    assert_eq!(early.get(CaseId(1)).unwrap().status, Status::Received);
    let late = policy.replay(&log, utc("2024-03-01T10:05:00Z")).unwrap();
    assert_eq!(late.get(CaseId(1)).unwrap().status, Status::Acknowledged);
}

#[test]
fn root_cause_report_most_frequent_first() {
    let policy = ServicePolicy::compile(&ServiceDoc::reference()).unwrap();
    let mut log = Vec::new();
    let mut id = 0;
    let mut complaint = |case: u64, at: &str, category: &str, cause: Option<&str>| {
        id += 2;
        log.push(
            serde_json::from_str::<CaseEvent>(&format!(
                r#"{{"id": {id}, "case": {case}, "at": "{at}", "event": "opened", "customer": 7,
                    "type": {{"kind": "complaint", "category": "{category}", "severity": "minor"}}}}"#
            ))
            .unwrap(),
        );
        if let Some(cause) = cause {
            log.push(
                serde_json::from_str::<CaseEvent>(&format!(
                    r#"{{"id": {}, "case": {case}, "at": "{at}", "event": "resolve", "cause": "{cause}"}}"#,
                    id + 1
                ))
                .unwrap(),
            );
        }
    };
    // March: 3 × logistics/carrier, 1 × not_as_described/photos, 1 × logistics without cause.
    complaint(
        1,
        "2024-03-02T10:00:00Z",
        "logistics_delay",
        Some("carrier"),
    );
    complaint(
        2,
        "2024-03-03T10:00:00Z",
        "logistics_delay",
        Some("carrier"),
    );
    complaint(
        3,
        "2024-03-04T10:00:00Z",
        "logistics_delay",
        Some("carrier"),
    );
    complaint(
        4,
        "2024-03-05T10:00:00Z",
        "not_as_described",
        Some("photos"),
    );
    complaint(5, "2024-03-06T10:00:00Z", "logistics_delay", None);
    // February: 1 × logistics/carrier, 2 × damaged/packaging.
    complaint(
        6,
        "2024-02-02T10:00:00Z",
        "logistics_delay",
        Some("carrier"),
    );
    complaint(
        7,
        "2024-02-03T10:00:00Z",
        "damaged_goods",
        Some("packaging"),
    );
    complaint(
        8,
        "2024-02-04T10:00:00Z",
        "damaged_goods",
        Some("packaging"),
    );
    let cases = policy.replay(&log, utc("2024-04-01T00:00:00Z")).unwrap();
    let march = Period::new(utc("2024-03-01T00:00:00Z"), utc("2024-04-01T00:00:00Z"));
    let february = Period::new(utc("2024-02-01T00:00:00Z"), utc("2024-03-01T00:00:00Z"));
    let rows: Vec<String> = root_causes(&cases, march, february)
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {:.2} {} {:+}",
                r.category,
                r.cause.as_deref().unwrap_or("-"),
                r.count,
                r.share,
                r.previous,
                r.change
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            "logistics_delay carrier 3 0.60 1 +2",
            "logistics_delay - 1 0.20 0 +1",
            "not_as_described photos 1 0.20 0 +1",
            "damaged_goods packaging 0 0.00 2 -2",
        ]
    );
}

#[test]
fn outputs_round_trip_through_serde() {
    let file: SlaFile = toml::from_str(include_str!("data/service/sla.toml")).unwrap();
    let policy = ServicePolicy::compile(&file.doc).unwrap();
    let log = events(file.case.into_iter().next().unwrap().events);
    let cases = policy.replay(&log, utc("2024-03-02T00:00:00Z")).unwrap();
    let json = serde_json::to_string(&cases).unwrap();
    let back: Cases = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cases);
    let events_json = serde_json::to_string(&log).unwrap();
    let back: Vec<CaseEvent> = serde_json::from_str(&events_json).unwrap();
    assert_eq!(back, log);
    let doc_json = serde_json::to_string(&file.doc).unwrap();
    let back: ServiceDoc = serde_json::from_str(&doc_json).unwrap();
    assert_eq!(back, file.doc);
}

// ---- properties ---------------------------------------------------------------------------

fn schedules() -> Vec<Schedule> {
    let file: SlaFile = toml::from_str(include_str!("data/service/sla.toml")).unwrap();
    let policy = ServicePolicy::compile(&file.doc).unwrap();
    policy.schedules().to_vec()
}

/// Instants from 2024-01-01 to 2025-12-31, on whole minutes (so DST days are hit).
fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0_i64..(2 * 365 * 24 * 60)).prop_map(|minute| {
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + chrono::TimeDelta::minutes(minute)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn business_deadline_never_earlier_than_calendar(
        which in 0_usize..4,
        start in any_instant(),
        seconds in 1_i64..(80 * 3600),
    ) {
        let schedule = &schedules()[which];
        let due = schedule.add(start, seconds).unwrap();
        prop_assert!(due >= start + chrono::TimeDelta::seconds(seconds));
        // And exactly `seconds` of open time lie between.
        prop_assert_eq!(schedule.open_seconds(start, due), seconds);
    }
}

/// Picks legal events by choice numbers: each step takes the `choice`-th event
/// (modulo) among those the state machine allows, `gap` minutes after the last.
fn legal_log(
    case: u64,
    first_id: u64,
    start: DateTime<Utc>,
    steps: &[(u8, u8)],
    channel: &str,
) -> Vec<CaseEvent> {
    let opened: EventKind = serde_json::from_str(&format!(
        r#"{{"event": "opened", "customer": {case}, "channel": "{channel}", "type": {{"kind": "inquiry", "category": "order"}}}}"#
    ))
    .unwrap();
    let mut log = vec![CaseEvent {
        id: first_id,
        case: CaseId(case),
        at: start,
        kind: opened,
    }];
    let mut status = Status::Received;
    let mut at = start;
    for (idx, (choice, gap)) in steps.iter().enumerate() {
        // Gaps of 0 make events share an instant, so the tie rule is exercised.
        at += chrono::TimeDelta::minutes(i64::from(*gap % 4) * 37);
        let candidates: Vec<EventKind> = [
            "acknowledge",
            "start_work",
            "agent_reply",
            "customer_reply",
            "wait_on_customer",
            "wait_on_third_party",
            "promise_answer",
            "resolve",
            "close",
            "reopen",
            "satisfied",
            "unsatisfied",
        ]
        .iter()
        .map(|name| event_kind(name, at))
        .filter(|kind| status.next(kind).is_ok())
        .collect();
        let kind = candidates[usize::from(*choice) % candidates.len()].clone();
        status = status.next(&kind).unwrap();
        log.push(CaseEvent {
            id: first_id + idx as u64 + 1,
            case: CaseId(case),
            at,
            kind,
        });
    }
    log
}

fn any_log() -> impl Strategy<Value = Vec<CaseEvent>> {
    let channels = [
        "calendar", "office", "new_york", "kolkata", "adelaide", "replies",
    ];
    proptest::collection::vec(
        (
            any_instant(),
            0_usize..6,
            proptest::collection::vec((any::<u8>(), any::<u8>()), 0..10),
        ),
        1..5,
    )
    .prop_map(move |cases| {
        let mut log = Vec::new();
        for (idx, (start, channel, steps)) in cases.iter().enumerate() {
            let case = idx as u64 + 1;
            log.extend(legal_log(
                case,
                case * 100,
                *start,
                steps,
                channels[*channel],
            ));
        }
        log
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn replay_does_not_depend_on_arrival_order(
        (log, shuffled) in any_log().prop_flat_map(|log| (Just(log.clone()), Just(log).prop_shuffle())),
        as_of_days in 0_i64..30,
    ) {
        let file: SlaFile = toml::from_str(include_str!("data/service/sla.toml")).unwrap();
        let policy = ServicePolicy::compile(&file.doc).unwrap();
        let as_of = log.iter().map(|e| e.at).max().unwrap() + chrono::TimeDelta::days(as_of_days);
        let a = policy.replay(&log, as_of);
        let b = policy.replay(&shuffled, as_of);
        prop_assert_eq!(&a, &b);
        let cases = a.unwrap();
        for case in &cases {
            for clock in &case.clocks {
                // elapsed + remaining = target, always.
                prop_assert_eq!(clock.elapsed_seconds + clock.remaining_seconds, clock.target_seconds);
                prop_assert!(clock.elapsed_seconds >= 0);
            }
        }
    }

    #[test]
    fn elapsed_plus_remaining_is_the_target_at_any_as_of(
        log in any_log(),
        offset_minutes in 0_i64..(20 * 24 * 60),
    ) {
        let file: SlaFile = toml::from_str(include_str!("data/service/sla.toml")).unwrap();
        let policy = ServicePolicy::compile(&file.doc).unwrap();
        let first = log.iter().map(|e| e.at).min().unwrap();
        let as_of = first + chrono::TimeDelta::minutes(offset_minutes);
        let cases = policy.replay(&log, as_of).unwrap();
        for case in &cases {
            for clock in &case.clocks {
                prop_assert_eq!(clock.elapsed_seconds + clock.remaining_seconds, clock.target_seconds);
                if clock.status == patronage::service::SlaStatus::Breached {
                    prop_assert!(clock.remaining_seconds < 0);
                    prop_assert!(clock.due.is_some_and(|due| due <= as_of));
                }
            }
        }
    }
}
