//! Integration tests: charts (feature `charts`). Each chart's SVG parses as XML, carries
//! its title, axis titles and n, and has exactly one mark per data point or cell; the
//! same input gives the same bytes; empty input gives a chart that says "no data"; every
//! error names its chart and says what was expected.

// Exact comparisons are the point: a mark's value is the number the chart was given.
#![allow(clippy::float_cmp)]

mod kpi;
mod predict;
mod segments;
mod transitions;

use chrono::NaiveDate;
use patronage::{Aggregator, Config, Currency, CustomerId, Segmentation};

/// A parsed chart: its text and its marks.
pub(crate) struct Chart {
    /// Every `<text>` content, in document order.
    pub(crate) texts: Vec<String>,
    /// Every mark's `data-*` attributes (without the prefix) and its tooltip.
    pub(crate) marks: Vec<Mark>,
}

pub(crate) struct Mark {
    pub(crate) tag: String,
    pub(crate) data: Vec<(String, String)>,
    pub(crate) tooltip: String,
}

impl Mark {
    pub(crate) fn get(&self, key: &str) -> &str {
        match self.data.iter().find(|(k, _)| k == key) {
            Some((_, v)) => v,
            None => panic!("mark without `data-{key}`: {:?}", self.data),
        }
    }

    pub(crate) fn number(&self, key: &str) -> f64 {
        self.get(key).parse().unwrap()
    }
}

impl Chart {
    /// Whether a text of the chart contains `needle`.
    pub(crate) fn says(&self, needle: &str) -> bool {
        self.texts.iter().any(|t| t.contains(needle))
    }

    pub(crate) fn marks_where(&self, key: &str, value: &str) -> Vec<&Mark> {
        self.marks
            .iter()
            .filter(|m| m.data.iter().any(|(k, v)| k == key && v == value))
            .collect()
    }
}

/// Parses a chart, checks it is one `<svg>` document, and reads its texts and marks.
pub(crate) fn parse(svg: &str) -> Chart {
    let document = roxmltree::Document::parse(svg)
        .unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{svg}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let texts = document
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            n.descendants()
                .filter(roxmltree::Node::is_text)
                .filter_map(|t| t.text())
                .collect::<String>()
        })
        .collect();
    let marks = document
        .descendants()
        .filter(|n| n.attribute("class") == Some("mark"))
        .map(|n| Mark {
            tag: n.tag_name().name().to_owned(),
            data: n
                .attributes()
                .filter_map(|a| {
                    a.name()
                        .strip_prefix("data-")
                        .map(|k| (k.to_owned(), a.value().to_owned()))
                })
                .collect(),
            tooltip: n
                .children()
                .find(|c| c.has_tag_name("title"))
                .and_then(|t| t.text())
                .unwrap_or_default()
                .to_owned(),
        })
        .collect();
    Chart { texts, marks }
}

/// Checks the title, the axis titles and the n of a chart.
pub(crate) fn assert_labelled(chart: &Chart, title: &str, axes: &[&str], n: &str) {
    assert!(chart.says(title), "no title `{title}` in {:?}", chart.texts);
    for axis in axes {
        assert!(
            chart.says(axis),
            "no axis title `{axis}` in {:?}",
            chart.texts
        );
    }
    assert!(chart.says(n), "no `{n}` in {:?}", chart.texts);
}

/// Checks a "no data" chart: title, "no data", no mark.
pub(crate) fn assert_no_data(svg: &str, title: &str) {
    let chart = parse(svg);
    assert!(chart.says(title), "{:?}", chart.texts);
    assert!(
        chart.texts.iter().any(|t| t == "no data"),
        "{:?}",
        chart.texts
    );
    assert!(chart.marks.is_empty());
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A small shop segmented as of `as_of` by the reference policy: 40 customers whose
/// purchases spread over recency, frequency and spend.
pub(crate) fn shop(as_of: NaiveDate) -> Segmentation {
    let config = Config::reference();
    let mut facts = Aggregator::new(config.facts_options_on(as_of, Currency::CNY).unwrap());
    for id in 1..=40_u64 {
        let purchases = 1 + id % 6;
        for k in 0..purchases {
            let days_ago = (id * 17 + k * 23) % 400;
            let day = date(2024, 12, 31) - chrono::Duration::days(days_ago as i64);
            let amount = format!("{}.{:02} CNY", 20 + id * 7 + k * 3, id % 100);
            facts
                .add_purchase_on(CustomerId(id), day, amount.parse().unwrap())
                .unwrap();
        }
    }
    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    segmenter.run(&facts.into_table()).unwrap()
}

/// A segmentation without customers.
pub(crate) fn empty_shop() -> Segmentation {
    let config = Config::reference();
    let facts = Aggregator::new(
        config
            .facts_options_on(date(2024, 12, 31), Currency::CNY)
            .unwrap(),
    );
    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    segmenter.run(&facts.into_table()).unwrap()
}

/// The charts read every stage's outputs, and nothing reads the charts: no file of
/// `src/` outside `src/charts/` names `crate::charts`, and no chart names
/// `crate::config` (the composition root).
#[test]
fn nothing_imports_the_charts_and_the_charts_import_no_config() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let charts = src.join("charts");
    let mut files = Vec::new();
    walk(&src, &mut files);
    assert!(files.iter().filter(|f| f.starts_with(&charts)).count() >= 6);
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        if file.starts_with(&charts) {
            assert!(!code.contains("crate::config"), "{}", file.display());
        } else if !file.ends_with("lib.rs") && !file.ends_with("src/error.rs") {
            // `lib.rs` declares the module and `error.rs` wraps every domain's error.
            assert!(!code.contains("crate::charts"), "{}", file.display());
        }
    }
}
