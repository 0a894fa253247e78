//! The rules engine: an expression language over typed fields, decision tables with
//! DMN hit policies, load-time analysis and explanations (SPEC R11).
//!
//! Companies write their tiers, classes, triggers and policies as data; this module
//! makes that safe and fast:
//!
//! - a domain registers a [`Schema`] of typed [`Field`]s (facts, segment outputs,
//!   custom attributes), so every rule is checked before it runs;
//! - [`Program`] compiles an expression such as
//!   `recency_days <= 30 and frequency >= 2 and monetary_top_share < 0.20` once, and
//!   evaluates it against one record ([`Fields`]) or one row of a column store
//!   ([`Columns`]) with no allocation and no string look-up;
//! - [`Table`] compiles a decision table ([`TableDoc`], serde: JSON, TOML, YAML…) with
//!   a [`HitPolicy`] and reports [`Diagnostic`]s: rows that can never
//!   match, overlaps under `unique`, gaps in a table declared complete;
//! - [`Program::explain`] and [`Table::explain`] say which rule or row decided, the
//!   values read, and the first condition that failed.
//!
//! A named rule a company writes is a [`RuleDoc`]; a *rule set* (triggers, policies)
//! is a table without inputs whose rows carry a `condition`, so it gets hit policies,
//! analysis and explanations like any table.
//!
//! # The language
//!
//! | form | example |
//! |---|---|
//! | comparison | `recency_days <= 30`, `stage != churned` |
//! | logic | `a and b`, `a or b`, `not (vip == diamond)` |
//! | membership | `stage in [new, active]`, `vip not in tags` |
//! | range (inclusive) | `spend between 100 CNY and 500 CNY` |
//! | missing values | `points_expiry is missing`, `coalesce(points, 0) > 100` |
//! | arithmetic | `monetary / frequency >= 50 CNY`, `(a + b) * 2` |
//! | dates | `days_since(last_login) > 28`, `birthday - 7 days`, `month(birthday) == month(as_of())` |
//! | literals | `30`, `0.20`, `100 CNY`, `true`, `"text"`, `2024-06-30`, `30 days`, `gold` |
//!
//! A bare name is a field of the schema, or — next to a symbol field — one of that
//! field's symbols (`stage == active`); when a name is both, the field wins.
//! Functions: `days_since`, `days_until`, `as_of`, `abs`, `min`, `max`, `coalesce`,
//! `len`, `year`, `month`, `day_of_month`. `=` is accepted for `==`.
//! The structured form of an expression is the serde form of [`Expr`]; it parses to
//! the same tree as the text, and [`Expr`]'s `Display` prints text that parses back to
//! the same tree.
//!
//! Decision-table cells are DMN unary tests: `-` (anything), `<= 30`, `[31..90]`,
//! `(0..1]`, `new, active` (a comma means *or*), `not(new, active)`, `is missing`.
//!
//! # Missing values
//!
//! Three-valued logic: a comparison with a missing value is *unknown*, and only
//! *true* matches. A missing value therefore never matches silently; a rule that wants
//! it says so with `is missing`, `coalesce`, or the cell `-`. See [`Program`].
//!
//! # Why it is built this way
//!
//! Users of rules engines keep asking the same things of them (GoRules zen,
//! json-rules-engine and DMN tools are the references here):
//!
//! - *Why did — or didn't — this rule fire?* Every decision can be explained: the
//!   values read, the deciding row, and for each other row its first failing cell.
//!   Explaining runs the same evaluation with a recorder, so it cannot disagree with
//!   deciding, and [`Table::trace`] records the structured trace into a reused buffer.
//! - *Reject bad rules when they load, not at run time.* Rules are type-checked
//!   against the schema, unknown names get a "did you mean", money must match its
//!   currency, conditions that cannot vary are refused, and decision tables are
//!   analysed for unreachable rows, overlaps and gaps — all with messages that point
//!   at the rule, row and cell, with a caret under the text.
//! - *Dates and missing values are first-class*: `as_of` is a parameter, durations
//!   are days, and three-valued logic keeps a missing value from ever matching by
//!   accident.
//! - *Large tables stay fast*: tables over bare fields are indexed by input class, so
//!   a 1,000-row table costs tens of nanoseconds per decision, not a scan.
//!
//! All the DMN hit policies are offered (`unique`, `first`, `priority`, `any`,
//! `collect` with `count`/`sum`/`min`/`max`, `rule_order`); `first` is the default
//! because it is what segment tables such as R `rfm`'s mean, and its shadowed rows are
//! exactly what analysis reports.
//!
//! # Time
//!
//! Nothing reads a clock. `as_of` comes in the [`Context`] of each evaluation, and
//! `days_since(d)` is the number of calendar days from `d` to it.
//!
//! # Example
//!
//! ```
//! use chrono::NaiveDate;
//! use patronage::rules::{Context, Field, Hit, Record, Schema, Table, TableDoc};
//!
//! let mut schema = Schema::new();
//! let r = schema.add(Field::integer("r_score").range(1, 5))?;
//! let f = schema.add(Field::integer("f_score").range(1, 5))?;
//!
//! let doc: TableDoc = toml::from_str(r#"
//!     name = "segments"
//!     hit_policy = "first"
//!     inputs = ["r_score", "f_score"]
//!     outputs = [{ name = "segment", type = "symbol" }]
//!     rows = [
//!         { name = "Champions", when = ["[4..5]", "[4..5]"], then = ["champions"] },
//!         { name = "Loyal",     when = ["[2..5]", "[3..5]"], then = ["loyal"] },
//!         { name = "Others",    when = ["-", "-"],           then = ["others"] },
//!     ]
//! "#)?;
//! let table = Table::compile(&doc, &schema)?;
//! assert!(table.diagnostics().is_empty());
//!
//! let mut customer = Record::new(&schema);
//! customer.set(r, 3);
//! customer.set(f, 4);
//! let ctx = Context::new(NaiveDate::from_ymd_opt(2024, 6, 30).ok_or("date")?);
//! let hit = table.decide(&customer, ctx);
//! assert_eq!(hit, Hit::Row(1));
//! let segment = table.symbol_output(hit).and_then(|id| table.symbol_name(id));
//! assert_eq!(segment, Some("loyal"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// The files are layered in one direction: each imports only files before it in this
// list, read left to right and top to bottom.
//
//   span, value, error, schema       types, fields, errors
//   ast, lexer, parser               text -> syntax tree
//   raw                              the documents a company writes (serde)
//   ir, eval, report                 the checked form, its evaluation, explanation records
//   check                            syntax tree -> checked form
//   lookup, table, analyze           the compiled table, its fast paths, its analysis
//   compile                          documents -> `Program` / `Table`
//   explain                          explanations of programs and tables
//
// A method of a lower type that needs a higher layer is implemented in the higher file:
// `Schema::parse_value` and `Record::set_text` in check, `Table::compile` in compile,
// `Program::explain` and `Table::explain` in explain.
mod analyze;
mod ast;
mod check;
mod compile;
mod error;
mod eval;
mod explain;
mod ir;
mod lexer;
mod lookup;
mod parser;
mod raw;
mod report;
mod schema;
mod span;
mod table;
mod value;

pub use crate::rules::ast::{ArithOp, CmpOp, Expr, ExprKind, UnaryTest, UnaryTests};
pub use crate::rules::compile::Program;
pub use crate::rules::error::{
    Diagnostic, DiagnosticCode, Origin, RuleError, RuleErrorKind, Severity,
};
pub use crate::rules::eval::{Context, Hit, Truth};
pub use crate::rules::parser::{parse, parse_cell, MAX_DEPTH, MAX_NODES, MAX_TEXT};
pub use crate::rules::raw::{
    Aggregation, CellDoc, ExprDoc, HitPolicy, InputDoc, NamedInput, OutputColumnDoc, OutputDoc,
    RowDoc, RuleDoc, TableDoc, MAX_INPUTS, MAX_ROWS,
};
pub use crate::rules::report::{
    CellFailure, ConditionTrace, Explanation, RowReport, RowTrace, TableExplanation, ValueRead,
};
pub use crate::rules::schema::{
    ColumnRow, Columns, Field, FieldId, Fields, Record, Schema, MAX_FIELDS,
};
pub use crate::rules::span::Span;
pub use crate::rules::table::{Collected, Input, Output, Row, Table};
pub use crate::rules::value::{ElementType, SymbolId, Type, Value, ValueRef};
