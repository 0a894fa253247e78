//! The planner: one scenario file per policy (`tests/data/plan/*.json`, each with its
//! expected plan), properties that must always hold, and config errors by path.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Timelike, Utc};
use patronage::customer::{Birthday, Points, PointsLot};
use patronage::plan::{
    ContactRecord, Event, LevelChange, Plan, PlanConfig, PlanInput, Planner, Profile, RiskSignals,
    Suppression, Vocabulary,
};
use patronage::{Channel, Consent, Customer, CustomerId};
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    #[allow(dead_code)]
    description: String,
    as_of: DateTime<Utc>,
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
    expected: Expected,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    actions: Vec<String>,
    suppressed: Vec<String>,
    #[serde(default)]
    held_out: Vec<String>,
    #[serde(default)]
    config_warnings: Vec<String>,
}

fn run(scenario: &Scenario) -> Plan {
    let (planner, warnings) =
        Planner::new(&scenario.config, &Vocabulary::reference()).unwrap_or_else(|e| panic!("{e}"));
    let warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings, scenario.expected.config_warnings);
    let risk: BTreeMap<CustomerId, RiskSignals> = scenario
        .risk
        .iter()
        .map(|r| (r.customer, r.signals))
        .collect();
    let values: BTreeMap<CustomerId, f64> = scenario
        .expected_value
        .iter()
        .map(|r| (r.customer, r.value))
        .collect();
    let input = PlanInput::new(scenario.as_of, &scenario.profiles, &scenario.customers)
        .with_history(&scenario.history)
        .with_events(&scenario.events)
        .with_level_changes(&scenario.level_changes)
        .with_risk(&risk)
        .with_expected_value(&values);
    planner.plan(&input).unwrap_or_else(|e| panic!("{e}"))
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn lines(plan: &Plan) -> (Vec<String>, Vec<String>, Vec<String>) {
    let actions = plan
        .actions
        .iter()
        .map(|a| {
            let channel = a.channel.map_or("-", Channel::as_str);
            let review = if a.review { " review" } else { "" };
            format!(
                "{} {} {channel} {}{review}",
                a.customer,
                a.action,
                time(a.due)
            )
        })
        .collect();
    let suppressed = plan
        .suppressed
        .iter()
        .map(|s| {
            let next = s.next_allowed.map_or("-".to_owned(), time);
            format!(
                "{} {} {} | {} | {next}",
                s.customer,
                s.action,
                s.policy.as_str(),
                s.detail
            )
        })
        .collect();
    let held = plan
        .held_out
        .iter()
        .map(|h| format!("{} {} {}", h.customer, h.action, h.group))
        .collect();
    (actions, suppressed, held)
}

/// Runs one scenario file: the plan matches the expected one, and planning again gives
/// the same bytes.
fn check(name: &str, text: &str) -> Plan {
    let scenario: Scenario = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let plan = run(&scenario);
    let (actions, suppressed, held) = lines(&plan);
    assert_eq!(
        actions, scenario.expected.actions,
        "{name}: planned actions"
    );
    assert_eq!(
        suppressed, scenario.expected.suppressed,
        "{name}: suppressed actions"
    );
    assert_eq!(held, scenario.expected.held_out, "{name}: held-out actions");
    let again = run(&scenario);
    assert_eq!(
        serde_json::to_string(&plan).unwrap_or_default(),
        serde_json::to_string(&again).unwrap_or_default(),
        "{name}: not byte-identical"
    );
    plan
}

macro_rules! scenario {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(
                    stringify!($name),
                    include_str!(concat!("data/plan/", stringify!($name), ".json")),
                );
            }
        )*
    };
}

scenario!(
    consent,
    channel_fallback,
    cap_channel_calendar_day,
    cap_across_channels,
    transactional_exemption,
    transactional_quiet_hours,
    cooldown,
    quiet_hours_shanghai,
    quiet_hours_skip,
    quiet_hours_dst_new_york,
    quiet_hours_dst_gap,
    quiet_hours_dst_fall_back,
    unknown_time_zone,
    one_message_per_purpose,
    priority_under_cap,
    budget_expected_value,
    archive_annual_care,
    inactivity_cancelled,
    birthday_29_february,
    risk_suppresses_coupon,
    triggers_calendar,
);

/// FNV-1a 64 and SplitMix64, written again from their published definitions, to check
/// the planner's control groups independently.
fn bucket(salt: &str, group: &str, customer: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(salt.as_bytes());
    feed(&[0x1f]);
    feed(group.as_bytes());
    feed(&[0x1f]);
    feed(&customer.to_le_bytes());
    let mut z = hash;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) % 10_000
}

#[test]
fn held_out() {
    let plan = check("held_out", include_str!("data/plan/held_out.json"));
    let expected: Vec<u64> = (1..=12)
        .filter(|id| bucket("spring-2025", "everyone", *id) < 5_000)
        .collect();
    let held: Vec<u64> = plan.held_out.iter().map(|h| h.customer.0).collect();
    assert_eq!(held, expected);
    assert_eq!(plan.warnings.len(), 1);
    assert_eq!(
        plan.warnings[0].message,
        "control group `everyone`: it holds 3 customers: expected at least 1,000 to measure lift; it holds 25.0% of its audience of 12: expected at most 15%"
    );
}

#[test]
fn idempotency_keys_are_stable() {
    let text = include_str!("data/plan/triggers_calendar.json");
    let mut scenario: Scenario = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
    let first = run(&scenario);
    // Re-planned later the same day (and with another event the customer did not have),
    // the same actions keep their keys.
    scenario.as_of += Duration::hours(1);
    let later = run(&scenario);
    let keys = |plan: &Plan| -> Vec<(u64, String, String)> {
        plan.actions
            .iter()
            .map(|a| (a.customer.0, a.action.clone(), a.key.clone()))
            .collect()
    };
    assert_eq!(keys(&first), keys(&later));
    let mut distinct: Vec<&str> = first.actions.iter().map(|a| a.key.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), first.actions.len());
    assert!(first.actions.iter().all(|a| a.key.len() == 16));
}

// ---- properties -----------------------------------------------------------------

fn property_config() -> PlanConfig {
    serde_json::from_str(include_str!("data/plan/property_config.json"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn at(base: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    base + Duration::minutes(minutes)
}

prop_compose! {
    fn customer_strategy(id: u64)(
        consents in proptest::collection::vec(0u8..3, 5),
        prefer in proptest::collection::vec(0usize..5, 0..3),
        zone in 0usize..4,
        tier in 0usize..5,
        recency in 0u32..200,
        birthday in proptest::option::of((1u32..13, 1u32..29)),
        history in proptest::collection::vec((0usize..6, 0usize..5, -20_000i64..0), 0..6),
        events in proptest::collection::vec((0usize..3, -4_000i64..0), 0..3),
        credit in proptest::option::of(0.0f64..100.0),
        value in proptest::option::of(0.0f64..1_000.0),
    ) -> Generated {
        let as_of = Utc.with_ymd_and_hms(2025, 3, 9, 6, 30, 0).single().unwrap_or_default();
        let mut customer = Customer::new(CustomerId(id));
        for (channel, state) in Channel::ALL.iter().zip(&consents) {
            match state {
                1 => { customer.consents.insert(*channel, Consent::opted_in(as_of)); }
                2 => { customer.consents.insert(*channel, Consent::opted_out(as_of, None)); }
                _ => {}
            }
        }
        for p in prefer {
            let channel = Channel::ALL[p];
            if !customer.preferred_channels.contains(&channel) {
                customer.preferred_channels.push(channel);
            }
        }
        customer.time_zone = [None, Some(chrono_tz::Asia::Shanghai), Some(chrono_tz::America::New_York), Some(chrono_tz::Europe::London)][zone];
        customer.birthday = birthday.and_then(|(m, d)| Birthday::try_new(m, d, None).ok());
        customer.points = Some(Points { balance: 100, expiring: vec![PointsLot { points: 50, expires_on: NaiveDate::from_ymd_opt(2025, 3, 12).unwrap_or_default() }] });
        let mut profile = Profile::new(CustomerId(id));
        profile.tier = Some(["dormant", "churned", "new", "mid_value_active", "high_value_active"][tier].to_owned());
        profile.recency_days = Some(recency);
        (profile, customer, history, events, credit, value)
    }
}

/// One generated customer: profile, record, history rows, events, credit score, CLV.
type Generated = (
    Profile,
    Customer,
    Vec<(usize, usize, i64)>,
    Vec<(usize, i64)>,
    Option<f64>,
    Option<f64>,
);

fn population() -> impl Strategy<Value = Vec<Generated>> {
    (1usize..25).prop_flat_map(|n| (1..=n as u64).map(customer_strategy).collect::<Vec<_>>())
}

const HISTORY_ACTIONS: [&str; 6] = ["promo", "news", "coupon", "care", "archive", "gift"];
const EVENT_KINDS: [&str; 3] = ["first_order", "order", "complaint_closed"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn plans_are_deterministic_and_obey_every_policy(rows in population()) {
        let config = property_config();
        let (planner, _) = Planner::new(&config, &Vocabulary::reference()).unwrap_or_else(|e| panic!("{e}"));
        let as_of = Utc.with_ymd_and_hms(2025, 3, 9, 6, 30, 0).single().unwrap_or_default();
        let mut profiles = Vec::new();
        let mut customers = Vec::new();
        let mut history = Vec::new();
        let mut events = Vec::new();
        let mut risk = BTreeMap::new();
        let mut values = BTreeMap::new();
        for (profile, customer, past, happened, credit, value) in rows {
            let id = customer.id;
            for (action, channel, minutes) in past {
                let channel = (HISTORY_ACTIONS[action] != "archive").then_some(Channel::ALL[channel]);
                history.push(ContactRecord { customer: id, action: HISTORY_ACTIONS[action].to_owned(), channel, at: at(as_of, minutes) });
            }
            for (kind, minutes) in happened {
                events.push(Event { customer: id, kind: EVENT_KINDS[kind].to_owned(), at: at(as_of, minutes) });
            }
            if let Some(credit) = credit { risk.insert(id, RiskSignals::credit(credit)); }
            if let Some(value) = value { values.insert(id, value); }
            profiles.push(profile);
            customers.push(customer);
        }
        let input = PlanInput::new(as_of, &profiles, &customers)
            .with_history(&history)
            .with_events(&events)
            .with_risk(&risk)
            .with_expected_value(&values);
        let plan = planner.plan(&input).unwrap_or_else(|e| panic!("{e}"));
        let again = planner.plan(&input).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(serde_json::to_string(&plan).unwrap_or_default(), serde_json::to_string(&again).unwrap_or_default());

        let zone_of = |id: CustomerId| customers.iter().find(|c| c.id == id).and_then(|c| c.time_zone).unwrap_or(chrono_tz::Asia::Shanghai);
        let mut spent = rust_decimal::Decimal::ZERO;
        for action in &plan.actions {
            let customer = customers.iter().find(|c| c.id == action.customer).unwrap_or_else(|| panic!("no customer"));
            // Consent.
            if let Some(channel) = action.channel {
                prop_assert!(customer.may_contact(channel), "{} {} without consent on {channel}", action.customer, action.action);
            }
            // Quiet hours (21:00–09:00 local; transactional exempt).
            let local = action.due.with_timezone(&zone_of(action.customer)).time();
            if action.action != "notice" {
                prop_assert!(local.hour() >= 9 && local.hour() < 21, "{} {} due at {local} local", action.customer, action.action);
            }
            // Cooldown (promo: 7 days).
            if action.action == "promo" {
                let last = history.iter().filter(|h| h.customer == action.customer && h.action == "promo").map(|h| h.at).max();
                prop_assert!(last.map_or(true, |t| t + Duration::days(7) <= action.due));
            }
            // Risk: no coupon at credit >= 80.
            if action.cost.is_some() {
                prop_assert!(risk.get(&action.customer).and_then(|r| r.credit).map_or(true, |c| c < 80.0));
                spent += action.cost.map(|c| c.amount).unwrap_or_default();
            }
        }
        // Budget: 60 CNY a day.
        prop_assert!(spent <= rust_decimal::Decimal::from(60));
        // Caps: at most one marketing message per local calendar day and two in 48 hours,
        // counting the history.
        for customer in &customers {
            let zone = zone_of(customer.id);
            let marketing = ["promo", "news", "coupon", "gift", "wake_up"];
            let mut times: Vec<DateTime<Utc>> = history.iter()
                .filter(|h| h.customer == customer.id && h.channel.is_some() && marketing.contains(&h.action.as_str()))
                .map(|h| h.at)
                .collect();
            let planned: Vec<DateTime<Utc>> = plan.actions.iter()
                .filter(|a| a.customer == customer.id && marketing.contains(&a.action.as_str()))
                .map(|a| a.due)
                .collect();
            times.extend(&planned);
            for due in &planned {
                let day = due.with_timezone(&zone).date_naive();
                let same_day = times.iter().filter(|t| t.with_timezone(&zone).date_naive() == day).count();
                prop_assert!(same_day <= 1, "customer {} gets {same_day} marketing messages on {day}", customer.id);
                let rolling = times.iter().filter(|t| **t > *due - Duration::hours(48) && **t <= *due).count();
                prop_assert!(rolling <= 2, "customer {} gets {rolling} marketing messages in 48 h", customer.id);
            }
        }
        // Every suppression names a policy the config has.
        for s in &plan.suppressed {
            prop_assert!(s.policy != Suppression::QuietHours);
        }
    }
}

#[test]
fn the_control_group_share_holds_at_100_000_customers() {
    let mut config: PlanConfig = serde_json::from_str(
        r#"{
            "actions": [{"name": "promo", "purpose": "promotion", "kind": "marketing", "channels": ["email"], "template": "promo"}],
            "playbooks": [{"name": "everyone", "when": "frequency >= 0", "actions": ["promo"], "holdout": 0.05}],
            "quiet_hours": null,
            "control": {"salt": "q1", "global": 0.10}
        }"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let as_of = Utc
        .with_ymd_and_hms(2025, 3, 3, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let n: u64 = 100_000;
    let profiles: Vec<Profile> = (1..=n).map(|id| Profile::new(CustomerId(id))).collect();
    let customers: Vec<Customer> = (1..=n)
        .map(|id| {
            let mut c = Customer::new(CustomerId(id));
            c.consents.insert(Channel::Email, Consent::opted_in(as_of));
            c
        })
        .collect();
    for salt in ["q1", "q2"] {
        config.control.salt = salt.to_owned();
        let (planner, _) =
            Planner::new(&config, &Vocabulary::reference()).unwrap_or_else(|e| panic!("{e}"));
        let plan = planner
            .plan(&PlanInput::new(as_of, &profiles, &customers))
            .unwrap_or_else(|e| panic!("{e}"));
        let global = plan.held_out.iter().filter(|h| h.group == "global").count() as f64 / n as f64;
        let treated = n as f64 * (1.0 - global);
        let playbook = plan
            .held_out
            .iter()
            .filter(|h| h.group == "everyone")
            .count() as f64
            / treated;
        assert!((global - 0.10).abs() < 0.01, "global share {global}");
        assert!((playbook - 0.05).abs() < 0.01, "playbook share {playbook}");
        // Growing the base never moves a customer.
        let first: Vec<CustomerId> = plan
            .held_out
            .iter()
            .filter(|h| h.customer.0 <= 1_000)
            .map(|h| h.customer)
            .collect();
        let small = planner
            .plan(&PlanInput::new(
                as_of,
                &profiles[..1_000],
                &customers[..1_000],
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        let again: Vec<CustomerId> = small.held_out.iter().map(|h| h.customer).collect();
        assert_eq!(first, again);
    }
}

// ---- config errors --------------------------------------------------------------

fn config_error(edit: impl FnOnce(&mut PlanConfig)) -> String {
    let mut config = PlanConfig::reference();
    edit(&mut config);
    match Planner::new(&config, &Vocabulary::reference()) {
        Ok(_) => panic!("accepted"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn an_unknown_action_in_a_playbook_names_its_path() {
    let message = config_error(|c| c.playbooks[1].actions[0] = "recomendation".to_owned());
    assert_eq!(
        message,
        "1 problem in the config: plan.playbooks[1].actions[0]: expected an action of `plan.actions` (such as `account_manager`, `annual_care`, `archive`, `birthday_gift`, `complaint_result`, `complaint_revisit`), found `recomendation`"
    );
}

#[test]
fn an_unknown_channel_in_a_playbook_names_its_path() {
    let message =
        config_error(|c| c.playbooks[0].channels = vec!["email".to_owned(), "fax".to_owned()]);
    assert_eq!(
        message,
        "1 problem in the config: plan.playbooks[0].channels[1]: expected a channel (`sms`, `email`, `app_push`, `wechat` or `phone`), found `fax`"
    );
}

#[test]
fn a_cap_of_zero_names_its_path() {
    let message = config_error(|c| c.caps[1].limit = 0);
    assert_eq!(
        message,
        "1 problem in the config: plan.caps[1].limit: expected a limit of at least 1 (to exempt a kind of action, leave it out of `applies_to`), found `0`"
    );
}

#[test]
fn quiet_hours_covering_the_whole_day_are_refused() {
    let message = config_error(|c| {
        if let Some(quiet) = c.quiet_hours.as_mut() {
            quiet.end = "21:00".to_owned();
        }
    });
    assert_eq!(
        message,
        "1 problem in the config: plan.quiet_hours: expected quiet hours shorter than a day (`start` and `end` differ), found `21:00–21:00`"
    );
}

#[test]
fn an_unknown_time_zone_names_its_path() {
    let message = config_error(|c| c.company_zone = "Asia/Shangai".to_owned());
    assert_eq!(
        message,
        "1 problem in the config: plan.company_zone: expected an IANA time-zone name such as `Asia/Shanghai`, found `Asia/Shangai`"
    );
}

#[test]
fn a_duplicate_holiday_date_names_its_path() {
    let message = config_error(|c| {
        c.holidays = serde_json::from_str(
            r#"[{"date": "2025-01-01", "name": "new year"}, {"date": "2025-10-01", "name": "national day"}, {"date": "2025-01-01", "name": "again"}]"#,
        )
        .unwrap_or_default();
    });
    assert_eq!(
        message,
        "1 problem in the config: plan.holidays[2].date: expected each date once (first at `plan.holidays[0]`), found `2025-01-01`"
    );
}

#[test]
fn a_playbook_condition_the_rules_engine_rejects_names_its_path() {
    let message = config_error(|c| c.playbooks[0].when = "tier == vip".to_owned());
    assert!(
        message.starts_with("1 problem in the config: plan.playbooks[0].when: "),
        "{message}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let message = config_error(|c| {
        c.caps[0].limit = 0;
        c.control.global = 0.9;
    });
    assert_eq!(
        message,
        "2 problems in the config: plan.caps[0].limit: expected a limit of at least 1 (to exempt a kind of action, leave it out of `applies_to`), found `0`; plan.control.global: expected a share from 0 to 0.5, found `0.9`"
    );
}

#[test]
fn unsorted_input_is_an_error() {
    let (planner, _) = Planner::new(&PlanConfig::reference(), &Vocabulary::reference())
        .unwrap_or_else(|e| panic!("{e}"));
    let as_of = Utc
        .with_ymd_and_hms(2025, 3, 3, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let profiles = vec![Profile::new(CustomerId(2)), Profile::new(CustomerId(1))];
    let customers = vec![Customer::new(CustomerId(2)), Customer::new(CustomerId(1))];
    let err = planner
        .plan(&PlanInput::new(as_of, &profiles, &customers))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("profiles row 1 is for customer `1` after customer `2`: expected rows ascending by customer id")
    );
    let err = planner
        .plan(&PlanInput::new(as_of, &profiles[..1], &[]))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("customer `2` has a profile but no customer record: expected one customer record per profile")
    );
}

#[test]
fn the_reference_plan_compiles_without_warnings() {
    let (planner, warnings) = Planner::new(&PlanConfig::reference(), &Vocabulary::reference())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(warnings.is_empty());
    assert_eq!(planner.action_names().count(), 22);
}

#[test]
fn every_config_problem_names_its_path() {
    type Edit = fn(&mut PlanConfig);
    let cases: Vec<(Edit, &str)> = vec![
        (|c| c.send_time = "10h".to_owned(), "plan.send_time: expected a local time `HH:MM`, found `10h`"),
        (|c| c.actions[14].name = String::new(), "plan.actions[14].name: expected a name, found an empty one"),
        (|c| c.actions[14].name = "archive".to_owned(), "plan.actions[14].name: duplicate name `archive`: first used at `plan.actions[13]`"),
        (|c| c.actions[0].channels = vec!["sms".to_owned(), "sms".to_owned()], "plan.actions[0].channels[1]: expected each channel once, found `sms`"),
        (|c| c.actions[5].cost = "20.00 USD".parse().ok(), "plan.actions[5].cost: expected a non-negative amount in `CNY`, the plan's currency, found `20.00 USD`"),
        (|c| c.playbooks[1].name = "high_value_care".to_owned(), "plan.playbooks[1].name: duplicate name `high_value_care`: first used at `plan.playbooks[0]`"),
        (|c| c.playbooks[0].holdout = 0.6, "plan.playbooks[0].holdout: expected a share from 0 to 0.5, found `0.6`"),
        (|c| c.triggers[0].action = "hello".to_owned(), "plan.triggers[0].action: expected an action of `plan.actions` (such as `account_manager`, `annual_care`, `archive`, `birthday_gift`, `complaint_result`, `complaint_revisit`), found `hello`"),
        (|c| c.triggers[6].on = patronage::plan::TriggerOn::Inactivity { days: 0, cancelled_by: Vec::new() }, "plan.triggers[6].on.inactivity.days: expected at least 1 day, found `0`"),
        (|c| c.triggers[7].on = patronage::plan::TriggerOn::MemberDay(31), "plan.triggers[7].on.member_day: expected a day of the month from 1 to 28 (every month has it), found `31`"),
        (|c| c.caps[0].window = patronage::plan::WindowDoc::RollingHours(0), "plan.caps[0].window.rolling_hours: expected from 1 to 8784, found `0`"),
        (|c| c.caps[0].channel = Some("pager".to_owned()), "plan.caps[0].channel: expected a channel (`sms`, `email`, `app_push`, `wechat` or `phone`), found `pager`"),
        (|c| if let Some(q) = c.quiet_hours.as_mut() { q.start = "25:00".to_owned() }, "plan.quiet_hours.start: expected a local time `HH:MM`, found `25:00`"),
        (|c| c.budgets = serde_json::from_str(r#"[{"name": "daily", "source": "nobody", "per_day": "10.00 CNY"}]"#).unwrap_or_default(), "plan.budgets[0].source: expected a playbook or trigger of the plan, found `nobody`"),
        (|c| c.archive.annual_care_days = 0, "plan.archive.annual_care_days: expected at least 1 day, found `0`"),
        (|c| c.control.salt = String::new(), "plan.control.salt: expected a non-empty salt, found `\"\"`"),
        (|c| c.risk_levels[0].name = String::new(), "plan.risk_levels[0].name: expected a name, found an empty one"),
        (|c| c.triggers[0].on = patronage::plan::TriggerOn::Event(String::new()), "plan.triggers[0].on.event: expected an event kind such as `first_order`, found ``"),
        (|c| c.triggers[7].on = patronage::plan::TriggerOn::Birthday { days_before: 400 }, "plan.triggers[7].on.birthday.days_before: expected at most 366 days, found `400`"),
        (|c| c.budgets = serde_json::from_str(r#"[{"name": "daily", "per_day": "10.00 USD"}]"#).unwrap_or_default(), "plan.budgets[0].per_day: expected a non-negative amount in `CNY`, the plan's currency, found `10.00 USD`"),
    ];
    for (edit, expected) in cases {
        let message = config_error(edit);
        assert_eq!(message, format!("1 problem in the config: {expected}"));
    }
}

#[test]
fn a_budget_sum_that_overflows_is_an_error() {
    let mut config: PlanConfig = serde_json::from_str(
        r#"{
            "actions": [{"name": "big", "purpose": "big", "kind": "marketing", "channels": ["email"], "template": "big",
                         "cost": "79228162514264337593543950335 CNY"}],
            "playbooks": [{"name": "everyone", "when": "frequency >= 0", "actions": ["big"]}],
            "budgets": [{"name": "daily", "per_day": "79228162514264337593543950335 CNY"}]
        }"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    config.quiet_hours = None;
    let (planner, _) =
        Planner::new(&config, &Vocabulary::reference()).unwrap_or_else(|e| panic!("{e}"));
    let as_of = Utc
        .with_ymd_and_hms(2025, 3, 3, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let profiles = vec![Profile::new(CustomerId(1)), Profile::new(CustomerId(2))];
    let customers: Vec<Customer> = (1..=2)
        .map(|id| {
            let mut c = Customer::new(CustomerId(id));
            c.consents.insert(Channel::Email, Consent::opted_in(as_of));
            c
        })
        .collect();
    let err = planner
        .plan(&PlanInput::new(as_of, &profiles, &customers))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("coupon costs of budget `daily` overflow: amounts must stay within ±79228162514264337593543950335")
    );
}

// ---- the shipped example scenarios ----------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleScenario {
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
    risk: Vec<RiskRow>,
    #[serde(default)]
    expected_value: Vec<ValueRow>,
}

fn run_example(text: &str) -> Plan {
    let scenario: ExampleScenario = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
    let (planner, _) =
        Planner::new(&scenario.config, &Vocabulary::reference()).unwrap_or_else(|e| panic!("{e}"));
    let risk: BTreeMap<CustomerId, RiskSignals> = scenario
        .risk
        .iter()
        .map(|r| (r.customer, r.signals))
        .collect();
    let values: BTreeMap<CustomerId, f64> = scenario
        .expected_value
        .iter()
        .map(|r| (r.customer, r.value))
        .collect();
    let input = PlanInput::new(scenario.as_of, &scenario.profiles, &scenario.customers)
        .with_history(&scenario.history)
        .with_events(&scenario.events)
        .with_risk(&risk)
        .with_expected_value(&values);
    planner.plan(&input).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_shipped_reference_day_plans_what_the_reference_policy_says() {
    let plan = run_example(include_str!("../examples/data/plan/reference_day.json"));
    let (actions, suppressed, _) = lines(&plan);
    // A new customer's first order: thanks at 09:00 Shanghai, the end of quiet hours.
    assert!(actions.contains(&"3 first_order_thanks sms 2025-03-03T01:00:00Z".to_owned()));
    // A complaint closed three days ago: the revisit is due today; the result notice of
    // that day has expired. Customer 7 is at high risk: manual review.
    assert!(actions.contains(&"7 complaint_revisit sms 2025-03-03T06:00:00Z review".to_owned()));
    assert!(!actions.iter().any(|a| a.contains("complaint_result")));
    let expected_suppressions = [
        "4 wake_up_message cancelled_by_event | event `order` at 2025-03-02T09:00:00+00:00 | -",
        "6 win_back_coupon archived | archived: annual care only | -",
        "7 win_back_coupon risk | high: no_coupons | -",
    ];
    for line in expected_suppressions {
        assert!(
            suppressed.contains(&line.to_owned()),
            "{line} in {suppressed:#?}"
        );
    }
    let planned: u64 = plan.summary.sources.iter().map(|s| s.planned).sum();
    assert_eq!(planned, plan.actions.len() as u64);
}

#[test]
fn the_shipped_caps_scenario_plans() {
    let plan = run_example(include_str!(
        "../examples/data/plan/caps_and_quiet_hours.json"
    ));
    let (actions, suppressed, held) = lines(&plan);
    assert_eq!(actions, vec!["2 promo sms 2025-03-03T13:30:00Z"]);
    assert!(suppressed
        .contains(&"4 thanks quiet_hours | quiet hours (skip) | 2025-03-03T14:00:00Z".to_owned()));
    assert_eq!(held, vec!["3 news weekly_news"]);
    assert_eq!(plan.warnings.len(), 1);
}

#[test]
fn the_upgrade_nudge_carries_the_distance_to_the_next_level() {
    let (planner, _) = Planner::new(&PlanConfig::reference(), &Vocabulary::reference())
        .unwrap_or_else(|e| panic!("{e}"));
    let as_of = Utc
        .with_ymd_and_hms(2025, 3, 3, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let profiles: Vec<Profile> = serde_json::from_str(
        r#"[
            {"customer": 1, "tier": "mid_value_active", "vip_distance": {"next_level": "gold", "amount": "300", "purchases_at_aov": 1}},
            {"customer": 2, "tier": "mid_value_active", "vip_distance": {"next_level": "gold", "amount": "3000", "purchases_at_aov": 9}}
        ]"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let customers: Vec<Customer> = (1..=2)
        .map(|id| {
            let mut c = Customer::new(CustomerId(id));
            c.consents
                .insert(Channel::AppPush, Consent::opted_in(as_of));
            c
        })
        .collect();
    let plan = planner
        .plan(&PlanInput::new(as_of, &profiles, &customers))
        .unwrap_or_else(|e| panic!("{e}"));
    let (actions, suppressed, _) = lines(&plan);
    // One purchase from gold: the nudge outranks the recommendation for the day's slot.
    assert_eq!(
        actions,
        vec![
            "1 upgrade_nudge app_push 2025-03-03T10:00:00Z",
            "2 recommendation app_push 2025-03-03T10:00:00Z"
        ]
    );
    assert_eq!(
        plan.actions[0]
            .vip_distance
            .as_ref()
            .map(|d| (d.next_level.as_str(), d.purchases_at_aov)),
        Some(("gold", Some(1)))
    );
    assert!(plan.actions[1].vip_distance.is_none());
    assert_eq!(
        suppressed,
        vec!["1 recommendation cap | plan.caps[0] | 2025-03-04T00:00:00Z"]
    );
}

#[test]
fn a_control_group_over_15_percent_is_a_warning() {
    let mut config = PlanConfig::reference();
    config.playbooks[0].holdout = 0.3;
    let (_, warnings) =
        Planner::new(&config, &Vocabulary::reference()).unwrap_or_else(|e| panic!("{e}"));
    let messages: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        vec!["plan.playbooks[0].holdout: expected a share of at most 0.15, so that most of the audience is treated, found `0.3` (warning)"]
    );
}

#[test]
fn a_risk_condition_the_rules_engine_rejects_names_its_path() {
    let message = config_error(|c| c.risk_levels[0].when = "credit >= ".to_owned());
    assert!(
        message.starts_with("1 problem in the config: plan.risk_levels[0].when: "),
        "{message}"
    );
}
