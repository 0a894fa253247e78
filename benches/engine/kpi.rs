//! Benchmarks: kpi. `kpi/scorecards/full/10m` computes every team and per-person
//! scorecard of a quarter (Q4 2024, Asia/Shanghai) from 10,000,000 survey responses,
//! 10,000,000 orders of 2,000,000 customers over two years (so the same quarter last
//! year and the activity windows are filled), 200,000 handled cases of 200 agents and
//! 2,000,000 operator assignments, generated here with a fixed seed. Under
//! `cargo bench -- --test` it runs on 20,000 responses and orders instead, so the check
//! suite stays fast.

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, Throughput};
use patronage::kpi::{
    scorecards, CaseId, CaseKind, Closure, HandledCase, Period, Resolution, ResponseId, Sample,
    SatisfactionDimension, Scale, ScorecardInputs, ScorecardSpec, StaffId, SurveyResponse,
};
use patronage::{Currency, CustomerId, Money, Order, OrderId, OrderStatus};
use rust_decimal::Decimal;

/// SplitMix64: a small, fixed-seed generator, so every run sees the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Data {
    responses: Vec<SurveyResponse>,
    orders: Vec<Order>,
    cases: Vec<HandledCase>,
    assignments: Vec<(CustomerId, StaffId)>,
}

fn instant(start: DateTime<Utc>, span_seconds: u64, rng: &mut Rng) -> DateTime<Utc> {
    start + chrono::Duration::seconds(rng.below(span_seconds) as i64)
}

fn generate(n_responses: usize, n_orders: usize, n_customers: u64) -> Data {
    let mut rng = Rng(0x5EED_0011);
    let two_years_ago = Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap();
    let half_year_ago = Utc.with_ymd_and_hms(2024, 7, 1, 0, 0, 0).unwrap();
    let two_years = 731 * 86_400;
    let half_year = 184 * 86_400;
    let mut orders = Vec::with_capacity(n_orders);
    for i in 0..n_orders {
        // Skewed customers: a quarter of the orders from 5% of the customers.
        let customer = if rng.below(4) == 0 {
            rng.below(n_customers / 20)
        } else {
            rng.below(n_customers)
        };
        let cents = 100 + rng.below(49_900) as i64;
        let status = match rng.below(100) {
            0..=3 => OrderStatus::Cancelled,
            4..=5 => OrderStatus::Refunded,
            6..=7 => OrderStatus::PartiallyRefunded {
                refunded: Decimal::new(cents / 2, 2),
            },
            _ => OrderStatus::Paid,
        };
        orders.push(Order::new(
            OrderId(i as u64),
            CustomerId(customer),
            instant(two_years_ago, two_years, &mut rng),
            Money::new(Decimal::new(cents, 2), Currency::CNY),
            status,
        ));
    }
    let mut responses = Vec::with_capacity(n_responses);
    for i in 0..n_responses {
        let (scale, score) = match rng.below(3) {
            0 => (Scale::Csat, 1 + rng.below(5) as u8),
            1 => (Scale::Nps, rng.below(11) as u8),
            _ => (Scale::Ces, 1 + rng.below(7) as u8),
        };
        let mut response = SurveyResponse::new(
            ResponseId(i as u64),
            CustomerId(rng.below(n_customers)),
            instant(half_year_ago, half_year, &mut rng),
            scale,
            score,
        );
        response.dimension = SatisfactionDimension::ALL[rng.below(4) as usize];
        if rng.below(2) == 0 {
            response.agent = Some(StaffId(rng.below(200)));
        }
        responses.push(response);
    }
    let n_cases = (n_responses / 50).max(100);
    let mut cases = Vec::with_capacity(n_cases);
    for i in 0..n_cases {
        let created = instant(half_year_ago, half_year, &mut rng);
        let kind = match rng.below(10) {
            0..=3 => CaseKind::Inquiry,
            4..=6 => CaseKind::AfterSales,
            7..=8 => CaseKind::Complaint,
            _ => CaseKind::Feedback,
        };
        let mut case = HandledCase::new(
            CaseId(i as u64),
            CustomerId(rng.below(n_customers)),
            kind,
            created,
        );
        case.agent = Some(StaffId(rng.below(200)));
        case.first_response_at = Some(created + chrono::Duration::seconds(rng.below(1_800) as i64));
        if rng.below(10) < 9 {
            let resolved = created + chrono::Duration::minutes(rng.below(3 * 1_440) as i64);
            case.resolved_at = Some(resolved);
            case.closed = Some(Closure {
                at: resolved + chrono::Duration::hours(1),
                resolution: if rng.below(10) < 8 {
                    Resolution::Confirmed
                } else {
                    Resolution::Unconfirmed
                },
            });
            case.contacts = 1 + rng.below(3) as u32;
            case.led_to_optimisation = Some(rng.below(3) == 0);
        }
        cases.push(case);
    }
    let assignments = (0..n_customers)
        .map(|c| (CustomerId(c), StaffId(1_000 + c % 50)))
        .collect();
    Data {
        responses,
        orders,
        cases,
        assignments,
    }
}

pub(crate) fn define(c: &mut Criterion) {
    let quick = std::env::args().any(|a| a == "--test");
    let (n, n_customers, label) = if quick {
        (20_000, 4_000, "20k")
    } else {
        (10_000_000, 2_000_000, "10m")
    };
    let data = generate(n, n, n_customers);
    let period = Period::quarter(2024, 4, chrono_tz::Asia::Shanghai).unwrap();
    let as_of = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let spec = ScorecardSpec::new(period, as_of, Currency::CNY);
    let inputs = ScorecardInputs::new(
        &data.responses,
        &data.orders,
        &data.cases,
        &data.assignments,
    );
    // The expected CSAT sample, counted plainly.
    let csat_answers = data
        .responses
        .iter()
        .filter(|r| r.scale == Scale::Csat && period.contains(r.at))
        .count() as u64;

    let mut group = c.benchmark_group("kpi");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(if quick { 1 } else { 30 }));
    group.throughput(Throughput::Elements((2 * n) as u64));
    group.bench_function(format!("scorecards/full/{label}"), |b| {
        b.iter(|| {
            let cards =
                scorecards(black_box(&inputs), black_box(&spec)).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                cards.service.csat.sample(),
                Sample::Observations { n: csat_answers }
            );
            assert_eq!(cards.agents.len(), 200);
            assert_eq!(cards.operators.len(), 50);
            cards
        });
    });
    group.finish();
}
