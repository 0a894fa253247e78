//! Approximate population statistics (R13): the quantile sketch's rank error against
//! exact ranks on a realistic skewed base, and the error it causes on the monetary top
//! share and on the scores of a sharded run, against the documented limits.

use chrono::{Days, NaiveDate};
use patronage::segment::{PopulationStats, QuantileSketch, SketchCapacity, StatsMethod};
use patronage::{Config, Currency, CustomerId, FactsTable, Money, Segmentation, Segmenter};
use rust_decimal::Decimal;

/// Customers in the base.
const CUSTOMERS: u64 = 200_000;
/// Shards the base is split into.
const SHARDS: u64 = 8;
/// The sketch capacity the documented limits are stated for.
const CAPACITY: u32 = 1_024;
/// The documented limit on the share of purchasers whose monetary score differs from
/// the exact run (`PopulationStats`, `# Exact or approximate`).
const SCORE_SHARE_LIMIT: f64 = 0.005;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// The events of a deterministic base shaped like a shop's: most customers order once
/// or twice, a few dozens of times; order values are skewed (a long tail of large
/// baskets) and in cents, so spends repeat; two years of dates.
fn events() -> Vec<(CustomerId, NaiveDate, Money)> {
    let mut state = 0x5EED_u64;
    let mut events = Vec::new();
    let start = as_of().checked_sub_days(Days::new(730)).unwrap();
    for id in 0..CUSTOMERS {
        let orders = match next(&mut state) % 100 {
            0..=44 => 1,
            45..=74 => 2 + next(&mut state) % 2,
            75..=96 => 4 + next(&mut state) % 6,
            _ => 10 + next(&mut state) % 30,
        };
        let first = next(&mut state) % 730;
        for _ in 0..orders {
            let day = (first + next(&mut state) % 200).min(729);
            // A product of uniforms: many small baskets, a long tail of large ones.
            let cents = 500 + (next(&mut state) % 6_000) * (1 + next(&mut state) % 20);
            events.push((
                CustomerId(id),
                start.checked_add_days(Days::new(day)).unwrap(),
                Money::new(Decimal::new(cents as i64, 2), Currency::CNY),
            ));
        }
    }
    events
}

/// The facts of the customers `keep` selects.
fn table(
    config: &Config,
    events: &[(CustomerId, NaiveDate, Money)],
    keep: impl Fn(CustomerId) -> bool,
) -> FactsTable {
    let kept: Vec<&(CustomerId, NaiveDate, Money)> =
        events.iter().filter(|(id, _, _)| keep(*id)).collect();
    let customers: Vec<CustomerId> = kept.iter().map(|e| e.0).collect();
    let dates: Vec<NaiveDate> = kept.iter().map(|e| e.1).collect();
    let amounts: Vec<Money> = kept.iter().map(|e| e.2).collect();
    let options = config.facts_options_on(as_of(), Currency::CNY).unwrap();
    FactsTable::from_dated_events(&options, &customers, &dates, &amounts).unwrap()
}

/// The purchasers' spend, ascending.
fn sorted_spend(facts: &FactsTable) -> Vec<Decimal> {
    let mut spend: Vec<Decimal> = facts
        .purchases()
        .iter()
        .zip(facts.monetary())
        .filter(|(p, _)| **p > 0)
        .map(|(_, m)| m.normalize())
        .collect();
    spend.sort();
    spend
}

/// The largest difference between the sketch's rank and the exact rank over every
/// distinct spend (and one below them all).
fn max_rank_error(sketch: &QuantileSketch<Decimal>, sorted: &[Decimal]) -> u64 {
    let cumulative = sketch.cumulative();
    let rank = |v: &Decimal| -> u64 {
        match cumulative.partition_point(|(kept, _)| kept <= v) {
            0 => 0,
            at => cumulative[at - 1].1,
        }
    };
    let mut probes: Vec<Decimal> = sorted.to_vec();
    probes.dedup();
    probes.push(Decimal::MIN);
    let error = probes
        .iter()
        .map(|v| {
            let exact = sorted.partition_point(|x| x <= v) as u64;
            rank(v).abs_diff(exact)
        })
        .max()
        .unwrap();
    // The batch ranks are the sketch's own.
    for v in probes.iter().step_by(997) {
        assert_eq!(rank(v), sketch.rank(v));
    }
    error
}

struct Differences {
    max_greater: u64,
    max_share: f64,
    score_changed: usize,
    max_score_step: u8,
    purchasers: usize,
}

/// Compares every purchaser of the sharded approximate run with the exact single pass.
fn differences(exact: &Segmentation, parts: &[Segmentation]) -> Differences {
    let mut found = Differences {
        max_greater: 0,
        max_share: 0.0,
        score_changed: 0,
        max_score_step: 0,
        purchasers: 0,
    };
    for part in parts {
        for row in part.iter() {
            let want = exact.get(row.customer).unwrap();
            let (Some(got_share), Some(want_share)) =
                (row.monetary_top_share, want.monetary_top_share)
            else {
                assert_eq!(row.monetary_top_share, want.monetary_top_share);
                continue;
            };
            found.purchasers += 1;
            found.max_greater = found
                .max_greater
                .max(u64::from(got_share.greater.abs_diff(want_share.greater)));
            found.max_share = found
                .max_share
                .max((got_share.as_f64() - want_share.as_f64()).abs());
            let (got, want) = (row.scores.unwrap(), want.scores.unwrap());
            // Recency and frequency stay exact.
            assert_eq!((got[0], got[1]), (want[0], want[1]), "{:?}", row.customer);
            if got[2] != want[2] {
                found.score_changed += 1;
                found.max_score_step = found.max_score_step.max(got[2].abs_diff(want[2]));
            }
        }
    }
    found
}

#[test]
fn the_sketch_stays_within_its_bound_and_its_documented_effect_on_a_sharded_run() {
    let config = Config::reference();
    let events = events();
    let whole = table(&config, &events, |_| true);
    let sorted = sorted_spend(&whole);
    let n = sorted.len() as u64;
    assert_eq!(n, CUSTOMERS);
    let capacity = SketchCapacity::try_new(CAPACITY).unwrap();

    // One sketch over the whole base: the rank error within the proven bound.
    let one = PopulationStats::approximate(&whole, capacity);
    let sketch = one.monetary_sketch().unwrap();
    let bound = sketch.error_bound();
    assert_eq!(one.monetary_error_bound(), bound);
    let k = u64::from(CAPACITY);
    assert!(bound < (u64::from((n / k).ilog2()) + 1) * n / k);
    let error = max_rank_error(sketch, &sorted);
    assert!(error <= bound, "rank error {error} above the bound {bound}");
    // Far fewer values kept than summarised.
    assert!(sketch.retained() < 16 * CAPACITY as usize);

    // Eight shards summarised alone and merged: still within the bound of the merged n.
    let shards: Vec<FactsTable> = (0..SHARDS)
        .map(|shard| table(&config, &events, |id| id.0 % SHARDS == shard))
        .collect();
    let mut merged = PopulationStats::default();
    for shard in &shards {
        merged
            .merge(&PopulationStats::approximate(shard, capacity))
            .unwrap();
    }
    assert_eq!(merged.method(), StatsMethod::Sketch(capacity));
    let merged_sketch = merged.monetary_sketch().unwrap();
    assert_eq!(merged_sketch.len(), n);
    assert_eq!(merged_sketch.error_bound(), bound);
    let merged_error = max_rank_error(merged_sketch, &sorted);
    assert!(
        merged_error <= bound,
        "merged rank error {merged_error} above the bound {bound}"
    );
    // Recency and frequency are exact whatever the method.
    let exact_stats = shards.iter().fold(PopulationStats::default(), |mut s, t| {
        s.merge(&PopulationStats::of(t)).unwrap();
        s
    });
    assert_eq!(merged.recency_days, exact_stats.recency_days);
    assert_eq!(merged.frequency, exact_stats.frequency);

    // Each shard segmented alone with the merged sketch, against the exact single pass.
    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    let exact = segmenter.run(&whole).unwrap();
    let parts: Vec<Segmentation> = shards
        .iter()
        .map(|shard| segmenter.run_shard(shard, &merged).unwrap())
        .collect();
    let found = differences(&exact, &parts);
    assert_eq!(found.purchasers as u64, n);
    // Top share: `greater` within the bound (proven), so the share within bound / n.
    assert!(
        found.max_greater <= bound,
        "{} > {bound}",
        found.max_greater
    );
    assert!(found.max_share <= bound as f64 / n as f64);
    // Scores: a small share of purchasers move, by one score at most (documented).
    let changed = found.score_changed as f64 / n as f64;
    assert!(changed <= SCORE_SHARE_LIMIT, "{changed}");
    assert!(found.max_score_step <= 1, "{}", found.max_score_step);
    // The thresholds the approximate run used, within the sketch's reach.
    assert_eq!(parts[0].thresholds().recency, exact.thresholds().recency);
    assert_eq!(
        parts[0].thresholds().frequency,
        exact.thresholds().frequency
    );

    // Approximate statistics serialise and read back unchanged.
    let json = serde_json::to_string(&merged).unwrap();
    let back: PopulationStats = serde_json::from_str(&json).unwrap();
    assert_eq!(back, merged);
}

#[test]
fn exact_and_approximate_statistics_do_not_mix() {
    let config = Config::reference();
    let as_of = as_of();
    let options = config.facts_options_on(as_of, Currency::CNY).unwrap();
    let customers = [CustomerId(1), CustomerId(2)];
    let dates = [as_of, as_of];
    let amounts = [
        Money::new(Decimal::new(1_250, 2), Currency::CNY),
        Money::new(Decimal::new(990, 2), Currency::CNY),
    ];
    let facts = FactsTable::from_dated_events(&options, &customers, &dates, &amounts).unwrap();
    let small = SketchCapacity::try_new(512).unwrap();
    let exact = PopulationStats::of(&facts);
    let approximate = PopulationStats::approximate(&facts, SketchCapacity::default());

    let mut stats = exact.clone();
    assert_eq!(
        stats.merge(&approximate).unwrap_err().to_string(),
        "cannot combine exact statistics with approximate (sketch capacity 4096) statistics: expected every shard summarised the same way (`PopulationStats::of`, or `PopulationStats::approximate` with one capacity)"
    );
    assert_eq!(
        stats, exact,
        "a refused merge leaves the statistics unchanged"
    );
    let mut stats = approximate.clone();
    assert_eq!(
        stats
            .merge(&PopulationStats::approximate(&facts, small))
            .unwrap_err()
            .to_string(),
        "cannot combine approximate (sketch capacity 4096) statistics with approximate (sketch capacity 512) statistics: expected every shard summarised the same way (`PopulationStats::of`, or `PopulationStats::approximate` with one capacity)"
    );
    assert_eq!(stats, approximate);
    let mut sketch = QuantileSketch::<u32>::new(SketchCapacity::default());
    assert_eq!(
        sketch
            .merge(&QuantileSketch::new(small))
            .unwrap_err()
            .to_string(),
        "cannot merge a quantile sketch of capacity 512 into one of capacity 4096: expected sketches of one capacity"
    );
    // A shard without purchasers merges either way.
    let empty = FactsTable::new(options);
    stats.merge(&PopulationStats::of(&empty)).unwrap();
    assert_eq!(stats, approximate);
    let mut from_empty = PopulationStats::of(&empty);
    from_empty.merge(&approximate).unwrap();
    assert_eq!(from_empty.method(), approximate.method());
    assert_eq!(from_empty.monetary_total(), 2);

    // Rank scores need the whole base, whatever the statistics.
    let mut rank = config.clone();
    rank.segment.rfm.scores.method = patronage::segment::ScoreMethod::Rank;
    let (rank, _) = rank.segmenter(Currency::CNY).unwrap();
    assert_eq!(
        rank.run_shard(&facts, &approximate).unwrap_err().to_string(),
        "rank scores need the whole population in one segmentation: expected quantile scores or fixed cut points for a shard"
    );
    let _: &Segmenter = &rank;
    assert_eq!(
        SketchCapacity::try_new(7).unwrap_err().to_string(),
        "invalid sketch capacity `7`: expected from 8 to 1048576 items per level"
    );
}
