//! Generates the synthetic customer base that `quickstart` runs on, deterministically:
//! 2,000 customers of a Chinese web shop over 2022–2024, with orders (paid, cancelled,
//! refunded, partially refunded), separate refund events and interactions, written as
//! four CSV files under `examples/data/`.
//!
//! Run with no argument it checks that the shipped files are exactly what it generates
//! (so CI can run it harmlessly); run with `--write` it rewrites them.
//!
//! ```sh
//! cargo run --example generate_data            # verify examples/data/*.csv
//! cargo run --example generate_data -- --write # regenerate them
//! cargo run --example generate_data -- --help
//! ```
//!
//! `orders.csv` is in the order layout that the `segment` example documents
//! (`id,customer,placed_at,amount,currency,status,refunded`).
//!
//! A handful of records are wrong on purpose (orders before registration, a duplicate
//! order id, an order in another currency) so that the quickstart shows the lenient
//! validation report.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use common::Stop;

const N_CUSTOMERS: u64 = 2_000;
/// 2022-01-01T00:00:00Z.
const START: i64 = 1_640_995_200;
/// 2024-12-31T15:59:59Z, i.e. 23:59:59 on 31 December in Shanghai: the quickstart's as-of.
const AS_OF: i64 = 1_735_660_799;
const DAY: i64 = 86_400;

/// A deterministic 64-bit LCG (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 16
    }

    /// Uniform in `lo..hi` (`hi > lo`).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }

    /// True with probability `percent / 100`.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn stamp(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The four files, as text: customers, orders, refunds, interactions.
fn generate() -> [String; 4] {
    let mut rng = Lcg(2024);
    let mut customers =
        String::from("id,registered_at,source,time_zone,birthday,points,consents\n");
    let mut orders = String::from("id,customer,placed_at,amount,currency,status,refunded\n");
    let mut refunds = String::from("customer,order,at,amount,currency\n");
    let mut interactions = String::from("customer,kind,at\n");
    let sources = [
        "own_site",
        "app",
        "mini_program",
        "offline_store",
        "marketplace:Tmall",
        "marketplace:JD",
    ];
    let zones = [
        "Asia/Shanghai",
        "Asia/Shanghai",
        "Asia/Shanghai",
        "Asia/Hong_Kong",
        "Europe/London",
    ];
    let mut order_id = 100_000_u64;
    for id in 1..=N_CUSTOMERS {
        let registered = rng.range(START, AS_OF - 10 * DAY);
        let source = sources[(rng.next() % sources.len() as u64) as usize];
        let zone = zones[(rng.next() % zones.len() as u64) as usize];
        let birthday = if rng.chance(60) {
            format!("{:02}-{:02}", rng.range(1, 13), rng.range(1, 29))
        } else {
            String::new()
        };
        // Engagement profile: how many orders, how long the customer stays active.
        let profile = rng.next() % 100;
        let (n_orders, active_days) = match profile {
            0..=14 => (0, rng.range(1, 60)),
            15..=34 => (1, rng.range(1, 30)),
            35..=74 => (rng.range(2, 7), rng.range(60, 700)),
            75..=94 => (rng.range(8, 31), rng.range(200, 1100)),
            _ => (rng.range(24, 49), rng.range(400, 1100)),
        };
        // A loyalty balance of 150 points an order; none on record before a first order.
        let points = if n_orders == 0 {
            String::new()
        } else {
            (n_orders * 150).to_string()
        };
        // Channels the customer opted in to at registration, most preferred first
        // (a fifth gave none): a function of the id, so the orders stay as they were.
        let consents = match id % 5 {
            0 => "",
            1 => "wechat|sms",
            2 => "app_push|wechat",
            3 => "email",
            _ => "sms|email",
        };
        writeln!(
            customers,
            "{id},{},{source},{zone},{birthday},{points},{consents}",
            stamp(registered)
        )
        .ok();
        let active_until = (registered + active_days * DAY).min(AS_OF);
        let aov_cents = rng.range(3_000, 80_000);
        for _ in 0..n_orders {
            order_id += 1;
            let at = rng.range(registered, active_until.max(registered + 1));
            let cents = (aov_cents / 2 + rng.range(0, aov_cents)).max(100);
            let roll = rng.next() % 100;
            let (status, refunded) = match roll {
                0..=3 => ("cancelled", String::new()),
                4..=6 => ("refunded", String::new()),
                7..=9 => ("partially_refunded", money(cents * rng.range(10, 50) / 100)),
                _ => ("paid", String::new()),
            };
            writeln!(
                orders,
                "{order_id},{id},{},{},CNY,{status},{refunded}",
                stamp(at),
                money(cents)
            )
            .ok();
            if status == "paid" && rng.chance(2) {
                let refund_at = (at + rng.range(DAY, 10 * DAY)).min(AS_OF);
                let part = cents * rng.range(5, 30) / 100;
                writeln!(
                    refunds,
                    "{id},{order_id},{},{},CNY",
                    stamp(refund_at),
                    money(part.max(1))
                )
                .ok();
            }
        }
        // Interactions: browsing before buying, logins while active, service contacts.
        let n_browse = match n_orders {
            0 if profile < 7 => 0,
            0 => rng.range(1, 6),
            n => rng.range(n / 2, n + 3),
        };
        for _ in 0..n_browse {
            let kind = ["browse", "browse", "favorite", "add_to_cart"][(rng.next() % 4) as usize];
            let at = rng.range(registered, active_until.max(registered + 1));
            writeln!(interactions, "{id},{kind},{}", stamp(at)).ok();
        }
        let n_logins = if active_until > AS_OF - 30 * DAY && rng.chance(40) {
            rng.range(4, 14)
        } else {
            rng.range(0, 3)
        };
        for _ in 0..n_logins {
            let at = rng.range(
                (active_until - 35 * DAY).max(registered),
                active_until.max(registered + 1),
            );
            writeln!(interactions, "{id},login,{}", stamp(at)).ok();
        }
        if n_orders > 0 && rng.chance(4) {
            let at = rng.range(registered, active_until.max(registered + 1));
            writeln!(interactions, "{id},complaint,{}", stamp(at)).ok();
        }
        if rng.chance(30) {
            let at = rng.range(AS_OF - 60 * DAY, AS_OF);
            writeln!(interactions, "{id},message_received,{}", stamp(at)).ok();
            if rng.chance(40) {
                writeln!(interactions, "{id},message_opened,{}", stamp(at + 3_600)).ok();
            }
        }
    }
    // Deliberately wrong records, for the validation report.
    writeln!(orders, "900001,17,2021-06-01T08:00:00Z,99.00,CNY,paid,").ok();
    writeln!(orders, "900002,18,2021-07-01T08:00:00Z,59.00,CNY,paid,").ok();
    writeln!(orders, "100001,19,2024-05-05T08:00:00Z,20.00,CNY,paid,").ok();
    writeln!(orders, "900003,20,2024-05-06T08:00:00Z,15.00,USD,paid,").ok();
    [customers, orders, refunds, interactions]
}

const HELP: &str = "\
generate_data: the synthetic shop that `quickstart` runs on (examples/data/*.csv).

usage:
  generate_data            check that the shipped files are exactly what it generates
  generate_data --write    rewrite them
  generate_data --help     this text

files: customers.csv (id,registered_at,source,time_zone,birthday,points,consents),
orders.csv (id,customer,placed_at,amount,currency,status,refunded; the order layout of
the `segment` example), refunds.csv (customer,order,at,amount,currency),
interactions.csv (customer,kind,at).
";

fn main() -> ExitCode {
    common::exit("generate_data", run())
}

fn run() -> Result<(), Stop> {
    let mut line = common::CommandLine::from_env()?;
    let mut write = false;
    while let Some(flag) = line.next_flag()? {
        match flag.as_str() {
            "--help" | "-h" => return common::print(HELP),
            "--write" => write = true,
            other => {
                return Err(Stop::usage(format!(
                    "unknown option `{}`",
                    common::clip(other)
                )))
            }
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    let names = [
        "customers.csv",
        "orders.csv",
        "refunds.csv",
        "interactions.csv",
    ];
    let files = generate();
    let mut report = String::new();
    let mut total = 0;
    for (name, text) in names.iter().zip(&files) {
        let path = dir.join(name);
        total += text.len();
        if write {
            std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::write(&path, text))
                .map_err(|e| Stop::fail(format!("cannot write `{}`: {e}", path.display())))?;
            writeln!(
                report,
                "wrote {} ({} lines)",
                path.display(),
                text.lines().count()
            )
            .ok();
        } else {
            let shipped = std::fs::read_to_string(&path)
                .map_err(|e| Stop::fail(format!("cannot read `{}`: {e}", path.display())))?;
            if shipped != *text {
                return Err(Stop::fail(format!(
                    "`{}` differs from the generator's output; rerun with `--write`",
                    path.display()
                )));
            }
            writeln!(
                report,
                "{name}: {} lines, as generated",
                text.lines().count()
            )
            .ok();
        }
    }
    writeln!(report, "{total} bytes in all").ok();
    common::print(&report)
}
