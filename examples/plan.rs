//! Plans one day of customer care from a scenario file and prints the plan as JSON:
//! the planned actions (customer, action, channel, due instant, reason, idempotency
//! key), the suppressed ones (the policy and the next allowed instant), the held-out
//! ones, the summaries per playbook or trigger and per suppression policy, and the
//! control-group warnings.
//!
//! ```text
//! cargo run --example plan -- [--scenario FILE.json]
//! cargo run --example plan -- --help
//! ```
//!
//! With no arguments it plans `examples/data/plan/reference_day.json`.
//!
//! # The scenario format
//!
//! One JSON object; unknown fields are errors:
//!
//! | field | required | meaning |
//! |---|---|---|
//! | `description` | no | what the scenario shows, in words |
//! | `as_of` | yes | the instant the plan is as of, RFC 3339 (`2025-03-03T00:00:00Z`) |
//! | `config` | no | the plan section (`patronage::plan::PlanConfig`: `company_zone`, `send_time`, `actions`, `playbooks`, `triggers`, `holidays`, `caps`, `quiet_hours`, `purpose_window_hours`, `budgets`, `budget_order`, `archive`, `risk_levels`, `control`); absent, the reference plan of SPEC R8, R15 and §8 |
//! | `profiles` | yes | what the segmentation says of each customer, ascending by id: `customer`, and optionally `stage`, `tier`, `rfm_segment`, `vip_level`, `classes`, `recency_days`, `frequency`, `monetary` |
//! | `customers` | yes | the customer records (`patronage::Customer`: `id`, `consents`, `preferred_channels`, `time_zone`, `birthday`, `points`, …), ascending by id, one per profile |
//! | `history` | no | the contact history, ascending by customer: `customer`, `action`, `channel`, `at` |
//! | `events` | no | `customer`, `kind` (`registration`, `first_order`, `order`, `complaint_closed`, …), `at` |
//! | `level_changes` | no | `customer`, `from`, `to`, `direction` (`upgrade` or `downgrade`) |
//! | `risk` | no | `[{"customer": 7, "signals": {"credit": 90.0}}]`: signals `credit`, `market`, `operating`, `legal` |
//! | `expected_value` | no | `[{"customer": 7, "value": 420.0}]`: the CLV budgets may rank by |
//!
//! Conditions are checked against the reference vocabulary of stages, tiers, RFM
//! segments, VIP levels and classes (`patronage::plan::Vocabulary::reference`).
//!
//! # Validation
//!
//! Strict: a malformed scenario stops with the JSON error and its line; a plan section
//! the planner rejects stops with every problem and its path (`plan.caps[1].limit`).

use std::collections::BTreeMap;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use patronage::plan::{
    ContactRecord, Event, LevelChange, PlanConfig, PlanInput, Planner, Profile, RiskSignals,
    Vocabulary,
};
use patronage::{Customer, CustomerId};
use serde::Deserialize;

mod common;
use common::{note, Stop};

const HELP: &str = "\
plan: plans one day of customer care from a scenario and prints the plan as JSON

usage: plan [--scenario FILE.json]
       plan --help

With no arguments it plans the shipped scenario examples/data/plan/reference_day.json.
The scenario is one JSON object: as_of, config (optional: the reference plan),
profiles, customers, and optionally history, events, level_changes, risk and
expected_value. See the top of examples/plan.rs for every field.
";

const DEFAULT_NAME: &str = "examples/data/plan/reference_day.json";
const DEFAULT: &str = include_str!("data/plan/reference_day.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    #[serde(default)]
    #[allow(dead_code)]
    description: String,
    as_of: DateTime<Utc>,
    #[serde(default = "PlanConfig::reference")]
    config: PlanConfig,
    profiles: Vec<Profile>,
    customers: Vec<Customer>,
    #[serde(default)]
    history: Vec<ContactRecord>,
    #[serde(default)]
    events: Vec<Event>,
    #[serde(default)]
    level_changes: Vec<LevelChange>,
    #[serde(default)]
    risk: Vec<RiskRow>,
    #[serde(default)]
    expected_value: Vec<ValueRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskRow {
    customer: CustomerId,
    signals: RiskSignals,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueRow {
    customer: CustomerId,
    value: f64,
}

fn main() -> ExitCode {
    common::exit("plan", run())
}

fn run() -> Result<(), Stop> {
    let mut line = common::CommandLine::from_env()?;
    let mut path: Option<String> = None;
    while let Some(flag) = line.next_flag()? {
        match flag.as_str() {
            "--help" | "-h" => return common::print(HELP),
            "--scenario" => path = Some(line.value(&flag)?),
            _ => {
                return Err(Stop::usage(format!(
                    "unknown option `{}`",
                    common::clip(&flag)
                )))
            }
        }
    }
    let (name, text) = match &path {
        Some(path) => {
            let bytes = common::read_file(path)?;
            let text = String::from_utf8(bytes)
                .map_err(|_| Stop::fail(format!("`{path}` is not UTF-8")))?;
            (path.as_str(), text)
        }
        None => (DEFAULT_NAME, DEFAULT.to_owned()),
    };
    let scenario: Scenario =
        serde_json::from_str(&text).map_err(|e| Stop::fail(format!("`{name}`: {e}")))?;
    let (planner, warnings) = Planner::new(&scenario.config, &Vocabulary::reference())
        .map_err(|e| Stop::fail(format!("`{name}`: {e}")))?;
    for warning in warnings {
        // The diagnostic ends in "(warning)" itself.
        note(&format!("plan: {warning}"));
    }
    let risk: BTreeMap<CustomerId, RiskSignals> = scenario
        .risk
        .iter()
        .map(|row| (row.customer, row.signals))
        .collect();
    let values: BTreeMap<CustomerId, f64> = scenario
        .expected_value
        .iter()
        .map(|row| (row.customer, row.value))
        .collect();
    let input = PlanInput::new(scenario.as_of, &scenario.profiles, &scenario.customers)
        .with_history(&scenario.history)
        .with_events(&scenario.events)
        .with_level_changes(&scenario.level_changes)
        .with_risk(&risk)
        .with_expected_value(&values);
    let plan = planner
        .plan(&input)
        .map_err(|e| Stop::fail(format!("`{name}`: {e}")))?;
    for warning in &plan.warnings {
        note(&format!("plan: warning: {}", warning.message));
    }
    let json = serde_json::to_string_pretty(&plan)
        .map_err(|e| Stop::fail(format!("cannot write the plan: {e}")))?;
    common::print(&format!("{json}\n"))
}
