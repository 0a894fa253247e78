//! Decision tables that name a class: lifecycle stages, tiers and custom classifications
//! (R7–R9) are all tables of the rules engine whose first output is a symbol — the
//! class — under a single-hit policy.

use std::ops::Range;

use crate::diagnostic::{ConfigDiagnostic, ConfigErrorKind};
use crate::rules::{Columns, Context, Hit, HitPolicy, Schema, Table, TableDoc, Type, Value};
use crate::rules::{Origin, RuleError, Severity};
use crate::segment::stats::NONE;

/// "Decided by the table's default outputs" in a rule column.
pub(crate) const DEFAULT_ROW: u16 = u16::MAX - 1;
/// "No row and no default" in a rule column.
pub(crate) const NO_ROW: u16 = u16::MAX;

/// A compiled class table: the table, its class names, and the map from the table's
/// output symbols to class indices.
#[derive(Clone, Debug)]
pub(crate) struct ClassTable {
    pub(crate) table: Table,
    pub(crate) names: Vec<String>,
    /// The class index each table row decides (`NONE` when its output is not a class).
    row_classes: Vec<u8>,
    /// The class index of the table's default outputs (`NONE` without a default).
    default_class: u8,
}

/// The class names a table document can output, in order: the first output's declared
/// `values`, else the symbols of its rows and default in order of first appearance.
pub(crate) fn class_names(doc: &TableDoc) -> Vec<String> {
    use crate::rules::OutputDoc;
    if let Some(first) = doc.outputs.first() {
        if !first.values.is_empty() {
            return first.values.clone();
        }
    }
    let mut names: Vec<String> = Vec::new();
    let outputs = doc
        .rows
        .iter()
        .filter_map(|row| row.then.first())
        .chain(doc.default.iter().filter_map(|d| d.first()));
    for output in outputs {
        if let OutputDoc::Text(name) = output {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    names
}

/// Where a rules-engine error points, as a config path: `tiers.rows[2].recency_days`.
fn rule_error_path(path: &str, err: &RuleError) -> String {
    match err.origin() {
        Origin::Table { row, column, .. } => {
            let mut at = match row {
                Some(row) => format!("{path}.rows[{row}]"),
                None => path.to_owned(),
            };
            if let Some(column) = column.as_deref() {
                at.push('.');
                at.push_str(column);
            }
            at
        }
        _ => path.to_owned(),
    }
}

impl ClassTable {
    /// Compiles `doc` against `schema`; problems go to `diagnostics` under `path`.
    pub(crate) fn compile(
        doc: &TableDoc,
        schema: &Schema,
        path: &str,
        diagnostics: &mut Vec<ConfigDiagnostic>,
    ) -> Option<ClassTable> {
        let before = diagnostics.len();
        match doc.hit_policy {
            HitPolicy::Collect | HitPolicy::RuleOrder => {
                diagnostics.push(ConfigDiagnostic::error(
                    &format!("{path}.hit_policy"),
                    ConfigErrorKind::OutOfRange {
                        expected: "a single-hit policy (`first`, `unique`, `priority` or `any`): a customer has one class per table".to_owned(),
                        found: format!("{:?}", doc.hit_policy).to_lowercase(),
                    },
                ));
            }
            _ => {}
        }
        match doc.outputs.first() {
            Some(first) if first.ty == Type::Symbol => {}
            Some(first) => diagnostics.push(ConfigDiagnostic::error(
                &format!("{path}.outputs[0]"),
                ConfigErrorKind::OutOfRange {
                    expected: "a first output of type `symbol` (the class)".to_owned(),
                    found: format!("{} of type {}", first.name, first.ty),
                },
            )),
            None => diagnostics.push(ConfigDiagnostic::error(
                &format!("{path}.outputs"),
                ConfigErrorKind::OutOfRange {
                    expected: "a first output of type `symbol` (the class)".to_owned(),
                    found: "no output".to_owned(),
                },
            )),
        }
        let names = class_names(doc);
        if names.len() >= usize::from(NONE) {
            diagnostics.push(ConfigDiagnostic::error(
                &format!("{path}.outputs[0]"),
                ConfigErrorKind::OutOfRange {
                    expected: "at most 254 classes".to_owned(),
                    found: names.len().to_string(),
                },
            ));
        }
        if diagnostics.len() > before {
            return None;
        }
        let table = match Table::compile(doc, schema) {
            Ok(table) => table,
            Err(err) => {
                diagnostics.push(ConfigDiagnostic::error(
                    &rule_error_path(path, &err),
                    ConfigErrorKind::Rule(err),
                ));
                return None;
            }
        };
        for finding in table.diagnostics() {
            let at = match finding.row {
                Some(row) => format!("{path}.rows[{row}]"),
                None => path.to_owned(),
            };
            let kind = ConfigErrorKind::Table(finding.clone());
            diagnostics.push(if finding.severity == Severity::Error {
                ConfigDiagnostic::error(&at, kind)
            } else {
                ConfigDiagnostic::warning(&at, kind)
            });
        }
        let mut by_symbol: Vec<(u32, u8)> = names
            .iter()
            .enumerate()
            .filter_map(|(class, name)| {
                let id = table.symbol(name)?;
                Some((id.index(), u8::try_from(class).ok()?))
            })
            .collect();
        by_symbol.sort_unstable();
        let class_of = |hit: Hit| {
            let Some(Value::Symbol(id)) = table.output(hit, 0) else {
                return NONE;
            };
            match by_symbol.binary_search_by_key(&id.index(), |(s, _)| *s) {
                Ok(pos) => by_symbol.get(pos).map_or(NONE, |(_, class)| *class),
                Err(_) => NONE,
            }
        };
        let row_classes = (0..table.rows().len())
            .map(|row| class_of(Hit::Row(row)))
            .collect();
        let default_class = class_of(Hit::Default);
        Some(ClassTable {
            table,
            names,
            row_classes,
            default_class,
        })
    }

    /// The class index of a hit (`NONE` for no match or a conflict).
    #[inline]
    pub(crate) fn class_of(&self, hit: Hit) -> u8 {
        match hit {
            Hit::Row(row) => self.row_classes.get(row).copied().unwrap_or(NONE),
            Hit::Default => self.default_class,
            _ => NONE,
        }
    }

    /// Decides rows `rows` of `columns`: the class index and the deciding row of row
    /// `rows.start + i` go to `classes[i]` and `rules[i]` (up to the shorter of the
    /// three).
    pub(crate) fn decide_into<C: Columns>(
        &self,
        columns: &C,
        rows: Range<usize>,
        ctx: Context,
        classes: &mut [u8],
        rules: &mut [u16],
    ) {
        let mut out = classes.iter_mut().zip(rules.iter_mut());
        self.table.decide_each(columns, rows, ctx, |_, hit| {
            if let Some((class, rule)) = out.next() {
                *class = self.class_of(hit);
                *rule = match hit {
                    Hit::Row(r) => u16::try_from(r).unwrap_or(NO_ROW),
                    Hit::Default => DEFAULT_ROW,
                    _ => NO_ROW,
                };
            }
        });
    }
}

/// A first-hit table document with one symbol output whose values are declared: rows
/// are `(row name, cells, extra condition, class)`.
pub(crate) fn symbol_table(
    name: &str,
    doc: &str,
    inputs: &[&str],
    output: &str,
    values: &[&str],
    rows: &[(&str, &[&str], Option<&str>, &str)],
) -> TableDoc {
    use crate::rules::{CellDoc, ExprDoc, InputDoc, OutputColumnDoc, OutputDoc, RowDoc};
    TableDoc {
        name: name.to_owned(),
        doc: doc.to_owned(),
        hit_policy: HitPolicy::First,
        aggregation: None,
        complete: false,
        inputs: inputs
            .iter()
            .map(|i| InputDoc::Expr((*i).to_owned()))
            .collect(),
        outputs: vec![OutputColumnDoc {
            name: output.to_owned(),
            ty: Type::Symbol,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }],
        rows: rows
            .iter()
            .map(|(row_name, cells, condition, class)| RowDoc {
                name: Some((*row_name).to_owned()),
                when: cells
                    .iter()
                    .map(|c| CellDoc::Text((*c).to_owned()))
                    .collect(),
                condition: condition.map(|c| ExprDoc::Text(c.to_owned())),
                then: vec![OutputDoc::Text((*class).to_owned())],
            })
            .collect(),
        default: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::OutputDoc;

    #[test]
    fn class_names_come_from_declared_values_or_rows_in_order() {
        let mut doc = symbol_table(
            "t",
            "",
            &["frequency"],
            "class",
            &[],
            &[
                ("a", &[">= 2"], None, "often"),
                ("b", &["-"], None, "rarely"),
                ("c", &["-"], None, "often"),
            ],
        );
        doc.default = Some(vec![OutputDoc::Text("never".to_owned())]);
        assert_eq!(class_names(&doc), vec!["often", "rarely", "never"]);
        doc.outputs[0].values = vec!["rarely".to_owned(), "often".to_owned(), "never".to_owned()];
        assert_eq!(class_names(&doc), vec!["rarely", "often", "never"]);
    }
}
