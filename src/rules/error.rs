//! Errors and diagnostics of the rules engine ([`crate::rules`]).
//!
//! A [`RuleError`] stops a rule, table or schema from loading: it says where (the rule,
//! or the table, row and column), what was expected and what was found, and — when the
//! source text is known — `Display` shows the offending line with a caret under the
//! span. [`Diagnostic`]s are the findings of table analysis (unreachable rows, overlaps,
//! gaps): a table can load with warnings, and the host decides what to do with them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rules::span::Span;

/// A rule, table or schema that cannot be loaded.
///
/// # Example
///
/// ```
/// use patronage::rules::{Field, Program, Schema};
///
/// let mut schema = Schema::new();
/// schema.add(Field::integer("frequency"))?;
/// let err = Program::compile("repeat", "freqency >= 2", &schema).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "rule `repeat`: unknown field `freqency`; did you mean `frequency`?\n  |\n1 | freqency >= 2\n  | ^^^^^^^^"
/// );
/// assert_eq!(err.message(), "unknown field `freqency`; did you mean `frequency`?");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    // Boxed: the error travels in `Result`s on every compile path, and a pointer keeps
    // those results small.
    inner: Box<Inner>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    origin: Origin,
    source_text: Option<String>,
    span: Option<Span>,
    kind: RuleErrorKind,
}

/// Where a [`RuleError`] comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Origin {
    /// A named rule (a condition or expression).
    Rule {
        /// The rule's name.
        name: String,
    },
    /// A decision table, optionally one of its rows (0-based index) and columns.
    Table {
        /// The table's name.
        table: String,
        /// The 0-based row index, when the problem is in a row.
        row: Option<usize>,
        /// The input or output column, when the problem is in a cell.
        column: Option<String>,
    },
    /// The field schema.
    Schema {
        /// The field concerned.
        field: String,
    },
}

/// What is wrong with a rule, table or schema.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleErrorKind {
    /// The text does not follow the grammar.
    #[error("expected {expected}, found {found}")]
    Syntax {
        /// What the grammar allows here.
        expected: String,
        /// What the text has.
        found: String,
    },
    /// A name that is neither a field of the schema nor a value it could stand for.
    #[error("unknown field `{name}`{}", did_you_mean(.suggestion.as_deref()))]
    UnknownField {
        /// The name as written.
        name: String,
        /// The closest field name, if one is close.
        suggestion: Option<String>,
    },
    /// A symbol that the field's vocabulary does not contain.
    #[error("unknown value `{name}` for `{field}`, expected one of {expected}{}", did_you_mean(.suggestion.as_deref()))]
    UnknownSymbol {
        /// The symbol as written.
        name: String,
        /// The field (or output column) whose vocabulary was searched.
        field: String,
        /// The vocabulary, as a list of names in backticks.
        expected: String,
        /// The closest name in the vocabulary, if one is close.
        suggestion: Option<String>,
    },
    /// A function that does not exist.
    #[error("unknown function `{name}`, expected one of {expected}{}", did_you_mean(.suggestion.as_deref()))]
    UnknownFunction {
        /// The name as written.
        name: String,
        /// The functions that exist.
        expected: String,
        /// The closest function name, if one is close.
        suggestion: Option<String>,
    },
    /// A function called with the wrong number of arguments.
    #[error("`{function}` takes {expected}, found {found}")]
    Arity {
        /// The function.
        function: String,
        /// The arguments it takes, e.g. `1 argument`.
        expected: String,
        /// How many were given.
        found: usize,
    },
    /// An operand of the wrong type.
    #[error("`{operation}` expects {expected}, found {found}")]
    TypeMismatch {
        /// The operator or function, e.g. `<=` or `days_since`.
        operation: String,
        /// The types it accepts here.
        expected: String,
        /// The type it was given.
        found: String,
    },
    /// Money in one currency compared or combined with money in another.
    #[error("`{operation}` mixes `{left}` and `{right}`: expected amounts in the same currency")]
    CurrencyMismatch {
        /// The operator, e.g. `>=`.
        operation: String,
        /// The currency of the left side.
        left: String,
        /// The currency of the right side.
        right: String,
    },
    /// A condition whose value does not depend on any field.
    #[error("the condition is always {value}: {reason}")]
    ConstantCondition {
        /// The constant value (`true` or `false`).
        value: bool,
        /// Why, e.g. "it reads no field".
        reason: String,
    },
    /// An expression nested deeper than the limit.
    #[error("the expression nests deeper than {limit} levels")]
    TooDeep {
        /// The nesting limit.
        limit: usize,
    },
    /// A rule or table larger than the limit.
    #[error("{what} has {found} {unit}, more than the limit of {limit}")]
    TooLarge {
        /// What is too large, e.g. "the expression".
        what: String,
        /// The unit counted, e.g. "nodes" or "characters".
        unit: String,
        /// The limit.
        limit: usize,
        /// The size found.
        found: usize,
    },
    /// A schema field name that is not an identifier, or is a keyword.
    #[error("invalid field name `{name}`: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A field declared twice.
    #[error("field `{name}` is declared twice")]
    DuplicateField {
        /// The field name.
        name: String,
    },
    /// A schema declaration that is inconsistent.
    #[error("invalid declaration of `{field}`: {reason}")]
    InvalidDeclaration {
        /// The field.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A table row with the wrong number of cells.
    #[error("expected {expected} {what}, found {found}")]
    CellCount {
        /// "input cell(s)" or "output cell(s)", in the number `expected` calls for.
        what: String,
        /// The number of input or output columns.
        expected: usize,
        /// The number of cells in the row.
        found: usize,
    },
    /// A rule that is not a condition where one is required.
    #[error("expected a condition (a `bool`), found {found}")]
    NotACondition {
        /// The type found.
        found: String,
    },
    /// A value (a record value, a table output) that is not a literal of the type
    /// required.
    #[error("expected a literal of type {expected}, found {found}")]
    InvalidValue {
        /// The type required.
        expected: String,
        /// What the text is.
        found: String,
    },
    /// A table definition that is inconsistent as a whole.
    #[error("{reason}")]
    InvalidTable {
        /// What is wrong.
        reason: String,
    },
}

/// How serious a [`Diagnostic`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Severity {
    /// The table probably does not do what its author meant (e.g. a row that can never
    /// match); the table still evaluates.
    Warning,
    /// The table breaks a promise it makes (overlapping rows under `unique`, a gap in a
    /// table declared complete).
    Error,
}

/// Which check produced a [`Diagnostic`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DiagnosticCode {
    /// A row that earlier rows always match first (hit policy `first`).
    UnreachableRow,
    /// A row that no input can match at all.
    EmptyRow,
    /// Two rows that can both match under `unique` (or under `any` with different outputs).
    Overlap,
    /// Inputs that no row matches in a table declared complete.
    Gap,
    /// A row that, under `priority`, never wins because a higher-priority row always
    /// matches with it.
    NeverWins,
    /// The table is too large for exact analysis within the work limit; the message
    /// says what was not checked.
    AnalysisLimit,
}

/// A finding of decision-table analysis.
///
/// `Display` gives one line: `warning: table `rfm`, row 4 (`New Customers`): …`. Rows are
/// numbered from 1 in messages, as table editors number them; [`Diagnostic::row`] is the
/// 0-based index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Diagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// Which check found it.
    pub code: DiagnosticCode,
    /// The table's name.
    pub table: String,
    /// The 0-based index of the row concerned, if one.
    pub row: Option<usize>,
    /// The row's name, if it has one.
    pub row_name: Option<String>,
    /// What was found, lowercase, with names in backticks.
    pub message: String,
}

impl RuleError {
    pub(crate) fn new(origin: Origin, kind: RuleErrorKind) -> RuleError {
        RuleError {
            inner: Box::new(Inner {
                origin,
                source_text: None,
                span: None,
                kind,
            }),
        }
    }

    pub(crate) fn at(mut self, source_text: &str, span: Span) -> RuleError {
        self.inner.source_text = Some(source_text.to_owned());
        self.inner.span = Some(span);
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &RuleErrorKind {
        &self.inner.kind
    }

    /// The rule, table (row, column) or schema field concerned.
    pub fn origin(&self) -> &Origin {
        &self.inner.origin
    }

    /// The byte range of the offending text, when the error is about text.
    pub fn span(&self) -> Option<Span> {
        self.inner.span
    }

    /// The text the span points into (an expression or a table cell), when known.
    pub fn source_text(&self) -> Option<&str> {
        self.inner.source_text.as_deref()
    }

    /// The message alone: no origin and no caret snippet.
    pub fn message(&self) -> String {
        self.inner.kind.to_string()
    }

    /// Whether a name was not found (a field, symbol or function); the message then
    /// carries a "did you mean" suggestion when one is close.
    pub fn is_unknown_name(&self) -> bool {
        matches!(
            self.inner.kind,
            RuleErrorKind::UnknownField { .. }
                | RuleErrorKind::UnknownSymbol { .. }
                | RuleErrorKind::UnknownFunction { .. }
        )
    }

    /// Whether the text does not follow the grammar.
    pub fn is_syntax(&self) -> bool {
        matches!(self.inner.kind, RuleErrorKind::Syntax { .. })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Rule { name } => write!(f, "rule `{name}`"),
            Origin::Table { table, row, column } => {
                write!(f, "table `{table}`")?;
                if let Some(row) = row {
                    write!(f, ", row {}", row.saturating_add(1))?;
                }
                if let Some(column) = column {
                    write!(f, ", column `{column}`")?;
                }
                Ok(())
            }
            Origin::Schema { field } => write!(f, "schema field `{field}`"),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.inner.origin, self.inner.kind)?;
        if let (Some(text), Some(span)) = (&self.inner.source_text, self.inner.span) {
            write_snippet(f, text, span)?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleError {}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: table `{}`", self.severity, self.table)?;
        if let Some(row) = self.row {
            write!(f, ", row {}", row.saturating_add(1))?;
            if let Some(name) = &self.row_name {
                write!(f, " (`{name}`)")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    match suggestion {
        Some(name) => format!("; did you mean `{name}`?"),
        None => String::new(),
    }
}

/// Writes the line of `text` that holds `span`, with carets under the span.
fn write_snippet(f: &mut fmt::Formatter<'_>, text: &str, span: Span) -> fmt::Result {
    let start = span.start.min(text.len());
    let line_start = text
        .get(..start)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line_end = text
        .get(start..)
        .and_then(|after| after.find('\n'))
        .map_or(text.len(), |i| start + i);
    let line = text.get(line_start..line_end).unwrap_or("");
    let line_no = text
        .get(..line_start)
        .map_or(0, |before| before.matches('\n').count())
        + 1;
    let gutter = line_no.to_string();
    let pad = " ".repeat(gutter.len());
    let lead = text
        .get(line_start..start)
        .map_or(0, |lead| lead.chars().count());
    let end = span.end.clamp(start, line_end);
    let width = text.get(start..end).map_or(1, |s| s.chars().count()).max(1);
    write!(
        f,
        "\n{pad} |\n{gutter} | {line}\n{pad} | {}{}",
        " ".repeat(lead),
        "^".repeat(width)
    )
}
