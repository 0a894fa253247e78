//! The whole daily job on the shop shipped in `examples/data/`, as one self-contained
//! HTML page of charts and the numbers behind them: facts as of the end of 2024
//! (Asia/Shanghai), the segmentation (tiers, lifecycle stages, RFM segments and the RFM
//! heat map), the transitions against the same base segmented 30 days earlier, the
//! BG/NBD fit with its model checks and the Gamma-Gamma CLV, the next day's plan, and
//! the KPIs (2024 against 2023, retention per month with early warnings, the Q4
//! scorecard).
//!
//! ```sh
//! cargo run --release --example report --features charts
//! cargo run --release --example report --features charts -- --out /tmp/report.html
//! cargo run --release --example report --features charts -- --svg-dir docs/charts
//! cargo run --release --example report --features charts -- --help
//! ```
//!
//! The page (default `target/patronage-report.html`) is XHTML-compatible markup: it
//! parses as XML, holds every chart as inline SVG and loads nothing (no script, no font,
//! no style sheet from elsewhere). Each chart is followed by a table of its marks: the
//! values read back from the chart itself, so the table and the picture cannot
//! disagree. With `--svg-dir DIR` each chart is also written to `DIR/NAME.svg` (the
//! README's pictures come from there). One progress line per stage goes to stderr, and
//! the path of the page to stdout.
//!
//! The data is the quickstart's (see `examples/quickstart.rs` for the layouts):
//! `customers.csv`, `orders.csv`, `refunds.csv`, `interactions.csv` and, for the
//! satisfaction KPIs, `kpi/responses.csv` (`id,customer,at,scale,score,dimension,case,
//! agent`). Four records are deliberately wrong, so validation runs in lenient mode and
//! the page lists what it rejected. Service cases are not read, so the service KPIs of
//! the scorecard say "not enough data" (the `kpi` example reads them).

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::{note, Stop};
use patronage::charts;
use patronage::kpi::{
    scorecards, CaseId, EarlyWarning, OrderOptions, OrderTally, Period, ResponseId,
    SatisfactionDimension, Scale, ScorecardInputs, ScorecardSpec, StaffId, SurveyResponse, Watch,
};
use patronage::plan::{PlanInput, Profile, Vocabulary};
use patronage::predict::{
    fit_bgnbd, fit_gamma_gamma, ClvModel, ClvOptions, FitOptions, ObservationTable,
};
use patronage::segment::transitions;
use patronage::{
    Aggregator, Config, Currency, Customer, CustomerId, Dimension, FactsTable, Money, Records,
    RepeatSummary, RepeatSummaryBuilder, Segmentation, ValidationMode, Validator,
};
use rust_decimal::Decimal;
use serde::Deserialize;

const HELP: &str = "\
report: the daily job on the shop shipped in examples/data/, as one HTML page of
charts and tables (facts, segments, transitions, CLV, the plan, KPIs).

usage:
  report                   write target/patronage-report.html
  report --out PATH        write the page to PATH
  report --svg-dir DIR     also write each chart to DIR/NAME.svg
  report --help            this text

The page is self-contained (inline SVG, no scripts or fonts from the network) and
parses as XML. Progress goes to stderr, the page's path to stdout.
";

const RESPONSES: (&str, &str) = (
    "examples/data/kpi/responses.csv",
    include_str!("data/kpi/responses.csv"),
);

/// The facts' day, the day of the previous run, and the end of the BG/NBD calibration.
const AS_OF: (i32, u32, u32) = (2024, 12, 31);
const PREVIOUS_DAYS: i64 = 30;
const CALIBRATION_END: (i32, u32, u32) = (2024, 9, 30);

fn main() -> ExitCode {
    common::exit("report", run())
}

fn run() -> Result<(), Stop> {
    let mut line = common::CommandLine::from_env()?;
    let mut out = PathBuf::from("target/patronage-report.html");
    let mut svg_dir: Option<PathBuf> = None;
    while let Some(flag) = line.next_flag()? {
        match flag.as_str() {
            "--help" | "-h" => return common::print(HELP),
            "--out" => out = PathBuf::from(line.value(&flag)?),
            "--svg-dir" => svg_dir = Some(PathBuf::from(line.value(&flag)?)),
            other => {
                return Err(Stop::usage(format!(
                    "unknown option `{}`",
                    common::clip(other)
                )))
            }
        }
    }
    let page = build().map_err(Stop::fail)?;
    write_file(&out, page.html.as_bytes())?;
    if let Some(dir) = &svg_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Stop::fail(format!("cannot create `{}`: {e}", dir.display())))?;
        for (name, svg) in &page.charts {
            write_file(&dir.join(format!("{name}.svg")), svg.as_bytes())?;
        }
        note(&format!(
            "report: wrote {} charts to `{}`",
            page.charts.len(),
            dir.display()
        ));
    }
    common::print(&format!("{}\n", out.display()))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Stop> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| Stop::fail(format!("cannot create `{}`: {e}", parent.display())))?;
    }
    std::fs::write(path, bytes)
        .map_err(|e| Stop::fail(format!("cannot write `{}`: {e}", path.display())))
}

/// The page and its charts by file name.
struct Built {
    html: String,
    charts: Vec<(String, String)>,
}

/// The page being written: its sections and the charts it holds.
struct Page {
    body: String,
    charts: Vec<(String, String)>,
}

impl Page {
    fn heading(&mut self, level: u8, text: &str) {
        let _ = writeln!(self.body, "<h{level}>{}</h{level}>", escape(text));
    }

    fn paragraph(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p>{}</p>", escape(text));
    }

    /// A table with a header row.
    fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        self.body.push_str("<table>\n<thead><tr>");
        for cell in header {
            let _ = write!(self.body, "<th>{}</th>", escape(cell));
        }
        self.body.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            self.body.push_str("<tr>");
            for cell in row {
                let _ = write!(self.body, "<td>{}</td>", escape(cell));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</tbody>\n</table>\n");
    }

    /// A chart (inline SVG) and, unless it has more than `max_rows` marks, the table of
    /// its marks read back from the SVG.
    fn chart(&mut self, name: &str, svg: String, max_rows: usize) -> Result<(), String> {
        let marks = marks(name, &svg)?;
        let _ = writeln!(self.body, "<figure id=\"{}\">", escape(name));
        self.body.push_str(&svg);
        self.body.push_str("</figure>\n");
        if marks.rows.len() > max_rows {
            self.paragraph(&format!(
                "The {} cells of this chart are not listed; each is a mark of `{name}.svg` with its value in `data-value`.",
                marks.rows.len()
            ));
        } else {
            let mut header: Vec<&str> = vec!["mark"];
            header.extend(marks.columns.iter().map(String::as_str));
            let rows: Vec<Vec<String>> = marks
                .rows
                .iter()
                .map(|(title, values)| {
                    let mut row = vec![title.clone()];
                    row.extend(values.iter().cloned());
                    row
                })
                .collect();
            self.table(&header, &rows);
        }
        self.charts.push((name.to_owned(), svg));
        Ok(())
    }
}

/// The marks of a chart: the `data-*` columns and, per mark, its tooltip and values.
struct Marks {
    columns: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
}

/// Reads the marks (`class="mark"`) of a chart's SVG; fails if it is not XML.
fn marks(name: &str, svg: &str) -> Result<Marks, String> {
    let document = roxmltree::Document::parse(svg)
        .map_err(|e| format!("chart `{name}` is not well-formed XML: {e}"))?;
    let mut columns: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for node in document
        .descendants()
        .filter(|n| n.attribute("class") == Some("mark"))
    {
        for attribute in node.attributes() {
            if let Some(column) = attribute.name().strip_prefix("data-") {
                if !columns.iter().any(|c| c == column) {
                    columns.push(column.to_owned());
                }
            }
        }
        let title = node
            .children()
            .find(|c| c.has_tag_name("title"))
            .and_then(|t| t.text())
            .unwrap_or_default()
            .to_owned();
        let values: Vec<String> = columns
            .iter()
            .map(|c| {
                node.attribute(format!("data-{c}").as_str())
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        rows.push((title, values));
    }
    // Rows read before a column appeared lack it: pad them.
    for (_, values) in &mut rows {
        values.resize(columns.len(), String::new());
    }
    Ok(Marks { columns, rows })
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

fn day((year, month, day): (i32, u32, u32)) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("bad date {year}-{month}-{day}"))
}

/// Runs every stage and writes the page.
fn build() -> Result<Built, String> {
    let mut page = Page {
        body: String::new(),
        charts: Vec::new(),
    };

    // 1. Records, validated leniently (the shipped files hold four wrong records).
    let records = common::shop::load()?;
    let loaded = (
        records.customers.len(),
        records.orders.len(),
        records.refunds.len(),
        records.interactions.len(),
    );
    let report =
        Validator::validate(records, ValidationMode::Lenient).map_err(|e| e.to_string())?;
    note(&format!(
        "report: records: {} customers, {} orders, {} refund events, {} interactions; {} rejected",
        loaded.0,
        loaded.1,
        loaded.2,
        loaded.3,
        report.rejected.len()
    ));
    let responses = load_responses()?;
    page.heading(2, "Records");
    page.table(
        &["records", "loaded"],
        &[
            vec!["customers".to_owned(), loaded.0.to_string()],
            vec!["orders".to_owned(), loaded.1.to_string()],
            vec!["refund events".to_owned(), loaded.2.to_string()],
            vec!["interactions".to_owned(), loaded.3.to_string()],
            vec!["survey responses".to_owned(), responses.len().to_string()],
        ],
    );
    page.paragraph(&format!(
        "Validation (lenient mode) rejected {} records:",
        report.rejected.len()
    ));
    page.table(
        &["rejected record"],
        &report
            .rejected
            .iter()
            .map(|e| vec![e.to_string()])
            .collect::<Vec<_>>(),
    );
    let records = &report.accepted;

    // 2. Facts as of the end of 2024 in the company's zone, and 30 days earlier.
    let mut config = Config::reference();
    config.facts.time_zone = chrono_tz::Asia::Shanghai;
    config
        .facts
        .time_zone
        .name()
        .clone_into(&mut config.plan.company_zone);
    let as_of = day(AS_OF)?;
    let previous_day = as_of - Duration::days(PREVIOUS_DAYS);
    let table = fold(&config, as_of, records)?;
    let before = fold(&config, previous_day, records)?;
    note(&format!(
        "report: facts: {} customers as of {as_of}, {} as of {previous_day}",
        table.len(),
        before.len()
    ));
    facts_section(&mut page, &table)?;

    // 3. Segmentation, today and 30 days earlier.
    let (segmenter, warnings) = config.segmenter(Currency::CNY).map_err(|e| e.to_string())?;
    for warning in &warnings {
        note(&format!("report: config warning: {warning}"));
    }
    let segmentation = segmenter.run(&table).map_err(|e| e.to_string())?;
    let earlier = segmenter.run(&before).map_err(|e| e.to_string())?;
    note(&format!(
        "report: segmentation: {} customers today, {} on {previous_day}",
        segmentation.len(),
        earlier.len()
    ));
    page.heading(2, "Segments");
    page.paragraph(
        "Tier: how much attention a customer deserves now (spend rank, frequency, recency). \
         Lifecycle stage: where the customer is in the relationship (absolute day thresholds). \
         RFM segment: how the customer compares with this base (R, F and M scores are quintiles).",
    );
    for (name, dimension) in [
        ("segments", Dimension::Tier),
        ("stages", Dimension::Stage),
        ("rfm_segments", Dimension::RfmSegment),
    ] {
        let svg =
            charts::segment_distribution(&segmentation, &dimension).map_err(|e| e.to_string())?;
        page.chart(name, svg, 200)?;
    }
    let svg = charts::rfm_heatmap(&segmentation).map_err(|e| e.to_string())?;
    page.chart("rfm_heatmap", svg, 200)?;

    // 4. Transitions against the run of 30 days earlier.
    page.heading(2, "Transitions");
    page.paragraph(&format!(
        "The same base segmented as of {previous_day} (before) and {as_of} (after)."
    ));
    for (name, label, dimension) in [
        ("transitions_tier", "tier", Dimension::Tier),
        ("transitions_rfm", "RFM segment", Dimension::RfmSegment),
        ("transitions_vip", "VIP level", Dimension::VipLevel),
    ] {
        let moves = transitions(&earlier, &segmentation, &dimension).map_err(|e| e.to_string())?;
        let moved: u64 = moves.moves().map(|c| c.count).sum();
        note(&format!(
            "report: transitions of {label}: {moved} customers moved"
        ));
        let svg = charts::transition_matrix(&moves).map_err(|e| e.to_string())?;
        page.chart(name, svg, 200)?;
    }

    // 5. BG/NBD, its checks, and CLV.
    clv_section(&mut page, &config, records)?;

    // 6. The next day's plan.
    plan_section(
        &mut page,
        &config,
        &segmenter,
        &segmentation,
        &records.customers,
    )?;

    // 7. KPIs.
    kpi_section(&mut page, &config, &records.orders, &responses)?;

    let html = format!(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>patronage report as of {as_of}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>patronage report as of {as_of} (Asia/Shanghai)</h1>\n<p>The daily job on the synthetic shop shipped in <code>examples/data/</code>: records, facts, segments, transitions, CLV, the plan and the KPIs. Each chart is followed by the values of its marks.</p>\n{}</body>\n</html>\n",
        page.body
    );
    note(&format!(
        "report: page: {} charts, {} bytes",
        page.charts.len(),
        html.len()
    ));
    Ok(Built {
        html,
        charts: page.charts,
    })
}

const STYLE: &str =
    "body { font-family: sans-serif; margin: 2em auto; max-width: 1040px; color: #1f242b; }
h2 { border-bottom: 1px solid #dddfe2; padding-bottom: 0.2em; margin-top: 2em; }
figure { margin: 1.5em 0 0.5em 0; }
svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em 0; font-size: 0.85em; }
th, td { border: 1px solid #dddfe2; padding: 0.2em 0.6em; text-align: left; }
th { background: #f1eef6; }
";

/// Folds the records into facts as of `date`.
fn fold(config: &Config, date: NaiveDate, records: &Records) -> Result<FactsTable, String> {
    let options = config
        .facts_options_on(date, Currency::CNY)
        .map_err(|e| e.to_string())?;
    let mut aggregator = Aggregator::new(options);
    aggregator.add_records(records).map_err(|e| e.to_string())?;
    Ok(aggregator.into_table())
}

fn facts_section(page: &mut Page, table: &FactsTable) -> Result<(), String> {
    let purchasers = table.purchases().iter().filter(|&&n| n > 0).count();
    let purchases: u64 = table.purchases().iter().map(|&n| u64::from(n)).sum();
    let mut net = Decimal::ZERO;
    for amount in table.monetary() {
        net = net.checked_add(*amount).ok_or("net spend overflows")?;
    }
    let aov = net
        .checked_div(Decimal::from(purchases.max(1)))
        .ok_or("no purchases")?;
    page.heading(2, "Facts");
    page.table(
        &["fact", "value"],
        &[
            vec!["customers".to_owned(), table.len().to_string()],
            vec!["purchasers".to_owned(), purchasers.to_string()],
            vec!["purchases".to_owned(), purchases.to_string()],
            vec![
                "net spend".to_owned(),
                Money::new(net, table.currency()).rounded().to_string(),
            ],
            vec![
                "average order value".to_owned(),
                Money::new(aov, table.currency()).rounded().to_string(),
            ],
        ],
    );
    Ok(())
}

/// The repeat-purchase summaries of the orders as of `end`.
fn summaries(records: &Records, end: NaiveDate) -> Result<Vec<RepeatSummary>, String> {
    let mut builder =
        RepeatSummaryBuilder::new(end, Currency::CNY).with_time_zone(chrono_tz::Asia::Shanghai);
    for order in &records.orders {
        builder.add_order(order).map_err(|e| e.to_string())?;
    }
    builder.finish().map_err(|e| e.to_string())
}

fn clv_section(page: &mut Page, _config: &Config, records: &Records) -> Result<(), String> {
    page.heading(2, "Repeat purchases, BG/NBD and CLV");
    let as_of = day(AS_OF)?;
    let calibration_end = day(CALIBRATION_END)?;
    let full = summaries(records, as_of)?;
    let observations = ObservationTable::from_summaries(&full, 7.0).map_err(|e| e.to_string())?;
    let fit = fit_bgnbd(&observations, &FitOptions::default()).map_err(|e| e.to_string())?;
    let params = fit.params;
    note(&format!(
        "report: bgnbd on {} buyers: r = {:.3}, alpha = {:.3}, a = {:.3}, b = {:.3}",
        observations.len(),
        params.r(),
        params.alpha(),
        params.a(),
        params.b()
    ));
    page.paragraph(&format!(
        "BG/NBD fitted on {} buyers as of {as_of}, in weeks: r = {:.3}, alpha = {:.3}, a = {:.3}, b = {:.3}, log-likelihood {:.1}.",
        observations.len(),
        params.r(),
        params.alpha(),
        params.a(),
        params.b(),
        fit.log_likelihood
    ));
    let svg = charts::period_transactions(&params, &observations, 7).map_err(|e| e.to_string())?;
    page.chart("period_transactions", svg, 200)?;

    // The holdout check: fit on the summaries up to the calibration end, then count
    // each calibration buyer's purchase days after it.
    let calibration = summaries(records, calibration_end)?;
    let calibration_table =
        ObservationTable::from_summaries(&calibration, 7.0).map_err(|e| e.to_string())?;
    let calibration_fit =
        fit_bgnbd(&calibration_table, &FitOptions::default()).map_err(|e| e.to_string())?;
    let repeat_days: BTreeMap<CustomerId, u32> = full.iter().map(|s| (s.customer, s.x)).collect();
    let holdout: Vec<u32> = calibration
        .iter()
        .map(|s| {
            repeat_days
                .get(&s.customer)
                .map_or(0, |x| x.saturating_sub(s.x))
        })
        .collect();
    let holdout_weeks = (as_of - calibration_end).num_days() as f64 / 7.0;
    page.paragraph(&format!(
        "Holdout check: BG/NBD refitted on the {} buyers of the calibration period (to {calibration_end}), then their purchase days from {} to {as_of} ({holdout_weeks:.1} weeks) against the model's prediction.",
        calibration_table.len(),
        calibration_end + Duration::days(1)
    ));
    let svg = charts::calibration_vs_holdout(
        &calibration_fit.params,
        &calibration_table,
        &holdout,
        holdout_weeks,
        7,
    )
    .map_err(|e| e.to_string())?;
    page.chart("calibration_vs_holdout", svg, 200)?;

    let mut options = charts::MatrixOptions::default();
    options.horizon = 4.0;
    let svg = charts::frequency_recency_matrix(&params, &observations, &options)
        .map_err(|e| e.to_string())?;
    page.chart("frequency_recency_matrix", svg, 0)?;
    let svg =
        charts::p_alive_matrix(&params, &observations, &options).map_err(|e| e.to_string())?;
    page.chart("p_alive_matrix", svg, 0)?;

    // CLV: Gamma-Gamma on the repeat buyers with positive mean spend, 12 months of
    // 4.345 weeks discounted 1% a month (lifetimes' defaults).
    let spenders: ObservationTable = observations
        .iter()
        .filter(|o| o.frequency() > 0.0 && o.mean_repeat_value() > 0.0)
        .collect::<ObservationTable>()
        .with_period_days(7.0)
        .map_err(|e| e.to_string())?;
    let spend = fit_gamma_gamma(&spenders, &FitOptions::default()).map_err(|e| e.to_string())?;
    let model = ClvModel {
        transactions: params,
        spend: spend.params,
    };
    let yearly = ClvOptions::new(12, 4.345, 0.01).map_err(|e| e.to_string())?;
    let predictions = model
        .predict_table(&observations, &yearly)
        .map_err(|e| e.to_string())?;
    let mut ranked: Vec<(f64, usize)> = predictions
        .clv
        .iter()
        .copied()
        .enumerate()
        .map(|(i, clv)| (clv, i))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let total: f64 = predictions.clv.iter().sum();
    note(&format!(
        "report: clv: {} buyers, total {total:.2} CNY over 12 months",
        predictions.len()
    ));
    page.paragraph(&format!(
        "Gamma-Gamma on {} repeat buyers: p = {:.3}, q = {:.3}, v = {:.3}. CLV over 12 months (4.345 weeks each, 1% monthly discount): total {:.2} CNY, mean {:.2} CNY per buyer. The ten highest:",
        spend.report.customers,
        spend.params.p(),
        spend.params.q(),
        spend.params.v(),
        total,
        total / predictions.len().max(1) as f64
    ));
    let rows: Vec<Vec<String>> = ranked
        .iter()
        .take(10)
        .filter_map(|&(clv, i)| {
            let customer = full.get(i)?;
            let prediction = predictions.get(i)?;
            Some(vec![
                customer.customer.to_string(),
                customer.x.to_string(),
                format!("{:.3}", prediction.p_alive),
                format!("{:.2}", prediction.expected_purchases),
                format!("{:.2}", prediction.expected_average_value),
                format!("{clv:.2}"),
            ])
        })
        .collect();
    page.table(
        &[
            "customer",
            "repeat days",
            "P(alive)",
            "expected purchases, 12 months",
            "expected order value (CNY)",
            "CLV (CNY)",
        ],
        &rows,
    );
    Ok(())
}

fn plan_section(
    page: &mut Page,
    config: &Config,
    segmenter: &patronage::Segmenter,
    segmentation: &Segmentation,
    customers: &[Customer],
) -> Result<(), String> {
    let (planner, warnings) = config
        .planner(&Vocabulary::from_segmentation(segmentation))
        .map_err(|e| e.to_string())?;
    for warning in &warnings {
        note(&format!("report: plan config warning: {warning}"));
    }
    let mut records: Vec<Customer> = customers.to_vec();
    records.sort_by_key(|c| c.id);
    let profiles: Vec<Profile> = Profile::from_segmenter(segmenter, segmentation)
        .into_iter()
        .filter(|p| records.binary_search_by_key(&p.customer, |c| c.id).is_ok())
        .collect();
    records.retain(|c| profiles.binary_search_by_key(&c.id, |p| p.customer).is_ok());
    let morning = segmentation
        .facts_options()
        .as_of()
        .checked_add_signed(Duration::hours(10))
        .ok_or("the plan day overflows")?;
    let plan = planner
        .plan(&PlanInput::new(morning, &profiles, &records))
        .map_err(|e| e.to_string())?;
    note(&format!(
        "report: plan for {}: {} actions, {} suppressed, {} held out",
        plan.date,
        plan.actions.len(),
        plan.suppressed.len(),
        plan.held_out.len()
    ));
    page.heading(2, &format!("The plan for {}", plan.date));
    page.paragraph(&format!(
        "{} actions planned, {} suppressed by the contact policy, {} held out for control groups.",
        plan.actions.len(),
        plan.suppressed.len(),
        plan.held_out.len()
    ));
    let mut per_action: BTreeMap<String, (usize, BTreeMap<String, usize>)> = BTreeMap::new();
    for action in &plan.actions {
        let entry = per_action.entry(action.action.clone()).or_default();
        entry.0 += 1;
        let channel = action
            .channel
            .map_or_else(|| "no channel".to_owned(), |c| c.to_string());
        *entry.1.entry(channel).or_default() += 1;
    }
    let rows: Vec<Vec<String>> = per_action
        .iter()
        .map(|(action, (n, channels))| {
            let channels: Vec<String> = channels.iter().map(|(c, n)| format!("{c} {n}")).collect();
            vec![action.clone(), n.to_string(), channels.join(", ")]
        })
        .collect();
    page.table(&["action", "planned", "by channel"], &rows);
    let rows: Vec<Vec<String>> = plan
        .summary
        .suppressions
        .iter()
        .map(|c| vec![c.policy.as_str().to_owned(), c.count.to_string()])
        .collect();
    page.table(&["suppressed by policy", "actions"], &rows);
    Ok(())
}

fn kpi_section(
    page: &mut Page,
    config: &Config,
    orders: &[patronage::Order],
    responses: &[SurveyResponse],
) -> Result<(), String> {
    let zone = chrono_tz::Asia::Shanghai;
    let targets = config.kpi.targets().map_err(|e| e.to_string())?;
    page.heading(2, "KPIs");
    let year = Period::year(2024, zone).map_err(|e| e.to_string())?;
    let tally = OrderTally::from_orders(orders, &year, OrderOptions::new(Currency::CNY))
        .map_err(|e| e.to_string())?;
    let headline = [
        tally
            .repeat_retention(&targets)
            .map_err(|e| e.to_string())?,
        tally
            .classic_retention(&targets)
            .map_err(|e| e.to_string())?,
        tally.repurchase_lift(&targets),
        tally.average_order_value(&targets),
        tally.aov_lift(&targets),
    ];
    page.paragraph("2024 against 2023:");
    page.table(
        &["KPI as reported"],
        &headline
            .iter()
            .map(|k| vec![k.to_string()])
            .collect::<Vec<_>>(),
    );

    // Retention per month of 2024, with early warnings against the months before.
    let mut points = Vec::new();
    for month in 1..=12 {
        let period = Period::month(2024, month, zone).map_err(|e| e.to_string())?;
        let tally = OrderTally::from_orders(orders, &period, OrderOptions::new(Currency::CNY))
            .map_err(|e| e.to_string())?;
        let kpi = tally
            .repeat_retention(&targets)
            .map_err(|e| e.to_string())?;
        points.push((period.to_string(), kpi));
    }
    let values: Vec<f64> = points.iter().filter_map(|(_, k)| k.value()).collect();
    let warnings = if values.len() == points.len() {
        EarlyWarning::new(6, 4, 3.5, Watch::Both)
            .map_err(|e| e.to_string())?
            .assess(&values)
            .map_err(|e| e.to_string())?
    } else {
        Vec::new()
    };
    let svg = charts::kpi_series(&points, &warnings).map_err(|e| e.to_string())?;
    page.chart("kpi_retention", svg, 200)?;

    // The Q4 scorecard from the orders and the survey answers.
    let quarter = Period::quarter(2024, 4, zone).map_err(|e| e.to_string())?;
    let as_of: DateTime<Utc> = Utc
        .with_ymd_and_hms(2024, 12, 31, 16, 0, 0)
        .single()
        .ok_or("bad instant")?;
    let mut spec = ScorecardSpec::new(quarter, as_of, Currency::CNY);
    spec.targets = targets;
    let inputs = ScorecardInputs::new(responses, orders, &[], &[]);
    let cards = scorecards(&inputs, &spec).map_err(|e| e.to_string())?;
    note(&format!(
        "report: kpis: {} months, scorecard of {quarter}",
        points.len()
    ));
    let svg = charts::scorecard(&cards).map_err(|e| e.to_string())?;
    page.chart("scorecard", svg, 200)?;
    Ok(())
}

// ---- the shipped files (the quickstart's layouts) ------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseRow {
    id: u64,
    customer: u64,
    at: DateTime<Utc>,
    scale: String,
    score: u8,
    dimension: String,
    case: Option<u64>,
    agent: Option<u64>,
}

fn load_responses() -> Result<Vec<SurveyResponse>, String> {
    common::csv_rows(RESPONSES, |row: ResponseRow| {
        let scale = match row.scale.as_str() {
            "csat" => Scale::Csat,
            "nps" => Scale::Nps,
            "ces" => Scale::Ces,
            other => {
                return Err(format!(
                    "unknown scale `{}`: expected csat, nps or ces",
                    common::clip(other)
                ))
            }
        };
        let mut response = SurveyResponse::new(
            ResponseId(row.id),
            CustomerId(row.customer),
            row.at,
            scale,
            row.score,
        );
        response.dimension = SatisfactionDimension::ALL
            .into_iter()
            .find(|d| d.as_str() == row.dimension)
            .ok_or_else(|| {
                format!(
                    "unknown dimension `{}`: expected overall, service_quality, shopping_experience or customer_care",
                    common::clip(&row.dimension)
                )
            })?;
        response.case = row.case.map(CaseId);
        response.agent = row.agent.map(StaffId);
        response.check().map_err(|e| e.to_string())?;
        Ok(response)
    })
}
