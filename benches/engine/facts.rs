//! Benchmarks: facts. Folding synthetic orders through the aggregator (orders per
//! second at 1M orders), and building the columnar table.

use std::hint::black_box;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{BatchSize, Criterion, Throughput};
use patronage::{
    Aggregator, Currency, CustomerId, FactsOptions, FactsTable, Money, Order, OrderId, OrderStatus,
};
use rust_decimal::Decimal;

const N_ORDERS: usize = 1_000_000;
const N_CUSTOMERS: u64 = 100_000;

/// A deterministic 64-bit LCG (Knuth's MMIX constants): the benchmark needs no
/// randomness dependency, only reproducible, well-spread ids, days and amounts.
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

fn as_of() -> DateTime<Utc> {
    DateTime::from_timestamp(1_735_689_599, 0).expect("2024-12-31T23:59:59Z") // 2024-12-31T23:59:59Z
}

/// 1M orders over two years for 100k customers: 90% paid, 4% cancelled, 3% refunded,
/// 3% partially refunded; amounts 1.00–500.00 CNY.
fn orders() -> Vec<Order> {
    let mut rng = Lcg(42);
    let start = as_of().timestamp() - 2 * 365 * 86_400;
    (0..N_ORDERS)
        .map(|idx| {
            let customer = CustomerId(rng.next() % N_CUSTOMERS);
            let at = DateTime::from_timestamp(start + (rng.next() % (2 * 365 * 86_400)) as i64, 0)
                .expect("in range");
            let cents = 100 + (rng.next() % 49_900) as i64;
            let status = match rng.next() % 100 {
                0..=89 => OrderStatus::Paid,
                90..=93 => OrderStatus::Cancelled,
                94..=96 => OrderStatus::Refunded,
                _ => OrderStatus::PartiallyRefunded {
                    refunded: Decimal::new(cents / 2, 2),
                },
            };
            Order::new(
                OrderId(idx as u64),
                customer,
                at,
                Money::new(Decimal::new(cents, 2), Currency::CNY),
                status,
            )
        })
        .collect()
}

fn fold(options: FactsOptions, orders: &[Order]) -> Aggregator {
    let mut agg = Aggregator::with_capacity(options, N_CUSTOMERS as usize);
    for order in orders {
        agg.add_order(order).expect("valid synthetic order");
    }
    agg
}

pub(crate) fn define(c: &mut Criterion) {
    let orders = orders();
    let dated: Vec<(CustomerId, NaiveDate, Money)> = orders
        .iter()
        .map(|o| (o.customer, o.placed_at.date_naive(), o.amount))
        .collect();
    let mut ids: Vec<CustomerId> = orders.iter().map(|o| o.customer).collect();
    ids.sort_unstable();
    ids.dedup();
    let n_customers = ids.len();
    let utc = FactsOptions::new(as_of(), Currency::CNY);
    let shanghai = utc.with_time_zone(chrono_tz::Asia::Shanghai);

    let mut group = c.benchmark_group("facts/fold");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N_ORDERS as u64));
    group.bench_function("orders/1m_utc", |b| {
        b.iter(|| {
            let agg = fold(utc, black_box(&orders));
            assert_eq!(agg.len(), n_customers);
            agg
        });
    });
    group.bench_function("orders/1m_shanghai", |b| {
        b.iter(|| {
            let agg = fold(shanghai, black_box(&orders));
            assert_eq!(agg.len(), n_customers);
            agg
        });
    });
    group.finish();

    // The columnar bulk path on the same rows: purchases, with refunded and partially
    // refunded orders' refunds as negative rows, as a CSV export carries them.
    let mut customers = Vec::with_capacity(N_ORDERS);
    let mut dates = Vec::with_capacity(N_ORDERS);
    let mut amounts = Vec::with_capacity(N_ORDERS);
    for (customer, date, amount) in &dated {
        customers.push(*customer);
        dates.push(*date);
        amounts.push(*amount);
    }
    for (idx, order) in orders.iter().enumerate().step_by(25) {
        customers.push(order.customer);
        dates.push(dated[idx].1);
        amounts.push(Money::new(-Decimal::new(50, 2), Currency::CNY));
    }
    let streamed = {
        let mut agg = Aggregator::with_capacity(utc, N_CUSTOMERS as usize);
        for ((customer, date), amount) in customers.iter().zip(&dates).zip(&amounts) {
            if amount.amount.is_sign_negative() {
                let refunded = Money::new(-amount.amount, amount.currency);
                agg.add_refund_on(*customer, *date, refunded)
                    .expect("valid synthetic refund");
            } else {
                agg.add_purchase_on(*customer, *date, *amount)
                    .expect("valid synthetic purchase");
            }
        }
        agg.into_table()
    };
    let mut group = c.benchmark_group("facts/batch");
    group.sample_size(10);
    group.throughput(Throughput::Elements(customers.len() as u64));
    group.bench_function("dated/1m", |b| {
        b.iter(|| {
            let table = FactsTable::from_dated_events(
                &utc,
                black_box(&customers),
                black_box(&dates),
                black_box(&amounts),
            )
            .expect("valid synthetic rows");
            assert_eq!(table.len(), n_customers);
            assert_eq!(table.monetary(), streamed.monetary());
            table
        });
    });
    group.finish();

    let mut group = c.benchmark_group("facts/fold");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N_ORDERS as u64));
    group.bench_function("dated_purchases/1m", |b| {
        b.iter(|| {
            let mut agg = Aggregator::with_capacity(utc, N_CUSTOMERS as usize);
            for (customer, date, amount) in black_box(&dated) {
                agg.add_purchase_on(*customer, *date, *amount)
                    .expect("valid synthetic purchase");
            }
            assert_eq!(agg.len(), n_customers);
            agg
        });
    });
    group.finish();

    let mut group = c.benchmark_group("facts/table");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n_customers as u64));
    let folded = fold(utc, &orders);
    group.bench_function("into_table/100k", |b| {
        b.iter_batched(
            || folded.clone(),
            |agg| {
                let table = agg.into_table();
                assert_eq!(table.len(), n_customers);
                table
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}
