//! Replays a service event log and prints, as of an instant, each case's status and
//! SLA clocks, the breached targets, the escalation levels reached or coming, and the
//! follow-ups the cases hand the planner (satisfaction surveys, result notices,
//! revisits, re-handling).
//!
//! ```text
//! cargo run --example service                                   # the shipped log
//! cargo run --example service -- [--events FILE.jsonl] [--policy FILE.toml|FILE.json]
//!     [--as-of 2024-03-08T12:00:00Z]
//! ```
//!
//! With no arguments it replays `examples/data/service/events.jsonl` under
//! `examples/data/service/policy.toml` as of `2024-03-08T12:00:00Z`.
//!
//! # The event log
//!
//! JSON Lines: one event per line, in any order (events are sorted by case, instant,
//! `opened` first, then id); blank lines and lines starting with `#` are skipped.
//! Every event has `id` (a number, unique per case), `case` (a number), `at` (an
//! RFC 3339 instant) and `event`, one of:
//!
//! - `opened`, with `customer` (a number) and `type`: `{"kind": "inquiry",
//!   "category": "product"|"order"|"after_sales"|"other"}`, `{"kind": "after_sales",
//!   "category": "return_exchange"|"repair"|"complaint"|"other", "order": 5001,
//!   "delivered": "…"}` or `{"kind": "complaint", "category": "…", "severity": "…",
//!   "scope": "individual"|"group", "order": 4800}`; optionally `priority`
//!   (`low`…`urgent`), `handler` (`chatbot`|`human`), `channel` (text), `linked_to`
//!   (a case) and `attributes` (customer fields of the policy, as text: `{"tier":
//!   "vip"}`);
//! - `acknowledge`, `start_work`, `agent_reply`, `customer_reply`, `wait_on_customer`,
//!   `wait_on_third_party`, `close`, `reopen`;
//! - `promise_answer` with `by` (the promised instant);
//! - `resolve`, optionally with `cause` (the root cause);
//! - `satisfaction` with `verdict` (`satisfied`|`unsatisfied`).
//!
//! The policy is a `ServiceDoc` (TOML, or JSON by extension). Any problem — a line
//! that is not an event, an event the case's state does not allow, a policy error —
//! is printed to stderr with where it is, and the exit status is 1.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use chrono::{DateTime, SecondsFormat, Utc};
use patronage::service::{
    root_causes, CaseEvent, Cases, Clock, EscalationTrigger, Period, ServiceDoc, ServicePolicy,
};

const SHIPPED_EVENTS: &str = include_str!("data/service/events.jsonl");
const SHIPPED_POLICY: &str = include_str!("data/service/policy.toml");
const SHIPPED_AS_OF: &str = "2024-03-08T12:00:00Z";

const USAGE: &str =
    "usage: service [--events FILE.jsonl] [--policy FILE.toml|FILE.json] [--as-of RFC3339]\n\
with no arguments, replays the shipped log examples/data/service/events.jsonl";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        // A closed pipe (`| head`) is not an error of ours.
        Err(Failure::Io(err)) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    Help,
    Usage(String),
    Input(String),
    Io(io::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Help => f.write_str(USAGE),
            Failure::Usage(message) => write!(f, "{message}\n{USAGE}"),
            Failure::Input(message) => f.write_str(message),
            Failure::Io(err) => write!(f, "cannot write the output: {err}"),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Failure {
        Failure::Io(err)
    }
}

struct Args {
    events: Option<String>,
    policy: Option<String>,
    as_of: DateTime<Utc>,
}

fn parse_args() -> Result<Args, Failure> {
    let mut args = Args {
        events: None,
        policy: None,
        as_of: parse_instant(SHIPPED_AS_OF)?,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let mut value = || {
            iter.next()
                .ok_or_else(|| Failure::Usage(format!("`{flag}` needs a value")))
        };
        match flag.as_str() {
            "--help" | "-h" => return Err(Failure::Help),
            "--events" => args.events = Some(value()?),
            "--policy" => args.policy = Some(value()?),
            "--as-of" => args.as_of = parse_instant(&value()?)?,
            other => return Err(Failure::Usage(format!("unknown argument `{other}`"))),
        }
    }
    Ok(args)
}

fn parse_instant(text: &str) -> Result<DateTime<Utc>, Failure> {
    text.parse().map_err(|err| {
        Failure::Usage(format!(
            "`{text}` is not an RFC 3339 instant such as `2024-03-08T12:00:00Z`: {err}"
        ))
    })
}

fn read(path: &str) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|err| Failure::Input(format!("cannot read `{path}`: {err}")))
}

fn load_policy(path: Option<&str>) -> Result<ServicePolicy, Failure> {
    let (name, text) = match path {
        Some(path) => (path, read(path)?),
        None => (
            "examples/data/service/policy.toml",
            SHIPPED_POLICY.to_owned(),
        ),
    };
    let is_json = std::path::Path::new(name)
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
    let doc: ServiceDoc = if is_json {
        serde_json::from_str(&text).map_err(|err| Failure::Input(format!("`{name}`: {err}")))?
    } else {
        toml::from_str(&text).map_err(|err| Failure::Input(format!("`{name}`: {err}")))?
    };
    ServicePolicy::compile(&doc).map_err(|err| Failure::Input(format!("`{name}`: {err}")))
}

fn load_events(path: Option<&str>) -> Result<Vec<CaseEvent>, Failure> {
    let (name, text) = match path {
        Some(path) => (path, read(path)?),
        None => (
            "examples/data/service/events.jsonl",
            SHIPPED_EVENTS.to_owned(),
        ),
    };
    let mut events = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let event = serde_json::from_str(line)
            .map_err(|err| Failure::Input(format!("`{name}` line {}: {err}", idx + 1)))?;
        events.push(event);
    }
    Ok(events)
}

fn run() -> Result<(), Failure> {
    let args = parse_args()?;
    let policy = load_policy(args.policy.as_deref())?;
    let events = load_events(args.events.as_deref())?;
    let cases = policy
        .replay(&events, args.as_of)
        .map_err(|err| Failure::Input(err.to_string()))?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    print(&mut out, &cases, events.len())?;
    out.flush()?;
    Ok(())
}

fn at(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `1h05m`, `-3m20s`.
fn duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    match (s / 3600, (s / 60) % 60, s % 60) {
        (0, 0, sec) => format!("{sign}{sec}s"),
        (0, min, 0) => format!("{sign}{min}m"),
        (0, min, sec) => format!("{sign}{min}m{sec:02}s"),
        (hours, min, _) => format!("{sign}{hours}h{min:02}m"),
    }
}

fn clock_line(clock: &Clock) -> String {
    format!(
        "{:<16} {:<9} {:<8} elapsed {:>8}  remaining {:>9}  due {}",
        clock.metric.as_str(),
        serde_name(&clock.status),
        serde_name(&clock.hours),
        duration(clock.elapsed_seconds),
        duration(clock.remaining_seconds),
        clock.due.map_or("-".to_owned(), at),
    )
}

fn serde_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn print(out: &mut impl Write, cases: &Cases, n_events: usize) -> io::Result<()> {
    writeln!(
        out,
        "{} events, {} cases, as of {}",
        n_events,
        cases.len(),
        at(cases.as_of())
    )?;

    writeln!(out, "\n== cases and SLA clocks ==")?;
    for case in cases {
        writeln!(
            out,
            "case {} (customer {}): {} / {}, {}, policy {}{}{}",
            case.id,
            case.customer,
            case.case_type.name(),
            case.case_type.category(),
            case.status.as_str(),
            case.policy.as_deref().unwrap_or("none"),
            case.linked_to
                .map_or(String::new(), |id| format!(", follows case {id}")),
            case.return_window.map_or(String::new(), |w| format!(
                ", return window {}",
                serde_name(&w)
            )),
        )?;
        for clock in &case.clocks {
            writeln!(out, "    {}", clock_line(clock))?;
        }
    }

    writeln!(out, "\n== breached targets ==")?;
    let mut any = false;
    for (case, clock) in cases.breaches() {
        any = true;
        writeln!(
            out,
            "case {}: {} overdue by {} (due {})",
            case.id,
            clock.metric.as_str(),
            duration(-clock.remaining_seconds),
            clock.due.map_or("-".to_owned(), at),
        )?;
    }
    if !any {
        writeln!(out, "none")?;
    }

    writeln!(out, "\n== escalations ==")?;
    for escalation in cases.escalations() {
        let why = match escalation.trigger {
            EscalationTrigger::Target(metric) => metric.as_str().to_owned(),
            EscalationTrigger::GroupComplaint => "group complaint".to_owned(),
            _ => "other".to_owned(),
        };
        writeln!(
            out,
            "{}  case {}: {} ({}), {}",
            at(escalation.due),
            escalation.case,
            escalation.level,
            why,
            serde_name(&escalation.state),
        )?;
    }

    writeln!(out, "\n== follow-ups for the planner ==")?;
    for follow_up in cases.follow_ups() {
        writeln!(
            out,
            "due {}  customer {}, case {}: {} (since {})",
            at(follow_up.due),
            follow_up.customer,
            follow_up.case,
            follow_up.kind.as_str(),
            at(follow_up.at),
        )?;
    }

    let week = Period::new(cases.as_of() - chrono::TimeDelta::days(7), cases.as_of());
    let before = Period::new(week.from - chrono::TimeDelta::days(7), week.from);
    writeln!(out, "\n== complaint root causes, last 7 days ==")?;
    for row in root_causes(cases, week, before) {
        writeln!(
            out,
            "{:<18} {:<22} {} ({:.0}%), previous 7 days {} ({:+})",
            row.category,
            row.cause.as_deref().unwrap_or("(no cause yet)"),
            row.count,
            row.share * 100.0,
            row.previous,
            row.change,
        )?;
    }
    Ok(())
}
