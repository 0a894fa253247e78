//! Integration tests: kpi (worked examples computed by hand, published interval
//! examples, error messages, scorecards, and properties: rates in range, parts within
//! wholes, shard-by-customer merging, intervals containing their estimates).

// Worked examples compare exactly representable results (0.5, 30.0, 0.125).
#![allow(clippy::float_cmp)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use patronage::kpi::{
    adjusted_wald_nps, lift_by_playbook, newcombe, sample_size_mean, sample_size_nps,
    sample_size_proportion, scorecards, t_interval, t_value, wilson, Assessment, CaseId, CaseKind,
    CaseOptions, CaseTally, Closure, Conversions, EarlyWarning, Group, HandledCase, Kpi,
    KpiErrorKind, KpiName, Lift, LiftVerdict, OrderOptions, OrderTally, Period, PlanOutcome,
    Resolution, ResponseId, Sample, SatisfactionDimension, Scale, ScoreCounts, ScorecardInputs,
    ScorecardSpec, SlaMetric, SlaResult, StaffId, Statistic, Status, SurveyResponse, SurveyTally,
    Targets, TargetsDocument, TimeBasis, Unit, Verdict, Watch,
};
use patronage::{Currency, CustomerId, Money, Order, OrderId, OrderStatus};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde::Deserialize;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn order(id: u64, customer: u64, at: DateTime<Utc>, amount: &str) -> Order {
    Order::new(
        OrderId(id),
        CustomerId(customer),
        at,
        amount.parse().unwrap(),
        OrderStatus::Paid,
    )
}

fn response(id: u64, customer: u64, at: DateTime<Utc>, scale: Scale, score: u8) -> SurveyResponse {
    SurveyResponse::new(ResponseId(id), CustomerId(customer), at, scale, score)
}

fn complaint(id: u64, created: DateTime<Utc>, resolved: Option<DateTime<Utc>>) -> HandledCase {
    let mut case = HandledCase::new(CaseId(id), CustomerId(id), CaseKind::Complaint, created);
    case.resolved_at = resolved;
    case
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

// ---- worked examples ----------------------------------------------------------

#[test]
fn nps_of_50_promoters_30_passives_20_detractors_is_30() {
    // 100 answers: 50 promoters (9–10), 30 passives (7–8), 20 detractors (0–6).
    // NPS = 100 × (50 − 20) / 100 = 30.
    let mut counts = ScoreCounts::new(Scale::Nps);
    counts.add_many(9, 25).unwrap();
    counts.add_many(10, 25).unwrap();
    counts.add_many(7, 15).unwrap();
    counts.add_many(8, 15).unwrap();
    counts.add_many(0, 10).unwrap();
    counts.add_many(6, 10).unwrap();
    let nps = counts.nps(&Targets::reference()).unwrap();
    assert_eq!(nps.value(), Some(30.0));
    assert_eq!(nps.sample(), Sample::Observations { n: 100 });
    assert_eq!(nps.unit(), Unit::NetScore);
    assert_eq!(nps.verdict(), Verdict::Missed);
    assert!(!nps.is_small_sample());
    // Adjusted Wald: n′ = 103, p′ = 50.75/103 = 0.49272, d′ = 20.75/103 = 0.20146,
    // NPS′ = 0.29126, Var = 0.69417 − 0.29126² = 0.60934, half-width = 1.95996 ×
    // √(0.60934/103) = 0.15075 → 14.05 to 44.20.
    let ci = nps.interval().unwrap();
    assert_eq!((round(ci.lower, 1), round(ci.upper, 1)), (14.1, 44.2));
    assert_eq!(
        nps.to_string(),
        "NPS 30 (95% CI 14–44, n = 100) — target 50, missed"
    );
}

#[test]
fn wilson_9_of_10_is_0_596_to_0_982() {
    // p̂ = 0.9, z = 1.95996, z² = 3.84146, n = 10.
    // denominator 1 + z²/n = 1.384146; centre (0.9 + 0.192073) / 1.384146 = 0.788987;
    // half-width 1.95996 / 1.384146 × √(0.9 × 0.1 / 10 + 3.84146 / 400)
    //          = 1.416006 × √(0.009 + 0.009604) = 1.416006 × 0.136396 = 0.193137;
    // interval 0.595850 to 0.982124.
    let ci = wilson(9, 10, 0.95).unwrap().unwrap();
    assert_eq!((round(ci.lower, 3), round(ci.upper, 3)), (0.596, 0.982));
    assert!((ci.lower - 0.595_850).abs() < 1e-6 && (ci.upper - 0.982_124).abs() < 1e-6);
}

#[test]
fn complaint_timeliness_excludes_pending_complaints() {
    let period = Period::month(2024, 5, Tz::UTC).unwrap();
    let as_of = utc(2024, 5, 31, 12, 0);
    let cases = [
        // A: received 1 May 10:00, resolved 10 h later → due, timely.
        complaint(1, utc(2024, 5, 1, 10, 0), Some(utc(2024, 5, 1, 20, 0))),
        // B: received 2 May, resolved after 2 days → due, late.
        complaint(2, utc(2024, 5, 2, 9, 0), Some(utc(2024, 5, 4, 9, 0))),
        // C: received 30 May 09:00, still open; its 24 h ended 31 May 09:00 → due, late.
        complaint(3, utc(2024, 5, 30, 9, 0), None),
        // D: received 31 May 08:00, open, 4 h old → pending, not counted.
        complaint(4, utc(2024, 5, 31, 8, 0), None),
        // E: received 31 May 06:00, resolved 1 h later → due, timely.
        complaint(5, utc(2024, 5, 31, 6, 0), Some(utc(2024, 5, 31, 7, 0))),
        // F: received 30 April → another period.
        complaint(6, utc(2024, 4, 30, 9, 0), Some(utc(2024, 4, 30, 10, 0))),
        // G: received 31 May 10:00, resolved 1 June (after `as_of`) → still pending.
        complaint(7, utc(2024, 5, 31, 10, 0), Some(utc(2024, 6, 1, 9, 0))),
        // H: received 3 May 12:00, resolved exactly 24 h later → timely (bound inclusive).
        complaint(8, utc(2024, 5, 3, 12, 0), Some(utc(2024, 5, 4, 12, 0))),
    ];
    // Due: A, B, C, E, H = 5; timely: A, E, H = 3; pending: D, G = 2.
    // Timeliness = 3 / 5 = 60%.
    let tally = CaseTally::from_cases(&cases, &period, as_of, CaseOptions::default()).unwrap();
    let kpi = tally.complaint_timeliness(&Targets::reference()).unwrap();
    assert_eq!(
        kpi.sample(),
        Sample::Ratio {
            numerator: 3,
            denominator: 5
        }
    );
    assert_eq!(kpi.value(), Some(0.6));
    assert_eq!(tally.complaints_pending(), 2);
    assert_eq!(kpi.verdict(), Verdict::Missed);
    assert_eq!(
        kpi.to_string(),
        "complaint timeliness 60.0% (95% CI 23.1–88.2%, 3 of 5, small sample) — target 95.0%, missed"
    );
}

#[test]
fn lift_across_a_leap_year() {
    // February 2025 (28 days) against February 2024 (29 days, whole).
    let period = Period::month(2025, 2, Tz::UTC).unwrap();
    let last_year = period.same_period_last_year().unwrap();
    assert_eq!(last_year.last_date(), date(2024, 2, 29));
    let orders = [
        // 2024: customer 1 buys on 3 and 29 February (a repeat customer only thanks to
        // the 29th); customers 2, 3, 4 once. Retention r₀ = 1/4 = 0.25.
        // Spend 100 + 100 + 50 + 50 + 100 = 400 over 5 purchases: AOV₀ = 80.
        order(1, 1, utc(2024, 2, 3, 12, 0), "100 CNY"),
        order(2, 1, utc(2024, 2, 29, 23, 59), "100 CNY"),
        order(3, 2, utc(2024, 2, 10, 12, 0), "50 CNY"),
        order(4, 3, utc(2024, 2, 11, 12, 0), "50 CNY"),
        order(5, 4, utc(2024, 2, 12, 12, 0), "100 CNY"),
        // Not February 2024: 1 March 00:00.
        order(6, 2, utc(2024, 3, 1, 0, 0), "100 CNY"),
        // 2025: customers 1 and 2 twice, 3 and 4 once: r = 2/4 = 0.5.
        // Six purchases of 90: AOV = 90.
        order(7, 1, utc(2025, 2, 1, 0, 0), "90 CNY"),
        order(8, 1, utc(2025, 2, 28, 23, 59), "90 CNY"),
        order(9, 2, utc(2025, 2, 5, 12, 0), "90 CNY"),
        order(10, 2, utc(2025, 2, 6, 12, 0), "90 CNY"),
        order(11, 3, utc(2025, 2, 7, 12, 0), "90 CNY"),
        order(12, 4, utc(2025, 2, 8, 12, 0), "90 CNY"),
    ];
    let tally =
        OrderTally::from_orders(&orders, &period, OrderOptions::new(Currency::CNY)).unwrap();
    let targets = Targets::reference();
    // Repurchase lift = (0.5 − 0.25) / 0.25 = +100%.
    let lift = tally.repurchase_lift(&targets);
    assert_eq!(lift.value(), Some(1.0));
    assert_eq!(lift.verdict(), Verdict::Met);
    // AOV lift = (90 − 80) / 80 = +12.5%.
    let aov = tally.aov_lift(&targets);
    assert_eq!(aov.value(), Some(0.125));
    assert_eq!(
        aov.to_string(),
        "AOV lift +12.5% (n = 6 vs 5, small sample) — target +8.0%, met"
    );
    assert_eq!(tally.previous().purchases, 5);
    assert_eq!(tally.previous().net_spend.to_string(), "400 CNY");

    // A custom range ending on 29 February maps to one ending on 28 February.
    let custom = Period::custom(date(2024, 2, 1), date(2024, 2, 29), Tz::UTC).unwrap();
    assert_eq!(
        custom.same_period_last_year().unwrap().to_string(),
        "2023-02-01..=2023-02-28"
    );
    // The year 2024 (366 days) against 2023 (365 days).
    let year = Period::year(2024, Tz::UTC).unwrap();
    assert_eq!(year.days(), 366);
    assert_eq!(year.same_period_last_year().unwrap().days(), 365);
}

#[test]
fn lift_in_the_company_zone() {
    // In Shanghai (UTC+8), 29 February 2024 17:00 UTC is already 1 March.
    let period = Period::month(2025, 2, chrono_tz::Asia::Shanghai).unwrap();
    let orders = [
        order(1, 1, utc(2024, 2, 3, 12, 0), "100 CNY"),
        order(2, 1, utc(2024, 2, 29, 17, 0), "100 CNY"),
        order(3, 1, utc(2025, 2, 3, 12, 0), "100 CNY"),
    ];
    let tally =
        OrderTally::from_orders(&orders, &period, OrderOptions::new(Currency::CNY)).unwrap();
    assert_eq!(tally.previous().purchases, 1);
    assert_eq!(tally.previous().repeat_customers, 0);
    // r₀ = 0: the lift has no value, and says so.
    let lift = tally.repurchase_lift(&Targets::reference());
    assert_eq!(lift.value(), None);
    assert_eq!(lift.verdict(), Verdict::NotEnoughData);
}

#[test]
fn lift_interval_matches_newcombe_1998() {
    // Newcombe (1998), Table II, method 10: (a) 56/70 − 48/80 = 0.2000, 0.0524 to 0.3339.
    let lift = Lift::new(
        Conversions {
            converted: 56,
            customers: 70,
        },
        Conversions {
            converted: 48,
            customers: 80,
        },
        0.95,
    )
    .unwrap();
    let ci = lift.interval().unwrap();
    assert_eq!((round(ci.lower, 4), round(ci.upper, 4)), (0.0524, 0.3339));
    assert!((lift.difference().unwrap() - 0.2).abs() < 1e-12);
    assert_eq!(lift.verdict(), LiftVerdict::Positive);
}

// ---- data-driven interval cases -----------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntervalCases {
    wilson: Vec<WilsonCase>,
    nps: Vec<NpsCase>,
    newcombe: Vec<NewcombeCase>,
    t: Vec<TCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WilsonCase {
    name: String,
    successes: u64,
    trials: u64,
    confidence: f64,
    lower: f64,
    upper: f64,
    #[allow(dead_code)]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NpsCase {
    name: String,
    promoters: u64,
    detractors: u64,
    answers: u64,
    confidence: f64,
    lower: f64,
    upper: f64,
    #[allow(dead_code)]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewcombeCase {
    name: String,
    successes_1: u64,
    trials_1: u64,
    successes_2: u64,
    trials_2: u64,
    confidence: f64,
    lower: f64,
    upper: f64,
    #[allow(dead_code)]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TCase {
    df: u64,
    confidence: f64,
    value: f64,
}

fn interval_cases() -> IntervalCases {
    toml::from_str(include_str!("data/kpi/intervals.toml")).unwrap()
}

#[test]
fn interval_cases_from_the_table() {
    let cases = interval_cases();
    for c in &cases.wilson {
        let ci = wilson(c.successes, c.trials, c.confidence)
            .unwrap()
            .unwrap();
        assert!(
            (ci.lower - c.lower).abs() <= 5e-4 && (ci.upper - c.upper).abs() <= 5e-4,
            "{}: {ci:?}",
            c.name
        );
    }
    for c in &cases.nps {
        let ci = adjusted_wald_nps(c.promoters, c.detractors, c.answers, c.confidence)
            .unwrap()
            .unwrap();
        assert!(
            (ci.lower - c.lower).abs() <= 0.05 && (ci.upper - c.upper).abs() <= 0.05,
            "{}: {ci:?}",
            c.name
        );
    }
    for c in &cases.newcombe {
        let ci = newcombe(
            c.successes_1,
            c.trials_1,
            c.successes_2,
            c.trials_2,
            c.confidence,
        )
        .unwrap()
        .unwrap();
        assert!(
            (ci.lower - c.lower).abs() <= 5e-5 && (ci.upper - c.upper).abs() <= 5e-5,
            "{}: {ci:?}",
            c.name
        );
    }
    for c in &cases.t {
        let t = t_value(c.confidence, c.df).unwrap();
        assert!(
            (t - c.value).abs() <= 5e-7,
            "df {} at {}: {t}",
            c.df,
            c.confidence
        );
    }
}

#[test]
fn sample_sizes_match_the_reference_table() {
    // z = 1.95996: 1.95996² × 0.25 / 0.05² = 384.1 → 385; / 0.03² = 1067.1 → 1068;
    // / 0.10² = 96.04 → 97.
    assert_eq!(sample_size_proportion(0.05, 0.5, 0.95).unwrap(), 385);
    assert_eq!(sample_size_proportion(0.03, 0.5, 0.95).unwrap(), 1068);
    assert_eq!(sample_size_proportion(0.10, 0.5, 0.95).unwrap(), 97);
    // NPS, ±10 points: 384.15 × 1 − 3 = 381.1 → 382; P = 50%, D = 20%: Var = 0.7 −
    // 0.09 = 0.61, 384.15 × 0.61 − 3 = 231.3 → 232; ±5 points: 1534 and 935.
    assert_eq!(sample_size_nps(10.0, 0.5, 0.5, 0.95).unwrap(), 382);
    assert_eq!(sample_size_nps(10.0, 0.5, 0.2, 0.95).unwrap(), 232);
    assert_eq!(sample_size_nps(5.0, 0.5, 0.5, 0.95).unwrap(), 1534);
    assert_eq!(sample_size_nps(5.0, 0.5, 0.2, 0.95).unwrap(), 935);
    assert_eq!(sample_size_mean(0.1, 1.0, 0.95).unwrap(), 385);
}

#[test]
fn t_interval_of_a_csat_mean() {
    // Answers 5, 5, 4, 4, 3 (n = 5): mean 4.2; Σ(x − x̄)² = 0.64 + 0.64 + 0.04 + 0.04 +
    // 1.44 = 2.8, sd = √(2.8 / 4) = 0.83666; t(4) = 2.776445; half-width 2.776445 ×
    // 0.83666 / √5 = 1.03885 → 3.16115 to 5.23885.
    let mut counts = ScoreCounts::new(Scale::Csat);
    for score in [5, 5, 4, 4, 3] {
        counts.add(score).unwrap();
    }
    let csat = counts.csat_mean(&Targets::reference()).unwrap();
    assert!((csat.value().unwrap() - 4.2).abs() < 1e-12);
    let ci = csat.interval().unwrap();
    assert!((ci.lower - 3.161_15).abs() < 1e-5 && (ci.upper - 5.238_85).abs() < 1e-5);
    assert_eq!(
        csat.to_string(),
        "CSAT 4.20 (95% CI 3.16–5.24, n = 5, small sample) — target 4.50, missed"
    );
    let direct = t_interval(4.2, 0.8_f64.sqrt() * (0.7_f64 / 0.64).sqrt() * 0.8, 5, 0.95)
        .unwrap()
        .unwrap();
    assert!(direct.lower < direct.upper);
}

// ---- errors: exact messages ----------------------------------------------------

#[test]
fn error_messages() {
    let at = utc(2024, 5, 1, 10, 0);
    let period = Period::month(2024, 5, Tz::UTC).unwrap();
    let cases: [(&str, String); 14] = [
        (
            "score out of scale",
            SurveyTally::from_responses(&[response(4, 7, at, Scale::Csat, 6)], &period)
                .unwrap_err()
                .to_string(),
        ),
        (
            "counts",
            adjusted_wald_nps(60, 50, 100, 0.95)
                .unwrap_err()
                .to_string(),
        ),
        ("confidence", wilson(1, 2, 1.5).unwrap_err().to_string()),
        (
            "margin",
            sample_size_proportion(0.0, 0.5, 0.95)
                .unwrap_err()
                .to_string(),
        ),
        (
            "nps shares",
            sample_size_nps(5.0, 0.7, 0.5, 0.95)
                .unwrap_err()
                .to_string(),
        ),
        (
            "period",
            Period::quarter(2024, 5, Tz::UTC).unwrap_err().to_string(),
        ),
        (
            "reversed range",
            Period::custom(date(2024, 3, 1), date(2024, 2, 1), Tz::UTC)
                .unwrap_err()
                .to_string(),
        ),
        (
            "target",
            toml::from_str::<TargetsDocument>("nps = 150")
                .unwrap()
                .validate()
                .unwrap_err()
                .to_string(),
        ),
        (
            "currency",
            OrderTally::from_orders(
                &[order(5, 7, at, "10 USD")],
                &period,
                OrderOptions::new(Currency::CNY),
            )
            .unwrap_err()
            .to_string(),
        ),
        (
            "overflow",
            OrderTally::from_orders(
                &[
                    order(1, 7, at, "79228162514264337593543950335 CNY"),
                    order(2, 8, at, "1 CNY"),
                ],
                &period,
                OrderOptions::new(Currency::CNY),
            )
            .unwrap_err()
            .to_string(),
        ),
        ("case before creation", {
            let mut case = complaint(12, at, None);
            case.first_response_at = Some(at - Duration::minutes(5));
            case.check().unwrap_err().to_string()
        }),
        ("business time", {
            let mut case = complaint(13, at, Some(at + Duration::hours(1)));
            case.first_response_at = None;
            let mut options = CaseOptions::default();
            options.basis = TimeBasis::Business;
            CaseTally::from_cases(&[case], &period, at + Duration::days(2), options)
                .unwrap_err()
                .to_string()
        }),
        ("assignment", {
            let spec = ScorecardSpec::new(period, at, Currency::CNY);
            let assignments = [(CustomerId(7), StaffId(1)), (CustomerId(7), StaffId(2))];
            scorecards(&ScorecardInputs::new(&[], &[], &[], &assignments), &spec)
                .unwrap_err()
                .to_string()
        }),
        (
            "series",
            EarlyWarning::default()
                .latest(&[1.0, f64::INFINITY])
                .unwrap_err()
                .to_string(),
        ),
    ];
    let expected = [
        "survey response 4 (customer 7): `csat` score 6 is outside its scale: expected 1 to 5",
        "`promoters + detractors` is 110 but `answers` is 100: expected `promoters + detractors` <= `answers`",
        "argument `confidence` is 1.5: expected a level strictly between 0 and 1, such as 0.95",
        "argument `margin` is 0: expected a share strictly between 0 and 1",
        "argument `promoters + detractors` is 0.7 + 0.5: expected two shares from 0 to 1 adding up to at most 1",
        "period 2024-Q5: expected a quarter from 1 to 4",
        "period 2024-03-01..=2024-02-01: expected the first date on or before the last",
        "`targets.nps` is 150: expected NPS points from -100 to 100",
        "order 5 (customer 7): amount in `USD`: expected `CNY`, the currency of the report",
        "order 2 (customer 8): net spend overflows the period total: expected totals below 7.9e28",
        "case 12: `first_response_at` 2024-05-01 09:55:00 UTC is before `created_at` 2024-05-01 10:00:00 UTC: expected an instant at or after creation",
        "case 13: `resolution_business_seconds` is missing: expected business-time durations when the time basis is `business`",
        "customer 7 is assigned to operators 1 and 2: expected one operator per customer",
        "series value at index 1 is inf: expected a finite number",
    ];
    for ((name, got), want) in cases.iter().zip(expected) {
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn error_kinds_and_remaining_messages() {
    let err = Period::month(2024, 0, Tz::UTC).unwrap_err();
    assert!(matches!(err.kind(), KpiErrorKind::InvalidPeriod { .. }));
    assert_eq!(
        err.to_string(),
        "period 2024-00: expected a month from 1 to 12"
    );

    let max = NaiveDate::MAX;
    let err = Period::custom(max, max, Tz::UTC).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("period {max}..={max}: expected a date within chrono's range")
    );

    let err = t_value(0.95, 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "argument `df` is 0: expected at least 1 degree of freedom"
    );
    let err = t_interval(f64::NAN, 1.0, 3, 0.95).unwrap_err();
    assert_eq!(
        err.to_string(),
        "argument `mean` is NaN: expected a finite number"
    );
    let err = t_interval(1.0, -1.0, 3, 0.95).unwrap_err();
    assert_eq!(
        err.to_string(),
        "argument `sd` is -1: expected a finite number >= 0"
    );
    let err = sample_size_mean(0.0, 1.0, 0.95).unwrap_err();
    assert_eq!(
        err.to_string(),
        "argument `margin` is 0: expected a finite margin above 0"
    );
    let err = sample_size_mean(0.1, -1.0, 0.95).unwrap_err();
    assert_eq!(
        err.to_string(),
        "argument `sd` is -1: expected a finite number >= 0"
    );
    let err = sample_size_proportion(0.05, 1.5, 0.95).unwrap_err();
    assert_eq!(
        err.to_string(),
        "argument `expected` is 1.5: expected a proportion from 0 to 1"
    );
    let err = sample_size_nps(0.0, 0.5, 0.2, 0.95).unwrap_err();
    assert_eq!(
        err.to_string(),
        "argument `margin_points` is 0: expected a margin above 0 and below 200 NPS points"
    );
    let err = newcombe(3, 2, 1, 2, 0.95).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`successes_1` is 3 but `trials_1` is 2: expected `successes_1` <= `trials_1`"
    );
    let err = newcombe(1, 2, 3, 2, 0.95).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`successes_2` is 3 but `trials_2` is 2: expected `successes_2` <= `trials_2`"
    );
    let err = Lift::new(
        Conversions::default(),
        Conversions {
            converted: 2,
            customers: 1,
        },
        0.95,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`held_out.converted` is 2 but `held_out.customers` is 1: expected `held_out.converted` <= `held_out.customers`"
    );
    let err = EarlyWarning::new(0, 1, 3.5, Watch::Up).unwrap_err();
    assert_eq!(
        err.to_string(),
        "argument `window` is 0: expected at least 1 point"
    );
    let err = EarlyWarning::new(5, 3, 0.0, Watch::Up).unwrap_err();
    assert_eq!(
        err.to_string(),
        "argument `threshold` is 0: expected a finite number above 0, such as 3.5"
    );
    let mut options = OrderOptions::new(Currency::CNY);
    options.activity_window_days = 0;
    let period = Period::month(2024, 5, Tz::UTC).unwrap();
    let err = OrderTally::from_orders(&[], &period, options).unwrap_err();
    assert_eq!(
        err.to_string(),
        "argument `activity_window_days` is 0: expected a window of at least 1 day"
    );
    let mut a = OrderTally::new(Currency::CNY);
    let err = a.merge(&OrderTally::new(Currency::USD)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "argument `other.net_spend` is 0 USD: expected an amount in the same currency whose sum fits a decimal"
    );
}

#[test]
fn targets_document_errors_name_their_path() {
    let cases = [
        ("confidence = 0.0", "`targets.confidence` is 0: expected a level strictly between 0 and 1, such as 0.95"),
        ("small_sample_below = 0", "`targets.small_sample_below` is 0: expected a sample size of at least 1"),
        ("csat = 5.5", "`targets.csat` is 5.5: expected a mean score from 1 to 5"),
        ("ces = 0.5", "`targets.ces` is 0.5: expected a mean score from 1 to 7"),
        ("retention = 30", "`targets.retention` is 30: expected a share from 0 to 1 (0.30 for 30%)"),
        ("aov_lift = -2", "`targets.aov_lift` is -2: expected a relative change of at least -1 (0.10 for +10%)"),
        ("first_response_median_seconds = 0", "`targets.first_response_median_seconds` is 0: expected a finite number of seconds above 0"),
    ];
    for (text, message) in cases {
        let doc: TargetsDocument = toml::from_str(text).unwrap();
        assert_eq!(doc.validate().unwrap_err().to_string(), message, "{text}");
    }
    let doc: TargetsDocument = toml::from_str("retention = 0.35").unwrap();
    assert_eq!(
        doc.validate_at("kpi.targets")
            .unwrap()
            .target(KpiName::RepeatRetention)
            .unwrap()
            .value,
        0.35
    );
    let dropped: TargetsDocument = serde_json::from_str(r#"{"nps": null}"#).unwrap();
    let dropped = dropped.validate().unwrap();
    assert_eq!(dropped.target(KpiName::Nps), None);
    let mut counts = ScoreCounts::new(Scale::Nps);
    counts.add_many(10, 3).unwrap();
    let nps = counts.nps(&dropped).unwrap();
    assert_eq!(nps.verdict(), Verdict::NoTarget);
    assert_eq!(
        nps.to_string(),
        "NPS 100 (95% CI -7–100, n = 3, small sample)"
    );
    let unknown = toml::from_str::<TargetsDocument>("retension = 0.3").unwrap_err();
    assert!(
        unknown.to_string().contains("unknown field `retension`"),
        "{unknown}"
    );
    // The reference targets are SPEC §8's.
    let reference = Targets::reference();
    for (name, value) in [
        (KpiName::CsatMean, 4.5),
        (KpiName::Nps, 50.0),
        (KpiName::RepeatRetention, 0.30),
        (KpiName::RepurchaseLift, 0.10),
        (KpiName::AovLift, 0.08),
        (KpiName::ComplaintTimeliness, 0.95),
        (KpiName::ComplaintResolution, 0.90),
    ] {
        assert_eq!(reference.target(name).unwrap().value, value, "{name:?}");
    }
    assert_eq!(TargetsDocument::default().validate().unwrap(), reference);
}

// ---- empty input ----------------------------------------------------------------

fn assert_not_enough(kpi: &Kpi) {
    assert_eq!(kpi.value(), None, "{kpi}");
    assert_eq!(kpi.verdict(), Verdict::NotEnoughData, "{kpi}");
    assert!(kpi.interval().is_none(), "{kpi}");
    assert!(kpi.is_small_sample(), "{kpi}");
    assert!(!kpi.to_string().contains("NaN"), "{kpi}");
}

#[test]
fn empty_input_gives_not_enough_data() {
    let period = Period::month(2024, 5, Tz::UTC).unwrap();
    let spec = ScorecardSpec::new(period, utc(2024, 6, 1, 0, 0), Currency::CNY);
    let cards = scorecards(&ScorecardInputs::default(), &spec).unwrap();
    let s = &cards.service;
    let o = &cards.operations;
    let p = &cards.product;
    for kpi in [
        &s.csat,
        &s.csat_top_two_box,
        &s.complaint_timeliness,
        &s.complaint_resolution,
        &s.problem_resolution,
        &s.first_contact_resolution,
        &s.first_response_median,
        &s.first_response_p90,
        &s.resolution_median,
        &o.retention,
        &o.classic_retention,
        &o.churn,
        &o.repurchase_lift,
        &o.aov_lift,
        &o.purchase_frequency,
        &o.aov,
        &p.nps,
        &p.ces,
        &p.feedback_optimisation,
        &p.suggestion_adoption,
    ]
    .into_iter()
    .chain(s.sla.iter())
    {
        assert_not_enough(kpi);
    }
    assert!(cards.agents.is_empty() && cards.operators.is_empty());
    assert_eq!(cards.dimensions.len(), 4);
    assert!(cards.dimensions.iter().all(|d| d.change.is_none()));
    assert_eq!(
        s.csat.to_string(),
        "CSAT — (n = 0, small sample) — target 4.50, not enough data"
    );
    assert_eq!(
        p.ces.to_string(),
        "CES — (n = 0, small sample) — not enough data"
    );
    assert!(wilson(0, 0, 0.95).unwrap().is_none());
    assert!(adjusted_wald_nps(0, 0, 0, 0.95).unwrap().is_none());
    assert!(t_interval(4.0, 0.0, 1, 0.95).unwrap().is_none());
    assert!(newcombe(0, 0, 1, 2, 0.95).unwrap().is_none());
    assert_eq!(EarlyWarning::default().latest(&[]).unwrap(), None);
    assert!(lift_by_playbook(&[], 0.95).unwrap().is_empty());
}

// ---- scorecards ----------------------------------------------------------------

type Fixture = (
    Vec<SurveyResponse>,
    Vec<Order>,
    Vec<HandledCase>,
    Vec<(CustomerId, StaffId)>,
);

fn fixture() -> Fixture {
    let may = |d, h| utc(2024, 5, d, h, 0);
    let mut responses = Vec::new();
    // Agent 1's case 100 is rated 5 and 4; agent 2 is rated 2 directly.
    let mut r = response(1, 1, may(2, 10), Scale::Csat, 5);
    r.case = Some(CaseId(100));
    r.dimension = SatisfactionDimension::ServiceQuality;
    responses.push(r);
    let mut r = response(2, 2, may(3, 10), Scale::Csat, 4);
    r.case = Some(CaseId(100));
    r.dimension = SatisfactionDimension::ServiceQuality;
    responses.push(r);
    let mut r = response(3, 3, may(4, 10), Scale::Csat, 2);
    r.agent = Some(StaffId(2));
    responses.push(r);
    // April: service quality was 3 → change +1.5.
    let mut r = response(4, 1, utc(2024, 4, 20, 10, 0), Scale::Csat, 3);
    r.dimension = SatisfactionDimension::ServiceQuality;
    responses.push(r);
    responses.push(response(5, 4, may(5, 10), Scale::Nps, 10));
    responses.push(response(6, 5, may(5, 11), Scale::Nps, 4));
    responses.push(response(7, 5, may(5, 12), Scale::Ces, 6));

    let mut cases = Vec::new();
    let mut c = complaint(100, may(1, 8), Some(may(1, 12)));
    c.agent = Some(StaffId(1));
    c.first_response_at = Some(may(1, 8) + Duration::minutes(4));
    c.closed = Some(Closure {
        at: may(2, 8),
        resolution: Resolution::Confirmed,
    });
    c.contacts = 1;
    c.sla = vec![
        SlaResult {
            metric: SlaMetric::FirstResponse,
            met: true,
        },
        SlaResult {
            metric: SlaMetric::Resolution,
            met: true,
        },
    ];
    cases.push(c);
    let mut c = complaint(101, may(6, 8), Some(may(9, 8)));
    c.agent = Some(StaffId(2));
    c.first_response_at = Some(may(6, 8) + Duration::minutes(10));
    c.closed = Some(Closure {
        at: may(9, 9),
        resolution: Resolution::Unconfirmed,
    });
    c.contacts = 3;
    c.sla = vec![SlaResult {
        metric: SlaMetric::FirstResponse,
        met: false,
    }];
    cases.push(c);
    let mut c = HandledCase::new(CaseId(102), CustomerId(6), CaseKind::Suggestion, may(7, 8));
    c.closed = Some(Closure {
        at: may(8, 8),
        resolution: Resolution::Confirmed,
    });
    c.adopted = Some(true);
    cases.push(c);
    let mut c = HandledCase::new(CaseId(103), CustomerId(6), CaseKind::Feedback, may(7, 8));
    c.closed = Some(Closure {
        at: may(8, 8),
        resolution: Resolution::Unresolved,
    });
    c.led_to_optimisation = Some(false);
    cases.push(c);

    let orders = vec![
        order(1, 1, may(3, 8), "100 CNY"),
        order(2, 1, may(20, 8), "100 CNY"),
        order(3, 2, may(4, 8), "40 CNY"),
        order(4, 1, utc(2023, 5, 3, 8, 0), "50 CNY"),
        order(5, 2, utc(2023, 5, 4, 8, 0), "50 CNY"),
        order(6, 3, utc(2023, 12, 4, 8, 0), "50 CNY"),
    ];
    let assignments = vec![
        (CustomerId(1), StaffId(10)),
        (CustomerId(2), StaffId(10)),
        (CustomerId(3), StaffId(11)),
    ];
    (responses, orders, cases, assignments)
}

#[test]
fn scorecards_for_teams_and_people() {
    let (responses, orders, cases, assignments) = fixture();
    let period = Period::month(2024, 5, Tz::UTC).unwrap();
    let spec = ScorecardSpec::new(period, utc(2024, 6, 1, 0, 0), Currency::CNY);
    let inputs = ScorecardInputs::new(&responses, &orders, &cases, &assignments);
    let cards = scorecards(&inputs, &spec).unwrap();

    // Service: CSAT (5 + 4 + 2) / 3 = 3.67; top-2-box 2 of 3.
    assert!((cards.service.csat.value().unwrap() - 11.0 / 3.0).abs() < 1e-12);
    assert_eq!(
        cards.service.csat_top_two_box.sample(),
        Sample::Ratio {
            numerator: 2,
            denominator: 3
        }
    );
    // Complaints: 100 resolved in 4 h (timely), 101 in 3 days (late): 1 of 2.
    assert_eq!(cards.service.complaint_timeliness.value(), Some(0.5));
    // Closed complaints: 100 confirmed, 101 unconfirmed: resolution 1 of 2.
    assert_eq!(cards.service.complaint_resolution.value(), Some(0.5));
    // Problem resolution: 100, 101, 102 resolved, 103 unresolved: 3 of 4.
    assert_eq!(cards.service.problem_resolution.value(), Some(0.75));
    assert_eq!(cards.service.first_contact_resolution.value(), Some(0.5));
    // First responses 240 s and 600 s: median 420 s ≤ 300 s? missed.
    assert_eq!(cards.service.first_response_median.value(), Some(420.0));
    assert_eq!(
        cards.service.first_response_median.verdict(),
        Verdict::Missed
    );
    assert_eq!(cards.service.first_response_p90.value(), Some(600.0));
    assert_eq!(cards.service.sla[0].value(), Some(0.5));
    assert_eq!(cards.service.sla[2].value(), Some(1.0));
    assert_eq!(cards.service.sla[1].verdict(), Verdict::NotEnoughData);

    // Operations: customers 1 (2 purchases) and 2 (1): retention 1 of 2.
    assert_eq!(cards.operations.retention.value(), Some(0.5));
    // May 2023: customers 1 and 2 once each → r₀ = 0: no lift.
    assert_eq!(cards.operations.repurchase_lift.value(), None);
    // AOV 240 / 3 = 80 against 100 / 2 = 50: +60%.
    assert_eq!(cards.operations.aov_lift.value(), Some(0.6));
    // Active at 1 May (365 days back): 1, 2, 3; at 1 June: 1, 2, 3 (3 bought in
    // December 2023) → classic retention 3 of 3, churn 0.
    assert_eq!(cards.operations.classic_retention.value(), Some(1.0));
    assert_eq!(cards.operations.churn.value(), Some(0.0));

    // Product: NPS one promoter, one detractor = 0; CES 6; suggestion adopted 1 of 1.
    assert_eq!(cards.product.nps.value(), Some(0.0));
    assert_eq!(cards.product.ces.value(), Some(6.0));
    assert_eq!(cards.product.suggestion_adoption.value(), Some(1.0));
    assert_eq!(cards.product.feedback_optimisation.value(), Some(0.0));

    // Dimensions: service quality (5 + 4) / 2 = 4.5 in May, 3 in April: +1.5.
    let sq = &cards.dimensions[1];
    assert_eq!(sq.dimension, SatisfactionDimension::ServiceQuality);
    assert_eq!(sq.change, Some(1.5));

    // People: agent 1 is rated through case 100 (4.5), agent 2 directly (2).
    assert_eq!(cards.agents.len(), 2);
    assert_eq!(cards.agents[0].agent, StaffId(1));
    assert_eq!(cards.agents[0].csat.value(), Some(4.5));
    assert_eq!(cards.agents[0].first_response_median.value(), Some(240.0));
    assert_eq!(
        cards.agents[0].first_response_median.verdict(),
        Verdict::Met
    );
    assert_eq!(cards.agents[1].csat.value(), Some(2.0));
    assert_eq!(cards.agents[1].resolution_rate.value(), Some(1.0));
    // Operators: 10 looks after 1 and 2 (retention 1 of 2), 11 after 3 (no purchase).
    assert_eq!(cards.operators.len(), 2);
    assert_eq!(cards.operators[0].customers, 2);
    assert_eq!(cards.operators[0].retention.value(), Some(0.5));
    assert_eq!(
        cards.operators[1].retention.verdict(),
        Verdict::NotEnoughData
    );

    // Same input, same output; serde round trip.
    let again = scorecards(&inputs, &spec).unwrap();
    assert_eq!(cards, again);
    let json = serde_json::to_string(&cards).unwrap();
    assert_eq!(json, serde_json::to_string(&again).unwrap());
    let back: patronage::kpi::Scorecards = serde_json::from_str(&json).unwrap();
    assert_eq!(back.to_string(), cards.to_string());
    let text = cards.to_string();
    assert!(text.starts_with("scorecards for 2024-05 as of 2024-06-01T00:00:00+00:00"));
    assert!(text.contains("  agent 1\n    CSAT 4.50 (95% CI"), "{text}");
}

#[test]
fn scorecards_reject_a_score_outside_its_scale() {
    let period = Period::month(2024, 5, Tz::UTC).unwrap();
    let spec = ScorecardSpec::new(period, utc(2024, 6, 1, 0, 0), Currency::CNY);
    // Out of the period, but still checked.
    let responses = [response(9, 3, utc(2023, 1, 1, 0, 0), Scale::Ces, 8)];
    let err = scorecards(&ScorecardInputs::new(&responses, &[], &[], &[]), &spec).unwrap_err();
    assert!(matches!(err.kind(), KpiErrorKind::ScoreOutOfScale { .. }));
    assert_eq!(
        err.to_string(),
        "survey response 9 (customer 3): `ces` score 8 is outside its scale: expected 1 to 7"
    );
}

// ---- periods --------------------------------------------------------------------

#[test]
fn periods_in_the_company_zone() {
    let shanghai = chrono_tz::Asia::Shanghai;
    let q = Period::quarter(2024, 1, shanghai).unwrap();
    assert_eq!(q.start(), utc(2023, 12, 31, 16, 0));
    assert_eq!(q.end(), utc(2024, 3, 31, 16, 0));
    assert!(q.contains(utc(2023, 12, 31, 16, 0)));
    assert!(!q.contains(utc(2024, 3, 31, 16, 0)));
    assert_eq!(q.same_period_last_year().unwrap().to_string(), "2023-Q1");
    assert_eq!(q.previous().unwrap().to_string(), "2023-Q4");
    // New York: a March month spans a daylight-saving change (23 h day on 10 March).
    let ny = Period::month(2024, 3, chrono_tz::America::New_York).unwrap();
    assert_eq!(ny.start(), utc(2024, 3, 1, 5, 0));
    assert_eq!(ny.end(), utc(2024, 4, 1, 4, 0));
    let custom = Period::custom(date(2024, 2, 20), date(2024, 3, 1), Tz::UTC).unwrap();
    assert_eq!(
        custom.previous().unwrap().to_string(),
        "2024-02-09..=2024-02-19"
    );
    let json = serde_json::to_string(&custom).unwrap();
    assert_eq!(
        json,
        r#"{"kind":{"custom":{"first":"2024-02-20","last":"2024-03-01"}},"zone":"UTC"}"#
    );
    assert_eq!(serde_json::from_str::<Period>(&json).unwrap(), custom);
    let bad = r#"{"kind":{"month":{"year":2024,"month":13}},"zone":"UTC"}"#;
    assert_eq!(
        serde_json::from_str::<Period>(bad).unwrap_err().to_string(),
        "period 2024-13: expected a month from 1 to 12"
    );
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodCases {
    case: Vec<PeriodCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodCase {
    name: String,
    period: String,
    zone: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    days: u64,
    last_year: String,
    last_year_days: Option<u64>,
    previous: String,
}

fn parse_period(text: &str, zone: Tz) -> Period {
    if let Some((first, last)) = text.split_once("..=") {
        return Period::custom(first.parse().unwrap(), last.parse().unwrap(), zone).unwrap();
    }
    let (year, rest) = text
        .split_once('-')
        .map_or((text, None), |(y, r)| (y, Some(r)));
    let year: i32 = year.parse().unwrap();
    match rest {
        None => Period::year(year, zone).unwrap(),
        Some(q) if q.starts_with('Q') => {
            Period::quarter(year, q[1..].parse().unwrap(), zone).unwrap()
        }
        Some(m) => Period::month(year, m.parse().unwrap(), zone).unwrap(),
    }
}

#[test]
fn period_cases_from_the_table() {
    let cases: PeriodCases = toml::from_str(include_str!("data/kpi/periods.toml")).unwrap();
    for c in &cases.case {
        let period = parse_period(&c.period, c.zone);
        assert_eq!(period.to_string(), c.period, "{}", c.name);
        assert_eq!(
            (period.start(), period.end()),
            (c.start, c.end),
            "{}",
            c.name
        );
        assert_eq!(period.days(), c.days, "{}", c.name);
        let last_year = period.same_period_last_year().unwrap();
        assert_eq!(last_year.to_string(), c.last_year, "{}", c.name);
        assert_eq!(
            last_year.days(),
            c.last_year_days.unwrap_or(c.days),
            "{}",
            c.name
        );
        assert_eq!(last_year, parse_period(&c.last_year, c.zone), "{}", c.name);
        assert_eq!(
            period.previous().unwrap().to_string(),
            c.previous,
            "{}",
            c.name
        );
    }
}

// ---- lift and early warning ------------------------------------------------------

#[test]
fn lift_by_playbook_sorts_by_name_and_judges_each() {
    let mut outcomes = Vec::new();
    for i in 0..200u64 {
        // "birthday": treated convert 30%, held out 10% (clearly positive).
        let (group, converted) = if i < 100 {
            (Group::Treated, i % 10 < 3)
        } else {
            (Group::HeldOut, i % 10 < 1)
        };
        outcomes.push(PlanOutcome {
            playbook: "birthday".into(),
            customer: CustomerId(i),
            group,
            converted,
        });
        // "anniversary": both 20% (inconclusive).
        outcomes.push(PlanOutcome {
            playbook: "anniversary".into(),
            customer: CustomerId(i),
            group,
            converted: i % 5 == 0,
        });
    }
    let lifts = lift_by_playbook(&outcomes, 0.95).unwrap();
    assert_eq!(lifts[0].0, "anniversary");
    assert_eq!(lifts[0].1.verdict(), LiftVerdict::Inconclusive);
    assert_eq!(lifts[1].0, "birthday");
    assert_eq!(lifts[1].1.verdict(), LiftVerdict::Positive);
    let negative = Lift::new(
        Conversions {
            converted: 1,
            customers: 100,
        },
        Conversions {
            converted: 30,
            customers: 100,
        },
        0.95,
    )
    .unwrap();
    assert_eq!(negative.verdict(), LiftVerdict::Negative);
    assert!(negative.to_string().ends_with("— negative"));
}

#[test]
fn early_warning_uses_median_and_mad() {
    // History with one wild value: the median (10) and MAD (1) ignore it.
    let mut series = vec![10.0, 11.0, 9.0, 10.0, 50.0, 10.0, 11.0, 9.0, 10.0];
    // 15 is (15 − 10) / 1.4826 = 3.37 robust SDs away: below 3.5, normal.
    series.push(15.0);
    let detector = EarlyWarning::new(9, 5, 3.5, Watch::Both).unwrap();
    let latest: Assessment = detector.latest(&series).unwrap().unwrap();
    assert_eq!(latest.median, Some(10.0));
    assert_eq!(latest.deviation, Some(5.0));
    assert!((latest.scale.unwrap() - 1.4826).abs() < 1e-12);
    assert_eq!(latest.status, Status::Normal);
    // 16 is 4.05 robust SDs away: abnormal.
    *series.last_mut().unwrap() = 16.0;
    assert_eq!(
        detector.latest(&series).unwrap().unwrap().status,
        Status::Abnormal
    );
    // Watching falls only, a rise is normal.
    let down = EarlyWarning::new(9, 5, 3.5, Watch::Down).unwrap();
    assert_eq!(
        down.latest(&series).unwrap().unwrap().status,
        Status::Normal
    );
    // The first points lack history; the window slides.
    let all = detector.assess(&series).unwrap();
    assert_eq!(all.len(), series.len());
    assert!(all[..5]
        .iter()
        .all(|a| a.status == Status::NotEnoughHistory));
    assert_eq!((all[9].window_start, all[9].window_len), (0, 9));
    // A constant history: any departure is abnormal, without a z-score.
    let flat = [2.0; 6];
    let mut flat_then = flat.to_vec();
    flat_then.push(2.5);
    let a = EarlyWarning::new(6, 6, 3.5, Watch::Up)
        .unwrap()
        .latest(&flat_then)
        .unwrap()
        .unwrap();
    assert_eq!(
        (a.status, a.robust_z, a.scale),
        (Status::Abnormal, None, Some(0.0))
    );
    flat_then.pop();
    flat_then.push(2.0);
    let a = EarlyWarning::new(6, 6, 3.5, Watch::Up)
        .unwrap()
        .latest(&flat_then)
        .unwrap()
        .unwrap();
    assert_eq!(a.status, Status::Normal);
}

// ---- durations ---------------------------------------------------------------------

#[test]
fn response_time_statistics() {
    let period = Period::month(2024, 5, Tz::UTC).unwrap();
    let created = utc(2024, 5, 10, 8, 0);
    let cases: Vec<HandledCase> = [60, 120, 180, 240, 300, 360, 420, 480, 540, 3600]
        .iter()
        .enumerate()
        .map(|(i, &secs)| {
            let mut c =
                HandledCase::new(CaseId(i as u64), CustomerId(1), CaseKind::Inquiry, created);
            c.first_response_at = Some(created + Duration::seconds(secs));
            c.first_response_business_seconds = Some(secs as u64 / 2);
            c
        })
        .collect();
    let targets = Targets::reference();
    let tally = CaseTally::from_cases(
        &cases,
        &period,
        utc(2024, 6, 1, 0, 0),
        CaseOptions::default(),
    )
    .unwrap();
    // Median of 10 values: (300 + 360) / 2 = 330; p90 nearest rank ⌈9⌉ = 9th = 540;
    // mean (60 + … + 540 + 3600) / 10 = (2700 + 3600) / 10 = 630.
    assert_eq!(
        tally
            .first_response_time(Statistic::Median, &targets)
            .value(),
        Some(330.0)
    );
    assert_eq!(
        tally.first_response_time(Statistic::P90, &targets).value(),
        Some(540.0)
    );
    assert_eq!(
        tally.first_response_time(Statistic::Mean, &targets).value(),
        Some(630.0)
    );
    assert_eq!(
        tally
            .first_response_time(Statistic::Median, &targets)
            .to_string(),
        "first response median 5.5 min (n = 10, small sample) — target ≤ 5.0 min, missed"
    );
    let mut options = CaseOptions::default();
    options.basis = TimeBasis::Business;
    let business = CaseTally::from_cases(&cases, &period, utc(2024, 6, 1, 0, 0), options).unwrap();
    assert_eq!(
        business
            .first_response_time(Statistic::Median, &targets)
            .value(),
        Some(165.0)
    );
}

// ---- properties --------------------------------------------------------------------

fn arb_responses() -> impl Strategy<Value = Vec<SurveyResponse>> {
    prop::collection::vec((0u64..40, 0u32..60, 0u8..3, 0u8..11), 0..80).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (customer, day, scale, raw))| {
                let (scale, score) = match scale {
                    0 => (Scale::Csat, 1 + raw % 5),
                    1 => (Scale::Nps, raw),
                    _ => (Scale::Ces, 1 + raw % 7),
                };
                let at = utc(2024, 4, 15, 0, 0) + Duration::days(i64::from(day));
                response(i as u64, customer, at, scale, score)
            })
            .collect()
    })
}

fn arb_orders() -> impl Strategy<Value = Vec<Order>> {
    prop::collection::vec((0u64..40, 0u32..800, 1u32..50_000, 0u8..10), 0..120).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (customer, day, cents, status))| {
                let at = utc(2023, 3, 1, 0, 0) + Duration::days(i64::from(day));
                let mut o = order(i as u64, customer, at, "0 CNY");
                o.amount = Money::new(Decimal::new(i64::from(cents), 2), Currency::CNY);
                o.status = match status {
                    0 => OrderStatus::Cancelled,
                    1 => OrderStatus::Refunded,
                    2 if cents > 1 => OrderStatus::PartiallyRefunded {
                        refunded: Decimal::new(i64::from(cents / 2), 2),
                    },
                    _ => OrderStatus::Paid,
                };
                o
            })
            .collect()
    })
}

fn arb_cases() -> impl Strategy<Value = Vec<HandledCase>> {
    let row = (
        0u64..40,
        0u8..5,
        0u32..50 * 24,
        prop::option::of(0u32..72),
        prop::option::of(0u32..100),
        prop::option::of((0u32..200, 0u8..3)),
        0u32..4,
        any::<bool>(),
    );
    prop::collection::vec(row, 0..80).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(
                |(i, (customer, kind, hour, first, resolved, closed, contacts, flag))| {
                    let created = utc(2024, 4, 20, 0, 0) + Duration::hours(i64::from(hour));
                    let kind = match kind {
                        0 => CaseKind::Inquiry,
                        1 => CaseKind::AfterSales,
                        2 => CaseKind::Complaint,
                        3 => CaseKind::Suggestion,
                        _ => CaseKind::Feedback,
                    };
                    let mut c =
                        HandledCase::new(CaseId(i as u64), CustomerId(customer), kind, created);
                    c.first_response_at = first.map(|m| created + Duration::minutes(i64::from(m)));
                    c.resolved_at = resolved.map(|h| created + Duration::hours(i64::from(h)));
                    c.closed = closed.map(|(h, r)| Closure {
                        at: created + Duration::hours(i64::from(h)),
                        resolution: match r {
                            0 => Resolution::Confirmed,
                            1 => Resolution::Unconfirmed,
                            _ => Resolution::Unresolved,
                        },
                    });
                    c.contacts = contacts;
                    c.adopted = Some(flag);
                    c.led_to_optimisation = Some(!flag);
                    c.agent = Some(StaffId(customer % 3));
                    c.sla = vec![SlaResult {
                        metric: SlaMetric::FirstResponse,
                        met: flag,
                    }];
                    c
                },
            )
            .collect()
    })
}

fn all_kpis(cards: &patronage::kpi::Scorecards) -> Vec<Kpi> {
    let s = &cards.service;
    let o = &cards.operations;
    let p = &cards.product;
    let mut all = vec![
        s.csat.clone(),
        s.csat_top_two_box.clone(),
        s.complaint_timeliness.clone(),
        s.complaint_resolution.clone(),
        s.problem_resolution.clone(),
        s.first_contact_resolution.clone(),
        s.first_response_median.clone(),
        s.first_response_p90.clone(),
        s.resolution_median.clone(),
        o.retention.clone(),
        o.classic_retention.clone(),
        o.churn.clone(),
        o.repurchase_lift.clone(),
        o.aov_lift.clone(),
        o.purchase_frequency.clone(),
        o.aov.clone(),
        p.nps.clone(),
        p.ces.clone(),
        p.feedback_optimisation.clone(),
        p.suggestion_adoption.clone(),
    ];
    all.extend(s.sla.iter().cloned());
    for d in &cards.dimensions {
        all.push(d.current.clone());
        all.push(d.previous.clone());
    }
    for a in &cards.agents {
        all.extend([
            a.csat.clone(),
            a.first_response_median.clone(),
            a.resolution_rate.clone(),
        ]);
    }
    for op in &cards.operators {
        all.extend([op.retention.clone(), op.repurchase_lift.clone()]);
    }
    all
}

fn spec() -> ScorecardSpec {
    ScorecardSpec::new(
        Period::month(2024, 5, Tz::UTC).unwrap(),
        utc(2024, 5, 25, 12, 0),
        Currency::CNY,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_kpi_is_in_range_and_parts_fit_their_wholes(
        responses in arb_responses(),
        orders in arb_orders(),
        cases in arb_cases(),
    ) {
        let assignments: Vec<(CustomerId, StaffId)> =
            (0..40).map(|c| (CustomerId(c), StaffId(100 + c % 4))).collect();
        let inputs = ScorecardInputs::new(&responses, &orders, &cases, &assignments);
        let cards = scorecards(&inputs, &spec()).unwrap();
        for kpi in all_kpis(&cards) {
            let text = kpi.to_string();
            prop_assert!(!text.contains("NaN") && !text.contains("inf"), "{}", text);
            if let Sample::Ratio { numerator, denominator } = kpi.sample() {
                if kpi.unit() == Unit::Share {
                    prop_assert!(numerator <= denominator, "{}", text);
                }
            }
            let Some(value) = kpi.value() else {
                prop_assert_eq!(kpi.verdict(), Verdict::NotEnoughData);
                continue;
            };
            prop_assert!(value.is_finite());
            let in_range = match kpi.unit() {
                Unit::Share => (0.0..=1.0).contains(&value),
                Unit::NetScore => (-100.0..=100.0).contains(&value),
                Unit::Score if kpi.name() == KpiName::CesMean => (1.0..=7.0).contains(&value),
                Unit::Score => (1.0..=5.0).contains(&value),
                Unit::RelativeChange => value >= -1.0,
                Unit::Seconds | Unit::Ratio | Unit::Amount => value >= 0.0,
                _ => true,
            };
            prop_assert!(in_range, "{}", text);
            if let Some(ci) = kpi.interval() {
                prop_assert!(ci.contains(value), "{} not in {:?}", value, ci);
            }
        }
    }

    #[test]
    fn splitting_by_customer_and_summing_gives_the_same_kpis(
        responses in arb_responses(),
        orders in arb_orders(),
        cases in arb_cases(),
    ) {
        let targets = Targets::reference();
        let s = spec();
        let odd = |c: CustomerId| c.0 % 2 == 1;
        let whole_orders = OrderTally::from_orders(&orders, &s.period, s.orders).unwrap();
        let (a, b): (Vec<Order>, Vec<Order>) = orders.iter().cloned().partition(|o| odd(o.customer));
        let mut merged = OrderTally::from_orders(&a, &s.period, s.orders).unwrap();
        merged.merge(&OrderTally::from_orders(&b, &s.period, s.orders).unwrap()).unwrap();
        prop_assert_eq!(&merged, &whole_orders);
        prop_assert_eq!(merged.repeat_retention(&targets).unwrap(), whole_orders.repeat_retention(&targets).unwrap());

        let whole_survey = SurveyTally::from_responses(&responses, &s.period).unwrap();
        let (a, b): (Vec<SurveyResponse>, Vec<SurveyResponse>) =
            responses.iter().cloned().partition(|r| odd(r.customer));
        let mut merged = SurveyTally::from_responses(&a, &s.period).unwrap();
        merged.merge(&SurveyTally::from_responses(&b, &s.period).unwrap());
        prop_assert_eq!(&merged, &whole_survey);
        prop_assert_eq!(merged.nps().nps(&targets).unwrap(), whole_survey.nps().nps(&targets).unwrap());

        let whole_cases = CaseTally::from_cases(&cases, &s.period, s.as_of, s.cases).unwrap();
        let (a, b): (Vec<HandledCase>, Vec<HandledCase>) = cases.iter().cloned().partition(|c| odd(c.customer));
        let mut merged = CaseTally::from_cases(&a, &s.period, s.as_of, s.cases).unwrap();
        merged.merge(&CaseTally::from_cases(&b, &s.period, s.as_of, s.cases).unwrap());
        for (x, y) in [
            (merged.complaint_timeliness(&targets), whole_cases.complaint_timeliness(&targets)),
            (merged.complaint_resolution(&targets), whole_cases.complaint_resolution(&targets)),
            (merged.problem_resolution(&targets), whole_cases.problem_resolution(&targets)),
            (merged.first_contact_resolution(&targets), whole_cases.first_contact_resolution(&targets)),
            (merged.suggestion_adoption(&targets), whole_cases.suggestion_adoption(&targets)),
            (merged.feedback_optimisation(&targets), whole_cases.feedback_optimisation(&targets)),
            (merged.sla_attainment(SlaMetric::FirstResponse, &targets), whole_cases.sla_attainment(SlaMetric::FirstResponse, &targets)),
        ] {
            prop_assert_eq!(x.unwrap(), y.unwrap());
        }
        for stat in [Statistic::Median, Statistic::P90] {
            prop_assert_eq!(merged.first_response_time(stat, &targets), whole_cases.first_response_time(stat, &targets));
            prop_assert_eq!(merged.resolution_time(stat, &targets), whole_cases.resolution_time(stat, &targets));
        }
    }

    #[test]
    fn intervals_contain_their_point_estimates(
        x1 in 0u64..300, extra1 in 0u64..300, x2 in 0u64..300, extra2 in 0u64..300,
        passives in 0u64..50, level in prop::sample::select(vec![0.5, 0.8, 0.9, 0.95, 0.99, 0.999]),
    ) {
        let n1 = x1 + extra1;
        let n2 = x2 + extra2;
        if let Some(ci) = wilson(x1, n1, level).unwrap() {
            let p = x1 as f64 / n1 as f64;
            prop_assert!(ci.contains(p) && ci.lower >= 0.0 && ci.upper <= 1.0, "{} {:?}", p, ci);
        }
        if let Some(ci) = newcombe(x1, n1, x2, n2, level).unwrap() {
            let d = x1 as f64 / n1 as f64 - x2 as f64 / n2 as f64;
            prop_assert!(ci.contains(d) && ci.lower >= -1.0 && ci.upper <= 1.0, "{} {:?}", d, ci);
        }
        let answers = x1 + x2 + passives;
        if let Some(ci) = adjusted_wald_nps(x1, x2, answers, level).unwrap() {
            let nps = 100.0 * (x1 as f64 - x2 as f64) / answers as f64;
            prop_assert!(ci.contains(nps) && ci.lower >= -100.0 && ci.upper <= 100.0, "{} {:?}", nps, ci);
        }
        let mut counts = ScoreCounts::new(Scale::Csat);
        counts.add_many(5, x1).unwrap();
        counts.add_many(3, passives).unwrap();
        counts.add_many(1, x2).unwrap();
        let csat = counts.csat_mean(&Targets::reference()).unwrap();
        if let (Some(v), Some(ci)) = (csat.value(), csat.interval()) {
            prop_assert!(ci.contains(v));
        }
    }

    #[test]
    fn kpis_round_trip_through_serde(responses in arb_responses()) {
        let tally = SurveyTally::from_responses(&responses, &spec().period).unwrap();
        let kpi = tally.nps().nps(&Targets::reference()).unwrap();
        let json = serde_json::to_string(&kpi).unwrap();
        // Floats may come back one unit in the last place off; the rest is exact.
        let back = serde_json::from_str::<Kpi>(&json).unwrap();
        prop_assert_eq!(back.to_string(), kpi.to_string());
        prop_assert_eq!((back.name(), back.sample(), back.verdict()), (kpi.name(), kpi.sample(), kpi.verdict()));
        match (back.value(), kpi.value()) {
            (Some(a), Some(b)) => prop_assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0)),
            (a, b) => prop_assert_eq!(a, b),
        }
    }
}
