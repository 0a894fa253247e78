//! Benchmarks: service.
//!
//! `service/replay/1m_events` replays 1,000,000 case events of 200,000 cases (five
//! events each, over 30 days, in time order as a log would hold them) and evaluates
//! every SLA clock, escalation and follow-up at `as_of`. Cases are 60% inquiries
//! (10% of them chatbot-first), 25% after-sales requests under a business-hours
//! policy (Asia/Shanghai, Mon–Fri 09:00–18:00, holidays) and 15% complaints; their
//! event paths wait on the customer, answer next replies, wait on third parties and
//! promise answers, and half are still open at `as_of`. Under
//! `cargo bench -- --test` it is 20,000 events, so the check suite stays fast.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, Throughput};
use patronage::service::{
    AfterSalesCategory, CaseEvent, CaseId, CaseType, EventKind, Handler, InquiryCategory, Opening,
    Priority, Scope, ServiceDoc, ServicePolicy,
};
use patronage::CustomerId;

/// A deterministic 64-bit LCG (Knuth's MMIX constants), as in the facts benchmark.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 16
    }
}

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_730_419_200, 0).expect("2024-11-01T00:00:00Z")
}

fn policy_doc() -> ServiceDoc {
    let mut doc = ServiceDoc::reference();
    "Asia/Shanghai".clone_into(&mut doc.zone);
    doc.schedules.push(
        toml::from_str(
            r#"
            name = "office"
            zone = "Asia/Shanghai"
            windows = [{ days = ["mon", "tue", "wed", "thu", "fri"], open = "09:00", close = "18:00" }]
            holidays = ["2024-11-11", "01-01", "10-01"]
            "#,
        )
        .expect("schedule"),
    );
    doc.policies.insert(
        1,
        toml::from_str(
            r#"
            name = "after_sales"
            when = "case_type == after_sales"
            schedule = "office"
            targets = [
                { metric = "first_response", within = "2h", hours = "business" },
                { metric = "resolution", within = "16h", hours = "business", escalations = [
                    { level = "warning", at = "-2h" },
                    { level = "breach", at = "0m" },
                    { level = "management", at = "8h" },
                ] },
            ]
            "#,
        )
        .expect("policy"),
    );
    doc
}

/// Five events per case, in time order across cases.
fn events(n_cases: u64) -> Vec<CaseEvent> {
    let mut rng = Lcg(7);
    let mut events = Vec::with_capacity(n_cases as usize * 5);
    for case in 0..n_cases {
        let mut at = start() + TimeDelta::seconds((rng.next() % (30 * 86_400)) as i64);
        let case_type = match rng.next() % 100 {
            0..=59 => CaseType::Inquiry {
                category: [
                    InquiryCategory::Product,
                    InquiryCategory::Order,
                    InquiryCategory::AfterSales,
                    InquiryCategory::Other,
                ][(rng.next() % 4) as usize],
            },
            60..=84 => CaseType::AfterSales {
                category: AfterSalesCategory::ReturnExchange,
                order: None,
                delivered: Some(at - TimeDelta::days((rng.next() % 12) as i64)),
            },
            _ => CaseType::Complaint {
                category: "logistics_delay".to_owned(),
                severity: "major".to_owned(),
                scope: if rng.next() % 50 == 0 {
                    Scope::Group
                } else {
                    Scope::Individual
                },
                order: None,
            },
        };
        let handler = if rng.next() % 10 == 0 {
            Handler::Chatbot
        } else {
            Handler::Human
        };
        let opening = Opening {
            customer: CustomerId(rng.next() % 100_000),
            case_type,
            priority: Priority::Normal,
            handler,
            channel: None,
            linked_to: None,
            attributes: BTreeMap::new(),
        };
        let mut kinds = vec![EventKind::Opened(Box::new(opening))];
        kinds.extend(match rng.next() % 4 {
            0 => [
                EventKind::Acknowledge,
                EventKind::WaitOnCustomer,
                EventKind::CustomerReply,
                EventKind::Resolve { cause: None },
            ],
            1 => [
                EventKind::AgentReply,
                EventKind::CustomerReply,
                EventKind::AgentReply,
                EventKind::Resolve {
                    cause: Some("carrier".to_owned()),
                },
            ],
            2 => [
                EventKind::Acknowledge,
                EventKind::WaitOnThirdParty,
                EventKind::StartWork,
                EventKind::AgentReply,
            ],
            _ => [
                EventKind::PromiseAnswer {
                    by: at + TimeDelta::hours(30),
                },
                EventKind::AgentReply,
                EventKind::CustomerReply,
                EventKind::AgentReply,
            ],
        });
        for (idx, kind) in kinds.into_iter().enumerate() {
            if idx > 0 {
                at += TimeDelta::seconds((60 + rng.next() % (8 * 3600)) as i64);
            }
            events.push(CaseEvent {
                id: case * 5 + idx as u64,
                case: CaseId(case),
                at,
                kind,
            });
        }
    }
    events.sort_by_key(|e| (e.at, e.id));
    events
}

pub(crate) fn define(c: &mut Criterion) {
    let quick = std::env::args().any(|a| a == "--test");
    let (n_cases, label) = if quick {
        (4_000, "20k_events")
    } else {
        (200_000, "1m_events")
    };
    let doc = policy_doc();
    let log = events(n_cases);
    let as_of = log.last().map(|e| e.at).expect("events") + TimeDelta::days(1);

    let mut group = c.benchmark_group("service");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(if quick { 1 } else { 20 }));

    group.bench_function("compile/reference_and_business_hours", |b| {
        b.iter(|| {
            let policy = ServicePolicy::compile(black_box(&doc)).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(policy.policy_names().count(), 4);
            policy
        });
    });

    let policy = ServicePolicy::compile(&doc).unwrap_or_else(|e| panic!("{e}"));
    group.throughput(Throughput::Elements(log.len() as u64));
    group.bench_function(format!("replay/{label}"), |b| {
        b.iter(|| {
            let cases = policy
                .replay(black_box(&log), as_of)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(cases.len(), n_cases as usize);
            let clocks: usize = cases.iter().map(|case| case.clocks.len()).sum();
            assert!(clocks >= 2 * n_cases as usize);
            cases
        });
    });
    group.finish();
}
