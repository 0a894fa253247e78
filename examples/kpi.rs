//! Computes the KPI scorecards of a period (R23–R27) and prints them: the service,
//! operations and product team scorecards, satisfaction by dimension, one scorecard
//! per agent and per operator, the lift of each playbook against its control group,
//! and an early-warning check of weekly complaint volume and first-response time.
//!
//! ```text
//! cargo run --example kpi                       # shipped data, 2024-Q4, Asia/Shanghai
//! cargo run --example kpi -- --period 2024-12 --json
//! cargo run --example kpi -- --orders FILE --responses FILE --cases FILE \
//!     --assignments FILE --outcomes FILE --targets FILE \
//!     --period 2024-Q4 --zone Asia/Shanghai --as-of 2024-12-31T16:00:00Z
//! ```
//!
//! With no arguments it reads the data shipped in `examples/data/`: the orders of the
//! quickstart shop (`orders.csv`) and, in `examples/data/kpi/`, survey responses, handled
//! cases, operator assignments, playbook outcomes and a targets document.
//!
//! Input files are CSV with a header row, comma-separated, no quoting:
//! - orders: `id,customer,placed_at,amount,currency,status,refunded` (status `paid`,
//!   `cancelled`, `refunded` or `partially_refunded` with the refunded amount);
//! - responses: `id,customer,at,scale,score,dimension,case,agent` (scale `csat`,
//!   `nps` or `ces`; dimension `overall`, `service_quality`, `shopping_experience` or
//!   `customer_care`; case and agent may be empty);
//! - cases: `id,customer,kind,category,agent,created_at,first_response_at,resolved_at,
//!   closed_at,resolution,contacts,adopted,led_to_optimisation,sla_first_response,
//!   sla_resolution` (kind `inquiry`, `after_sales`, `complaint`, `suggestion`,
//!   `feedback`; resolution `confirmed`, `unconfirmed`, `unresolved`; SLA results `met`
//!   or `breached`; empty fields are unknown);
//! - assignments: `customer,operator`; outcomes: `playbook,customer,group,converted`
//!   (group `treated` or `held_out`, converted `true`/`false`).
//!
//! Instants are RFC 3339. The targets file is a TOML [`TargetsDocument`]. Every row is
//! validated, and an order must be in the report's currency (`--currency`, default
//! CNY); the first bad row stops the run with its file and line. With `--lenient`, bad
//! order rows are reported on stderr and left out instead. The shipped `orders.csv`
//! holds a few deliberately invalid rows for the quickstart's validation demo (an order
//! in USD), so when no `--orders` file is given the shipped orders are read leniently.
//!
//! [`TargetsDocument`]: patronage::kpi::TargetsDocument

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use patronage::kpi::{
    lift_by_playbook, scorecards, CaseId, CaseKind, CaseOptions, CaseTally, Closure, EarlyWarning,
    Group, HandledCase, Period, PlanOutcome, Resolution, ResponseId, SatisfactionDimension, Scale,
    ScorecardInputs, ScorecardSpec, SlaMetric, SlaResult, StaffId, Statistic, SurveyResponse,
    TargetsDocument, Watch,
};
use patronage::{Currency, CustomerId, Money, Order, OrderId, OrderStatus};
use rust_decimal::Decimal;

const ORDERS: &str = include_str!("data/orders.csv");
const RESPONSES: &str = include_str!("data/kpi/responses.csv");
const CASES: &str = include_str!("data/kpi/cases.csv");
const ASSIGNMENTS: &str = include_str!("data/kpi/assignments.csv");
const OUTCOMES: &str = include_str!("data/kpi/outcomes.csv");
const TARGETS: &str = include_str!("data/kpi/targets.toml");

const HELP: &str =
    "usage: kpi [--orders FILE] [--responses FILE] [--cases FILE] [--assignments FILE]
           [--outcomes FILE] [--targets FILE] [--period YYYY|YYYY-MM|YYYY-Qn]
           [--zone IANA] [--as-of RFC3339] [--currency CODE] [--lenient] [--json]

Without file arguments, the data shipped in examples/data/ is used
(period 2024-Q4, zone Asia/Shanghai, as of 2024-12-31T16:00:00Z, CNY);
the shipped orders are read leniently (see the example's docs).";

type Error = Box<dyn std::error::Error>;

struct Args {
    files: BTreeMap<&'static str, String>,
    period: String,
    zone: Tz,
    as_of: DateTime<Utc>,
    currency: Currency,
    lenient: bool,
    json: bool,
}

fn main() {
    match run() {
        Ok(()) => {}
        Err(e) => {
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return;
            }
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

fn parse_args() -> Result<Option<Args>, Error> {
    let mut args = Args {
        files: BTreeMap::new(),
        period: "2024-Q4".to_owned(),
        zone: chrono_tz::Asia::Shanghai,
        as_of: "2024-12-31T16:00:00Z".parse()?,
        currency: Currency::CNY,
        lenient: false,
        json: false,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let mut value = || iter.next().ok_or(format!("`{flag}` needs a value"));
        match flag.as_str() {
            "--help" | "-h" => return Ok(None),
            "--json" => args.json = true,
            "--lenient" => args.lenient = true,
            "--period" => args.period = value()?,
            "--zone" => {
                let name = value()?;
                args.zone = name.parse().map_err(|_| {
                    format!("unknown zone `{name}`: expected an IANA name such as `Asia/Shanghai`")
                })?;
            }
            "--as-of" => {
                let text = value()?;
                args.as_of = text
                    .parse()
                    .map_err(|e| format!("`--as-of {text}`: {e}; expected RFC 3339"))?;
            }
            "--currency" => args.currency = value()?.parse()?,
            "--orders" | "--responses" | "--cases" | "--assignments" | "--outcomes"
            | "--targets" => {
                let key = match flag.as_str() {
                    "--orders" => "orders",
                    "--responses" => "responses",
                    "--cases" => "cases",
                    "--assignments" => "assignments",
                    "--outcomes" => "outcomes",
                    _ => "targets",
                };
                args.files.insert(key, value()?);
            }
            other => return Err(format!("unknown argument `{other}`\n{HELP}").into()),
        }
    }
    Ok(Some(args))
}

fn run() -> Result<(), Error> {
    let Some(args) = parse_args()? else {
        println!("{HELP}");
        return Ok(());
    };
    let read = |key: &'static str, shipped: &'static str| -> Result<(String, String), Error> {
        match args.files.get(key) {
            Some(path) => Ok((
                path.clone(),
                std::fs::read_to_string(path).map_err(|e| format!("cannot read `{path}`: {e}"))?,
            )),
            None => Ok((format!("examples/data/{key} (shipped)"), shipped.to_owned())),
        }
    };
    let (name, text) = read("orders", ORDERS)?;
    let lenient = args.lenient || !args.files.contains_key("orders");
    let orders = parse_orders(&name, &text, args.currency, lenient)?;
    let (name, text) = read("responses", RESPONSES)?;
    let responses = parse_responses(&name, &text)?;
    let (name, text) = read("cases", CASES)?;
    let cases = parse_cases(&name, &text)?;
    let (name, text) = read("assignments", ASSIGNMENTS)?;
    let assignments = parse_assignments(&name, &text)?;
    let (name, text) = read("outcomes", OUTCOMES)?;
    let outcomes = parse_outcomes(&name, &text)?;
    let (name, text) = read("targets", TARGETS)?;
    let targets = toml::from_str::<TargetsDocument>(&text)
        .map_err(|e| format!("{name}: {e}"))?
        .validate()?;

    let period = parse_period(&args.period, args.zone)?;
    let mut spec = ScorecardSpec::new(period, args.as_of, args.currency);
    spec.targets = targets.clone();
    let inputs = ScorecardInputs::new(&responses, &orders, &cases, &assignments);
    let cards = scorecards(&inputs, &spec)?;
    let lifts = lift_by_playbook(&outcomes, targets.confidence())?;
    let warnings = weekly_warnings(&cases, args.as_of, args.zone, &targets)?;

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let lifts: BTreeMap<&str, _> = lifts.iter().map(|(n, l)| (n.as_str(), l)).collect();
        let doc = serde_json::json!({
            "scorecards": cards,
            "lifts": lifts,
            "early_warning": warnings.iter().map(|(n, a)| (*n, a)).collect::<BTreeMap<_, _>>(),
        });
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
        return Ok(());
    }
    write!(out, "{cards}")?;
    writeln!(out, "\nplaybook lift (treated − held out, conversion)")?;
    for (name, lift) in &lifts {
        writeln!(out, "  {name}: {lift}")?;
    }
    writeln!(
        out,
        "\nearly warning (latest week against the 12 before it, median and MAD)"
    )?;
    for (name, assessment) in &warnings {
        match assessment {
            Some(a) => writeln!(
                out,
                "  {name}: {:.1} this week, median {:.1}, robust z {}, history weeks {}..{} — {:?}",
                a.value,
                a.median.unwrap_or(f64::NAN),
                a.robust_z
                    .map_or_else(|| "n/a".to_owned(), |z| format!("{z:+.2}")),
                a.window_start,
                a.window_start + a.window_len,
                a.status
            )?,
            None => writeln!(out, "  {name}: no data")?,
        }
    }
    Ok(())
}

/// Weekly complaint volume and median first response (minutes) over the 26 weeks
/// before `as_of` (weeks of dates in the report's zone), the latest week assessed
/// against the 12 before it.
fn weekly_warnings(
    cases: &[HandledCase],
    as_of: DateTime<Utc>,
    zone: Tz,
    targets: &patronage::kpi::Targets,
) -> Result<Vec<(&'static str, Option<patronage::kpi::Assessment>)>, Error> {
    let last_day = (as_of - Duration::seconds(1))
        .with_timezone(&zone)
        .date_naive();
    let weeks = (0..26)
        .rev()
        .map(|w| {
            let last = last_day - Duration::weeks(w);
            Period::custom(last - Duration::days(6), last, zone)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let series = CaseTally::series(cases, &weeks, as_of, CaseOptions::default())?;
    let complaints: Vec<f64> = series
        .iter()
        .map(|week| week.complaints_received() as f64)
        .collect();
    let medians: Vec<f64> = series
        .iter()
        .map(|week| {
            week.first_response_time(Statistic::Median, targets)
                .value()
                .map_or(0.0, |seconds| seconds / 60.0)
        })
        .collect();
    let detector = EarlyWarning::new(12, 8, 3.5, Watch::Up)?;
    Ok(vec![
        ("weekly complaints", detector.latest(&complaints)?),
        (
            "weekly median first response (min)",
            detector.latest(&medians)?,
        ),
    ])
}

fn parse_period(text: &str, zone: Tz) -> Result<Period, Error> {
    let bad = || format!("`--period {text}`: expected YYYY, YYYY-MM or YYYY-Qn");
    let mut parts = text.splitn(2, '-');
    let year: i32 = parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
    Ok(match parts.next() {
        None => Period::year(year, zone)?,
        Some(rest) => match rest.strip_prefix('Q') {
            Some(q) => Period::quarter(year, q.parse().map_err(|_| bad())?, zone)?,
            None => Period::month(year, rest.parse().map_err(|_| bad())?, zone)?,
        },
    })
}

/// The data rows of a CSV text, each with its line number, checked against `header`.
fn rows<'a>(name: &str, text: &'a str, header: &str) -> Result<Vec<(usize, Vec<&'a str>)>, Error> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, first)) if first.trim() == header => {}
        _ => return Err(format!("{name}: expected the header `{header}`").into()),
    }
    let width = header.split(',').count();
    lines
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let cols: Vec<&str> = line.trim().split(',').collect();
            if cols.len() == width {
                Ok((i + 1, cols))
            } else {
                Err(format!("{name}:{}: {} fields: expected {width}", i + 1, cols.len()).into())
            }
        })
        .collect()
}

fn field<T: std::str::FromStr>(
    name: &str,
    line: usize,
    column: &str,
    text: &str,
) -> Result<T, Error>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| format!("{name}:{line}: `{column}` is `{text}`: {e}").into())
}

fn optional<T: std::str::FromStr>(
    name: &str,
    line: usize,
    column: &str,
    text: &str,
) -> Result<Option<T>, Error>
where
    T::Err: std::fmt::Display,
{
    if text.is_empty() {
        Ok(None)
    } else {
        field(name, line, column, text).map(Some)
    }
}

fn parse_orders(
    name: &str,
    text: &str,
    report_currency: Currency,
    lenient: bool,
) -> Result<Vec<Order>, Error> {
    let header = "id,customer,placed_at,amount,currency,status,refunded";
    let mut orders = Vec::new();
    for (line, c) in rows(name, text, header)? {
        match parse_order(name, line, &c, report_currency) {
            Ok(order) => orders.push(order),
            Err(e) if lenient => eprintln!("left out: {e}"),
            Err(e) => return Err(e),
        }
    }
    Ok(orders)
}

fn parse_order(
    name: &str,
    line: usize,
    c: &[&str],
    report_currency: Currency,
) -> Result<Order, Error> {
    {
        let currency: Currency = field(name, line, "currency", c[4])?;
        let amount: Decimal = field(name, line, "amount", c[3])?;
        let status = match c[5] {
            "paid" => OrderStatus::Paid,
            "cancelled" => OrderStatus::Cancelled,
            "refunded" => OrderStatus::Refunded,
            "partially_refunded" => OrderStatus::PartiallyRefunded {
                refunded: field(name, line, "refunded", c[6])?,
            },
            other => return Err(format!("{name}:{line}: unknown status `{other}`").into()),
        };
        let order = Order::new(
            OrderId(field(name, line, "id", c[0])?),
            CustomerId(field(name, line, "customer", c[1])?),
            field(name, line, "placed_at", c[2])?,
            Money::new(amount, currency),
            status,
        );
        order.check().map_err(|e| format!("{name}:{line}: {e}"))?;
        if currency != report_currency {
            return Err(format!(
                "{name}:{line}: order {} is in `{currency}`: expected `{report_currency}`, the report's currency",
                order.id
            )
            .into());
        }
        Ok(order)
    }
}

fn parse_responses(name: &str, text: &str) -> Result<Vec<SurveyResponse>, Error> {
    let mut responses = Vec::new();
    for (line, c) in rows(
        name,
        text,
        "id,customer,at,scale,score,dimension,case,agent",
    )? {
        let scale = match c[3] {
            "csat" => Scale::Csat,
            "nps" => Scale::Nps,
            "ces" => Scale::Ces,
            other => return Err(format!("{name}:{line}: unknown scale `{other}`").into()),
        };
        let mut response = SurveyResponse::new(
            ResponseId(field(name, line, "id", c[0])?),
            CustomerId(field(name, line, "customer", c[1])?),
            field(name, line, "at", c[2])?,
            scale,
            field(name, line, "score", c[4])?,
        );
        response.dimension = match c[5] {
            "overall" => SatisfactionDimension::Overall,
            "service_quality" => SatisfactionDimension::ServiceQuality,
            "shopping_experience" => SatisfactionDimension::ShoppingExperience,
            "customer_care" => SatisfactionDimension::CustomerCare,
            other => return Err(format!("{name}:{line}: unknown dimension `{other}`").into()),
        };
        response.case = optional(name, line, "case", c[6])?.map(CaseId);
        response.agent = optional(name, line, "agent", c[7])?.map(StaffId);
        response
            .check()
            .map_err(|e| format!("{name}:{line}: {e}"))?;
        responses.push(response);
    }
    Ok(responses)
}

fn parse_cases(name: &str, text: &str) -> Result<Vec<HandledCase>, Error> {
    let header = "id,customer,kind,category,agent,created_at,first_response_at,resolved_at,closed_at,resolution,contacts,adopted,led_to_optimisation,sla_first_response,sla_resolution";
    let mut cases = Vec::new();
    for (line, c) in rows(name, text, header)? {
        let kind = match c[2] {
            "inquiry" => CaseKind::Inquiry,
            "after_sales" => CaseKind::AfterSales,
            "complaint" => CaseKind::Complaint,
            "suggestion" => CaseKind::Suggestion,
            "feedback" => CaseKind::Feedback,
            other => return Err(format!("{name}:{line}: unknown kind `{other}`").into()),
        };
        let mut case = HandledCase::new(
            CaseId(field(name, line, "id", c[0])?),
            CustomerId(field(name, line, "customer", c[1])?),
            kind,
            field(name, line, "created_at", c[5])?,
        );
        c[3].clone_into(&mut case.category);
        case.agent = optional(name, line, "agent", c[4])?.map(StaffId);
        case.first_response_at = optional(name, line, "first_response_at", c[6])?;
        case.resolved_at = optional(name, line, "resolved_at", c[7])?;
        let closed_at: Option<DateTime<Utc>> = optional(name, line, "closed_at", c[8])?;
        case.closed = match (closed_at, c[9]) {
            (None, "") => None,
            (Some(at), resolution) => Some(Closure {
                at,
                resolution: match resolution {
                    "confirmed" => Resolution::Confirmed,
                    "unconfirmed" => Resolution::Unconfirmed,
                    "unresolved" => Resolution::Unresolved,
                    other => {
                        return Err(format!("{name}:{line}: unknown resolution `{other}`").into())
                    }
                },
            }),
            (None, _) => {
                return Err(format!("{name}:{line}: a resolution without `closed_at`").into())
            }
        };
        case.contacts = field(name, line, "contacts", c[10])?;
        case.adopted = optional(name, line, "adopted", c[11])?;
        case.led_to_optimisation = optional(name, line, "led_to_optimisation", c[12])?;
        for (metric, column, text) in [
            (SlaMetric::FirstResponse, "sla_first_response", c[13]),
            (SlaMetric::Resolution, "sla_resolution", c[14]),
        ] {
            let met = match text {
                "" => continue,
                "met" => true,
                "breached" => false,
                other => {
                    return Err(format!(
                    "{name}:{line}: `{column}` is `{other}`: expected `met`, `breached` or empty"
                )
                    .into())
                }
            };
            case.sla.push(SlaResult { metric, met });
        }
        case.check().map_err(|e| format!("{name}:{line}: {e}"))?;
        cases.push(case);
    }
    Ok(cases)
}

fn parse_assignments(name: &str, text: &str) -> Result<Vec<(CustomerId, StaffId)>, Error> {
    rows(name, text, "customer,operator")?
        .into_iter()
        .map(|(line, c)| {
            Ok((
                CustomerId(field(name, line, "customer", c[0])?),
                StaffId(field(name, line, "operator", c[1])?),
            ))
        })
        .collect()
}

fn parse_outcomes(name: &str, text: &str) -> Result<Vec<PlanOutcome>, Error> {
    rows(name, text, "playbook,customer,group,converted")?
        .into_iter()
        .map(|(line, c)| {
            Ok(PlanOutcome {
                playbook: c[0].to_owned(),
                customer: CustomerId(field(name, line, "customer", c[1])?),
                group: match c[2] {
                    "treated" => Group::Treated,
                    "held_out" => Group::HeldOut,
                    other => return Err(format!("{name}:{line}: unknown group `{other}`").into()),
                },
                converted: field(name, line, "converted", c[3])?,
            })
        })
        .collect()
}
