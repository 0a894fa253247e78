//! What the command-line examples share: the command line, how a run ends (errors by
//! `Display` on stderr with a non-zero exit, a closed stdout pipe as a quiet success),
//! reading files, CSV positions, and cutting echoed values to a readable length.
//!
//! It lives in a folder so that Cargo does not build it as an example of its own; each
//! example includes it with `mod common;`, and not every example uses every helper.

// Each example uses a part of this module.
#![allow(dead_code)]

pub(crate) mod shop;

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use patronage::{Currency, CustomerId, Money, Order, OrderId, OrderStatus};
use rust_decimal::Decimal;
use serde::Deserialize;

/// Why a run stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    /// A problem to report: printed with `Display` on stderr, exit status 1.
    Fail(String),
    /// A problem with the command line: printed with a pointer to `--help`, status 2.
    Usage(String),
    /// Stdout was closed by its reader (`… | head`): nothing more to say, status 0.
    ClosedPipe,
}

impl Stop {
    /// A problem to report.
    pub(crate) fn fail(message: impl fmt::Display) -> Stop {
        Stop::Fail(message.to_string())
    }

    /// A problem with the command line.
    pub(crate) fn usage(message: impl fmt::Display) -> Stop {
        Stop::Usage(message.to_string())
    }
}

/// An error writing to stdout: a closed pipe ends the run quietly, anything else is a
/// failure.
impl From<io::Error> for Stop {
    fn from(error: io::Error) -> Stop {
        if error.kind() == io::ErrorKind::BrokenPipe {
            Stop::ClosedPipe
        } else {
            Stop::Fail(format!("cannot write the output: {error}"))
        }
    }
}

/// Ends `main`: the exit code of a run, with its error (if any) on stderr.
pub(crate) fn exit(program: &str, result: Result<(), Stop>) -> ExitCode {
    // A closed stderr leaves nothing to report to, so write errors there are ignored.
    let mut stderr = io::stderr().lock();
    match result {
        Ok(()) | Err(Stop::ClosedPipe) => ExitCode::SUCCESS,
        Err(Stop::Fail(message)) => {
            let _ = writeln!(stderr, "{program}: error: {message}");
            ExitCode::FAILURE
        }
        Err(Stop::Usage(message)) => {
            let _ = writeln!(
                stderr,
                "{program}: error: {message}\nrun `{program} --help` for the options and the input format"
            );
            ExitCode::from(2)
        }
    }
}

/// Writes `text` to stdout (help, reports); a closed pipe is [`Stop::ClosedPipe`].
pub(crate) fn print(text: &str) -> Result<(), Stop> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Writes a line to stderr (notes and warnings); a closed stderr is ignored.
pub(crate) fn note(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// The longest value echoed in a message, in characters.
const ECHO_MAX: usize = 40;

/// `value` as echoed in a message: at most 40 characters, an ellipsis marking a cut.
pub(crate) fn clip(value: &str) -> Cow<'_, str> {
    match value.char_indices().nth(ECHO_MAX) {
        None => Cow::Borrowed(value),
        Some((end, _)) => Cow::Owned(format!("{}…", value.get(..end).unwrap_or(value))),
    }
}

/// The command line as flags and their values: `--flag value` or `--flag=value`.
#[derive(Debug)]
pub(crate) struct CommandLine {
    /// The remaining words, in reverse order (the next one last).
    words: Vec<String>,
}

impl CommandLine {
    /// The process's arguments after the program name.
    pub(crate) fn from_env() -> Result<CommandLine, Stop> {
        let mut words = Vec::new();
        for arg in std::env::args_os().skip(1) {
            let arg = arg.into_string().map_err(|arg| {
                Stop::usage(format!(
                    "argument `{}` is not valid UTF-8",
                    clip(&arg.to_string_lossy())
                ))
            })?;
            match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    words.push(flag.to_owned());
                    words.push(value.to_owned());
                }
                _ => words.push(arg),
            }
        }
        words.reverse();
        Ok(CommandLine { words })
    }

    /// Whether no argument was given.
    pub(crate) fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The next flag, or `None` at the end; a word that is not a flag is an error.
    pub(crate) fn next_flag(&mut self) -> Result<Option<String>, Stop> {
        match self.words.pop() {
            None => Ok(None),
            Some(word) if word.starts_with('-') => Ok(Some(word)),
            Some(word) => Err(Stop::usage(format!(
                "unexpected argument `{}`: expected an option such as `--help`",
                clip(&word)
            ))),
        }
    }

    /// The value of `flag`, the next word.
    pub(crate) fn value(&mut self, flag: &str) -> Result<String, Stop> {
        self.words
            .pop()
            .ok_or_else(|| Stop::usage(format!("`{flag}` needs a value")))
    }

    /// The value of `flag` read by `parse`, whose error says what was expected.
    pub(crate) fn parsed<T>(
        &mut self,
        flag: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, Stop> {
        let value = self.value(flag)?;
        parse(&value).map_err(|expected| {
            Stop::usage(format!("`{flag} {}`: expected {expected}", clip(&value)))
        })
    }
}

/// Reads a whole file.
pub(crate) fn read_file(path: &str) -> Result<Vec<u8>, Stop> {
    std::fs::read(path).map_err(|e| Stop::fail(format!("cannot read `{path}`: {e}")))
}

/// A date `YYYY-MM-DD`.
pub(crate) fn parse_date(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| "a date such as `2024-12-31` (YYYY-MM-DD)".to_owned())
}

/// The message of a CSV reading error, naming the file, the line and the column.
pub(crate) fn csv_error(
    path: &str,
    headers: Option<&csv::StringRecord>,
    error: &csv::Error,
) -> String {
    let column = |index: usize| csv_column(headers, index);
    match error.kind() {
        csv::ErrorKind::Utf8 { pos, err } => format!(
            "{}: {}",
            at(path, pos.as_ref()),
            not_utf8(headers, err.field(), err.valid_up_to())
        ),
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "{}: {len} fields: expected {expected_len}, as many as the header has",
            at(path, pos.as_ref())
        ),
        csv::ErrorKind::Io(e) => format!("cannot read `{path}`: {e}"),
        csv::ErrorKind::Deserialize { pos, err } => match err.field() {
            Some(index) => format!(
                "{}: {}: {}",
                at(path, pos.as_ref()),
                column(index as usize),
                err.kind()
            ),
            None => format!("{}: {}", at(path, pos.as_ref()), err.kind()),
        },
        _ => format!("`{path}`: {error}"),
    }
}

/// `column N (`name`)` for column `index` of a CSV file (`column N` when the header
/// is unknown or shorter).
fn csv_column(headers: Option<&csv::StringRecord>, index: usize) -> String {
    match headers.and_then(|h| h.get(index)) {
        Some(name) => format!("column {} (`{}`)", index + 1, clip(name)),
        None => format!("column {}", index + 1),
    }
}

/// The message, without the place, of a field that is not valid UTF-8: column
/// `field` of the header, valid up to byte `valid_up_to` of the field.
pub(crate) fn not_utf8(
    headers: Option<&csv::StringRecord>,
    field: usize,
    valid_up_to: usize,
) -> String {
    format!(
        "{}: not valid UTF-8 (byte {} of the field): expected UTF-8 text; convert the file first, e.g. `iconv -f GB18030 -t UTF-8`",
        csv_column(headers, field),
        valid_up_to + 1,
    )
}

/// `path:line` for a CSV position (`path` alone when the position is unknown).
pub(crate) fn at(path: &str, pos: Option<&csv::Position>) -> String {
    match pos {
        Some(pos) => format!("{path}:{}", pos.line()),
        None => path.to_owned(),
    }
}

/// A column of a CSV layout: its names (the first is the documented one, the others
/// aliases) and whether it is required.
pub(crate) type Column = (&'static [&'static str], bool);

/// Where each column of `layout` is in the file's header (`None` for an absent optional
/// column). An empty header (an empty file) gives all `None`.
///
/// # Errors
///
/// A required column missing, or one named twice, naming the file's line 1.
pub(crate) fn find_columns(
    path: &str,
    headers: &csv::StringRecord,
    layout: &[Column],
) -> Result<Vec<Option<usize>>, Stop> {
    let mut found = vec![None; layout.len()];
    if headers.is_empty() {
        return Ok(found);
    }
    let documented = |required: bool| {
        layout
            .iter()
            .filter(|(_, r)| *r == required)
            .filter_map(|(names, _)| names.first().copied())
            .collect::<Vec<_>>()
            .join(",")
    };
    for (slot, (names, required)) in found.iter_mut().zip(layout) {
        let name = names.first().copied().unwrap_or("?");
        let at: Vec<usize> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| names.contains(h))
            .map(|(i, _)| i)
            .collect();
        match at.as_slice() {
            [] if *required => {
                let aliases = names.get(1..).unwrap_or_default();
                let named = if aliases.is_empty() {
                    format!("`{name}`")
                } else {
                    format!("`{name}` (or `{}`)", aliases.join("`, `"))
                };
                let optional = documented(false);
                let optional = if optional.is_empty() {
                    String::new()
                } else {
                    format!(" and optionally `{optional}`")
                };
                return Err(Stop::fail(format!(
                    "{path}:1: the header has no {named} column: expected the columns `{}`{optional}, found `{}`",
                    documented(true),
                    clip(&headers.iter().collect::<Vec<_>>().join(","))
                )));
            }
            [] => {}
            [one] => *slot = Some(*one),
            [first, second, ..] => {
                return Err(Stop::fail(format!(
                    "{path}:1: the header names the column `{name}` twice (columns {} and {}): expected it once",
                    first + 1,
                    second + 1
                )));
            }
        }
    }
    Ok(found)
}

/// `column N (`name`)` for the column at `at` of the header.
pub(crate) fn column_name(headers: &csv::StringRecord, at: Option<usize>) -> String {
    match at {
        Some(at) => format!(
            "column {} (`{}`)",
            at + 1,
            clip(headers.get(at).unwrap_or("?"))
        ),
        None => "a column".to_owned(),
    }
}

/// A CSV reader of `bytes` that trims fields and reads the first line as the header.
pub(crate) fn csv_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes)
}

/// A CSV reader of the file at `path`, read as it goes through the reader's buffer
/// (never the whole file at once), that reads the first line as the header and trims
/// the header's names (a byte-order mark is skipped). Fields are given as they are,
/// untrimmed: a caller that reads byte records trims what it reads.
///
/// # Errors
///
/// The file cannot be opened: `cannot read `path`: …`, as [`read_file`] says it.
pub(crate) fn csv_file_reader(path: &str) -> Result<csv::Reader<std::fs::File>, Stop> {
    let file =
        std::fs::File::open(path).map_err(|e| Stop::fail(format!("cannot read `{path}`: {e}")))?;
    Ok(csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .buffer_capacity(1 << 18)
        .from_reader(file))
}

/// Whether a document is TOML by its file name (`.toml`); JSON otherwise.
pub(crate) fn is_toml(path: &str) -> bool {
    std::path::Path::new(path)
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("toml"))
}

/// Reads every row of a CSV text (`(path, text)`, a header line first) and turns each
/// into a value with `build`; an error names the file and line.
pub(crate) fn csv_rows<R, T>(
    (path, text): (&str, &str),
    mut build: impl FnMut(R) -> Result<T, String>,
) -> Result<Vec<T>, String>
where
    R: serde::de::DeserializeOwned,
{
    let mut reader = csv_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| csv_error(path, None, &e))?
        .clone();
    let mut out = Vec::new();
    for record in reader.deserialize::<R>() {
        let row = record.map_err(|e| csv_error(path, Some(&headers), &e))?;
        let at = out.len() + 2;
        out.push(build(row).map_err(|e| format!("{path}:{at}: {e}"))?);
    }
    Ok(out)
}

/// One row of the shipped order layout (`examples/data/orders.csv`:
/// `id,customer,placed_at,amount,currency,status,refunded`), as the quickstart and
/// `sharded` read it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrderRow {
    id: u64,
    customer: u64,
    placed_at: DateTime<Utc>,
    amount: Decimal,
    currency: String,
    status: String,
    refunded: Option<Decimal>,
}

impl OrderRow {
    /// The order this row describes.
    pub(crate) fn into_order(self) -> Result<Order, String> {
        let status = match (self.status.as_str(), self.refunded) {
            ("paid", _) => OrderStatus::Paid,
            ("cancelled", _) => OrderStatus::Cancelled,
            ("refunded", _) => OrderStatus::Refunded,
            ("partially_refunded", Some(refunded)) => OrderStatus::PartiallyRefunded { refunded },
            ("partially_refunded", None) => {
                return Err("status `partially_refunded` needs the `refunded` amount".to_owned())
            }
            (other, _) => {
                return Err(format!(
                    "unknown status `{}`: expected paid, cancelled, refunded or partially_refunded",
                    clip(other)
                ))
            }
        };
        let currency = Currency::try_new(&self.currency).map_err(|e| e.to_string())?;
        Ok(Order::new(
            OrderId(self.id),
            CustomerId(self.customer),
            self.placed_at,
            Money::new(self.amount, currency),
            status,
        ))
    }
}
