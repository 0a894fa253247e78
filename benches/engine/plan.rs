//! Benchmarks: plan.
//!
//! `plan/day/1m` plans one day for 1,000,000 customers with the reference plan (SPEC R8
//! playbooks, R15 triggers, §8 contact defaults): the segmentation is known (profiles
//! spread over the reference tiers), each customer has five contact-history rows (5M
//! rows over the last 60 days) and consents on two or three channels, a quarter have a
//! time zone of their own, one in fifty an event of the day. One core. Under
//! `cargo bench -- --test` the population is 20,000 customers, so the check suite stays
//! fast. The plan's serialised size per customer is printed once.

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::Criterion;
use patronage::plan::{ContactRecord, Event, PlanConfig, PlanInput, Planner, Profile, Vocabulary};
use patronage::{Channel, Consent, Customer, CustomerId};

pub(crate) fn define(c: &mut Criterion) {
    let quick = std::env::args().any(|a| a == "--test");
    let (n_customers, label) = if quick {
        (20_000, "20k")
    } else {
        (1_000_000, "1m")
    };
    let as_of = Utc
        .with_ymd_and_hms(2025, 3, 3, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let (planner, _) = Planner::new(&PlanConfig::reference(), &Vocabulary::reference())
        .unwrap_or_else(|e| panic!("{e}"));
    let base = Base::generate(as_of, n_customers);
    let input = PlanInput::new(as_of, &base.profiles, &base.customers)
        .with_history(&base.history)
        .with_events(&base.events);

    let plan = planner.plan(&input).unwrap_or_else(|e| panic!("{e}"));
    let bytes = serde_json::to_vec(&plan).map_or(0, |v| v.len());
    println!(
        "plan/day/{label}: {} planned, {} suppressed, {} history rows, {:.0} bytes of JSON per customer",
        plan.actions.len(),
        plan.suppressed.len(),
        base.history.len(),
        bytes as f64 / n_customers as f64
    );

    let mut group = c.benchmark_group("plan");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(if quick { 1 } else { 20 }));
    group.bench_function("compile/reference", |b| {
        b.iter(|| {
            let (planner, warnings) = Planner::new(
                black_box(&PlanConfig::reference()),
                &Vocabulary::reference(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            assert!(warnings.is_empty());
            planner
        });
    });
    group.bench_function(format!("day/{label}"), |b| {
        b.iter(|| {
            let plan = planner
                .plan(black_box(&input))
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(plan.actions.len() > n_customers / 4);
            plan
        });
    });
    group.finish();
}

/// A generated customer base.
struct Base {
    profiles: Vec<Profile>,
    customers: Vec<Customer>,
    history: Vec<ContactRecord>,
    events: Vec<Event>,
}

const TIERS: [&str; 8] = [
    "high_value_active",
    "mid_value_active",
    "new",
    "dormant",
    "churned",
    "low_value",
    "potential",
    "registered",
];
const PAST_ACTIONS: [&str; 6] = [
    "recommendation",
    "upgrade_nudge",
    "return_incentive",
    "wake_up_message",
    "win_back_coupon",
    "satisfaction_follow_up",
];
const EVENTS: [&str; 4] = ["registration", "first_order", "order", "complaint_closed"];

impl Base {
    fn generate(as_of: DateTime<Utc>, n_customers: usize) -> Base {
        let mut state = 0x5eed_u64;
        let mut profiles = Vec::with_capacity(n_customers);
        let mut customers = Vec::with_capacity(n_customers);
        let mut history = Vec::with_capacity(5 * n_customers);
        let mut events = Vec::new();
        for idx in 0..n_customers {
            let id = CustomerId(idx as u64 + 1);
            let draw = next(&mut state);
            let mut profile = Profile::new(id);
            profile.tier = Some(TIERS[(draw % 8) as usize].to_owned());
            profile.recency_days = Some(((draw >> 8) % 400) as u32);
            profile.frequency = ((draw >> 20) % 6) as u32;
            profiles.push(profile);

            let mut customer = Customer::new(id);
            for (bit, channel) in Channel::ALL.iter().enumerate() {
                if (draw >> (32 + bit)) & 1 == 1 || bit == 1 {
                    customer.consents.insert(*channel, Consent::opted_in(as_of));
                }
            }
            if (draw >> 40) % 4 == 0 {
                customer.time_zone = Some(chrono_tz::America::New_York);
            }
            customers.push(customer);

            for _ in 0..5 {
                let row = next(&mut state);
                history.push(ContactRecord {
                    customer: id,
                    action: PAST_ACTIONS[(row % 6) as usize].to_owned(),
                    channel: Some(Channel::ALL[((row >> 8) % 5) as usize]),
                    at: as_of - chrono::Duration::minutes(((row >> 16) % (60 * 1440)) as i64 + 1),
                });
            }
            if (draw >> 50).trailing_zeros() >= 6 {
                events.push(Event {
                    customer: id,
                    kind: EVENTS[((draw >> 56) % 4) as usize].to_owned(),
                    at: as_of - chrono::Duration::minutes(90),
                });
            }
        }
        Base {
            profiles,
            customers,
            history,
            events,
        }
    }
}

/// SplitMix64: a fixed-seed stream, so every run benchmarks the same base.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
