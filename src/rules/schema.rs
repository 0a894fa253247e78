//! The field schema a domain registers, and the traits through which records and
//! column stores hand field values to the evaluator.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::money::Currency;
use crate::rules::error::{Origin, RuleError, RuleErrorKind};
use crate::rules::value::{ElementType, SymbolId, Type, Value, ValueRef};

/// The id of a field in a [`Schema`]: its 0-based declaration index.
///
/// Ids are assigned in declaration order, so a domain that declares its fields in a
/// fixed order can match on [`FieldId::index`] in its [`Fields`] implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldId(u16);

/// The declaration of one field: name, type, documentation and constraints.
///
/// # Example
///
/// ```
/// use patronage::rules::{Field, Schema};
///
/// let mut schema = Schema::new();
/// schema.add(Field::integer("r_score").range(1, 5).doc("recency score, 5 = most recent"))?;
/// schema.add(Field::symbol("stage", ["new", "active", "dormant"]))?;
/// schema.add(Field::date("last_login").optional())?;
/// assert_eq!(schema.len(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    name: String,
    #[serde(rename = "type")]
    ty: Type,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    doc: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    range: Option<[i64; 2]>,
    #[serde(default, skip_serializing_if = "is_false")]
    optional: bool,
}

/// A set of typed fields that rules may read, with the symbols of their vocabularies.
///
/// # Why a schema
///
/// Rules are checked against it when they load: an unknown field, a symbol outside a
/// field's vocabulary, a comparison between incompatible types or money in the wrong
/// currency is an error at load time with a precise message, not a surprise at run
/// time. Compiled rules then refer to fields by [`FieldId`] and to symbols by
/// [`SymbolId`]: evaluation does no string look-up.
///
/// # Missing values
///
/// Any field may be missing at evaluation time (the [`Fields`] accessor returns
/// `None`). Declaring a field [`optional`](Field::optional) only tells table analysis
/// that missing is an expected input, so that a table declared complete must cover it.
///
/// # Example
///
/// ```
/// use patronage::Currency;
/// use patronage::rules::{Field, Schema};
///
/// let mut schema = Schema::new();
/// let recency = schema.add(Field::integer("recency_days"))?;
/// schema.add(Field::money("monetary", Currency::CNY))?;
/// assert_eq!(schema.field_id("recency_days"), Some(recency));
/// assert_eq!(schema.field(recency).map(|f| f.name()), Some("recency_days"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Field>", into = "Vec<Field>")]
pub struct Schema {
    fields: Vec<Field>,
    by_name: HashMap<String, FieldId>,
    symbols: Symbols,
    vocabularies: Vec<Vec<SymbolId>>,
}

/// Interned symbol names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Symbols {
    names: Vec<String>,
    ids: HashMap<String, SymbolId>,
}

/// Hands field values of one record to the evaluator.
///
/// Implement it for the struct that holds one customer's facts. Return `None` for a
/// value that is missing; a value of another type than the schema declares is treated
/// as missing too.
///
/// # Example
///
/// ```
/// use patronage::rules::{FieldId, Fields, ValueRef};
///
/// struct Scores { r: i64, f: i64, m: i64 }
///
/// impl Fields for Scores {
///     fn value(&self, field: FieldId) -> Option<ValueRef<'_>> {
///         match field.index() {
///             0 => Some(ValueRef::Integer(self.r)),
///             1 => Some(ValueRef::Integer(self.f)),
///             2 => Some(ValueRef::Integer(self.m)),
///             _ => None,
///         }
///     }
/// }
/// ```
pub trait Fields {
    /// The value of `field`, or `None` when it is missing.
    fn value(&self, field: FieldId) -> Option<ValueRef<'_>>;
}

/// Hands field values of a columnar table to the evaluator, by row index, without
/// building a struct per row.
///
/// Evaluation is generic over the implementation (monomorphised, no `dyn`), so a typed
/// column access such as `self.recency.get(row).copied().map(ValueRef::Integer)` inlines
/// into the evaluation loop.
///
/// # Reading a block of rows
///
/// [`Table::decide_each`](crate::rules::Table::decide_each) classifies the inputs of a
/// population a block of rows at a time, one input at a time. A store that keeps a
/// field in a typed column can hand over a whole block in one loop with
/// [`Columns::read_integers`], [`Columns::read_numbers`], [`Columns::read_symbols`] or
/// [`Columns::read_bools`], instead of one [`Columns::value`] call per row. They are
/// optional (the defaults return `false`, and the table then calls `value` per row),
/// and when one returns `true` it must have written exactly what `value` gives for
/// each row: the decisions are the same either way.
pub trait Columns {
    /// The number of rows.
    fn len(&self) -> usize;

    /// Whether the table has no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `field` in row `row`, or `None` when it is missing (or `row` is out
    /// of range).
    fn value(&self, field: FieldId, row: usize) -> Option<ValueRef<'_>>;

    /// Writes the values of an integer or days field for rows `start..start +
    /// out.len()` to `out` (`Some(v)` where `value` gives `Integer(v)` or `Days(v)`,
    /// `None` where it gives nothing) and returns `true`; or returns `false` without a
    /// meaning for `out`, when the store does not keep `field` that way (the default).
    fn read_integers(&self, field: FieldId, start: usize, out: &mut [Option<i64>]) -> bool {
        let _ = (field, start, out);
        false
    }

    /// As [`Columns::read_integers`], for a number field: `Some(v)` where `value` gives
    /// `Number(v)`.
    fn read_numbers(&self, field: FieldId, start: usize, out: &mut [Option<f64>]) -> bool {
        let _ = (field, start, out);
        false
    }

    /// As [`Columns::read_integers`], for a symbol field: `Some(id)` where `value`
    /// gives `Symbol(id)`.
    fn read_symbols(&self, field: FieldId, start: usize, out: &mut [Option<SymbolId>]) -> bool {
        let _ = (field, start, out);
        false
    }

    /// As [`Columns::read_integers`], for a bool field: `Some(b)` where `value` gives
    /// `Bool(b)`.
    fn read_bools(&self, field: FieldId, start: usize, out: &mut [Option<bool>]) -> bool {
        let _ = (field, start, out);
        false
    }
}

/// One row of a [`Columns`] store, seen as a [`Fields`] record.
#[derive(Debug)]
pub struct ColumnRow<'a, C: ?Sized> {
    columns: &'a C,
    row: usize,
}

/// An owned record: one optional value per schema field, in declaration order.
///
/// Handy for tests, examples and hosts that keep facts as loose values; a domain with a
/// typed struct should implement [`Fields`] on it instead.
///
/// # Example
///
/// ```
/// use patronage::rules::{Field, Record, Schema, Value};
///
/// let mut schema = Schema::new();
/// let frequency = schema.add(Field::integer("frequency"))?;
/// let mut record = Record::new(&schema);
/// record.set(frequency, 3);
/// record.set_text(&schema, "frequency", "4")?;
/// assert_eq!(record.get(frequency), Some(&Value::Integer(4)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Record {
    values: Vec<Option<Value>>,
}

/// The maximum number of fields in a schema.
pub const MAX_FIELDS: usize = u16::MAX as usize;

/// Words that cannot name a field.
pub(crate) const KEYWORDS: &[&str] = &[
    "and", "or", "not", "in", "between", "is", "missing", "true", "false", "day", "days",
];

impl FieldId {
    /// The 0-based declaration index.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The id of the field declared at `index` (0-based), if it fits.
    pub fn from_index(index: usize) -> Option<FieldId> {
        u16::try_from(index).ok().map(FieldId)
    }
}

impl Field {
    /// A field of type `ty`. For symbols prefer [`Field::symbol`], which declares the
    /// vocabulary.
    pub fn new(name: &str, ty: Type) -> Field {
        Field {
            name: name.to_owned(),
            ty,
            doc: String::new(),
            values: Vec::new(),
            range: None,
            optional: false,
        }
    }

    /// An integer field.
    pub fn integer(name: &str) -> Field {
        Field::new(name, Type::Integer)
    }

    /// A float field.
    pub fn number(name: &str) -> Field {
        Field::new(name, Type::Number)
    }

    /// A money field in `currency`.
    pub fn money(name: &str, currency: Currency) -> Field {
        Field::new(name, Type::Money(currency))
    }

    /// A boolean field.
    pub fn bool(name: &str) -> Field {
        Field::new(name, Type::Bool)
    }

    /// A text field.
    pub fn text(name: &str) -> Field {
        Field::new(name, Type::Text)
    }

    /// A date field.
    pub fn date(name: &str) -> Field {
        Field::new(name, Type::Date)
    }

    /// A field holding a number of days.
    pub fn days(name: &str) -> Field {
        Field::new(name, Type::Days)
    }

    /// A symbol field whose values are `vocabulary` (in this order, which is also the
    /// order analysis reports them in).
    pub fn symbol<'a>(name: &str, vocabulary: impl IntoIterator<Item = &'a str>) -> Field {
        let mut field = Field::new(name, Type::Symbol);
        field.values = vocabulary.into_iter().map(str::to_owned).collect();
        field
    }

    /// A set-of-symbols field over `vocabulary`.
    pub fn symbol_set<'a>(name: &str, vocabulary: impl IntoIterator<Item = &'a str>) -> Field {
        let mut field = Field::new(name, Type::Set(ElementType::Symbol));
        field.values = vocabulary.into_iter().map(str::to_owned).collect();
        field
    }

    /// Sets the documentation.
    #[must_use]
    pub fn doc(mut self, doc: &str) -> Field {
        doc.clone_into(&mut self.doc);
        self
    }

    /// Declares the inclusive range `lo..=hi` of an integer or days field (e.g. RFM
    /// scores `1..=5`). Analysis uses it: a table over scores is complete when it covers
    /// `1..=5`, and a condition outside the range is reported as constant.
    #[must_use]
    pub fn range(mut self, lo: i64, hi: i64) -> Field {
        self.range = Some([lo, hi]);
        self
    }

    /// Declares that the field may be missing as a matter of course (e.g. the date of
    /// the last login of a customer who never logged in).
    #[must_use]
    pub fn optional(mut self) -> Field {
        self.optional = true;
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type.
    pub fn ty(&self) -> Type {
        self.ty
    }

    /// The documentation.
    pub fn documentation(&self) -> &str {
        &self.doc
    }

    /// The vocabulary of a symbol (or set-of-symbols) field.
    pub fn vocabulary(&self) -> &[String] {
        &self.values
    }

    /// The declared inclusive range, if any.
    pub fn declared_range(&self) -> Option<(i64, i64)> {
        self.range.map(|[lo, hi]| (lo, hi))
    }

    /// Whether the field is declared optional.
    pub fn is_optional(&self) -> bool {
        self.optional
    }
}

impl Schema {
    /// An empty schema.
    pub fn new() -> Schema {
        Schema::default()
    }

    /// A schema of `fields`, in order.
    ///
    /// # Errors
    ///
    /// As [`Schema::add`], for the first field that fails.
    pub fn from_fields(fields: impl IntoIterator<Item = Field>) -> Result<Schema, RuleError> {
        let mut schema = Schema::new();
        for field in fields {
            schema.add(field)?;
        }
        Ok(schema)
    }

    /// Declares a field and returns its id (its 0-based declaration index).
    ///
    /// # Errors
    ///
    /// [`RuleErrorKind::InvalidName`] when the name is not an identifier
    /// (`[A-Za-z_][A-Za-z0-9_]*`) or is a keyword; [`RuleErrorKind::DuplicateField`]
    /// when it is declared already; [`RuleErrorKind::InvalidDeclaration`] when a
    /// vocabulary is given for a non-symbol field, a symbol field has none, a symbol is
    /// not an identifier or repeats, or a range is given for a non-integer field or has
    /// `lo > hi`; [`RuleErrorKind::TooLarge`] beyond [`MAX_FIELDS`] fields.
    pub fn add(&mut self, field: Field) -> Result<FieldId, RuleError> {
        let origin = Origin::Schema {
            field: field.name.clone(),
        };
        let fail = |kind| Err(RuleError::new(origin.clone(), kind));
        if let Some(reason) = invalid_identifier(&field.name) {
            return fail(RuleErrorKind::InvalidName {
                name: field.name.clone(),
                reason,
            });
        }
        if self.by_name.contains_key(&field.name) {
            return fail(RuleErrorKind::DuplicateField {
                name: field.name.clone(),
            });
        }
        let invalid = |reason: String| {
            Err(RuleError::new(
                origin.clone(),
                RuleErrorKind::InvalidDeclaration {
                    field: field.name.clone(),
                    reason,
                },
            ))
        };
        let takes_vocabulary = matches!(field.ty, Type::Symbol | Type::Set(ElementType::Symbol));
        if takes_vocabulary && field.values.is_empty() {
            return invalid(format!(
                "a {} field needs a vocabulary (`values`), found none",
                field.ty
            ));
        }
        if !takes_vocabulary && !field.values.is_empty() {
            return invalid(format!(
                "only symbol fields take a vocabulary (`values`), found one on a {} field",
                field.ty
            ));
        }
        for (i, value) in field.values.iter().enumerate() {
            if let Some(reason) = invalid_identifier(value) {
                return invalid(format!("symbol `{value}` is not valid: {reason}"));
            }
            if field.values.iter().take(i).any(|v| v == value) {
                return invalid(format!("symbol `{value}` is listed twice"));
            }
        }
        if let Some([lo, hi]) = field.range {
            if !matches!(field.ty, Type::Integer | Type::Days) {
                return invalid(format!(
                    "only integer and days fields take a `range`, found one on a {} field",
                    field.ty
                ));
            }
            if lo > hi {
                return invalid(format!(
                    "`range` must have lower <= upper, found [{lo}, {hi}]"
                ));
            }
        }
        let Some(id) =
            FieldId::from_index(self.fields.len()).filter(|_| self.fields.len() < MAX_FIELDS)
        else {
            return fail(RuleErrorKind::TooLarge {
                what: "the schema".to_owned(),
                unit: "fields".to_owned(),
                limit: MAX_FIELDS,
                found: self.fields.len().saturating_add(1),
            });
        };
        let vocabulary = field
            .values
            .iter()
            .map(|name| self.symbols.intern(name))
            .collect();
        self.by_name.insert(field.name.clone(), id);
        self.vocabularies.push(vocabulary);
        self.fields.push(field);
        Ok(id)
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the schema has no field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The id of the field named `name`.
    pub fn field_id(&self, name: &str) -> Option<FieldId> {
        self.by_name.get(name).copied()
    }

    /// The declaration of field `id`.
    pub fn field(&self, id: FieldId) -> Option<&Field> {
        self.fields.get(id.index())
    }

    /// The fields, in declaration order.
    pub fn fields(&self) -> impl Iterator<Item = (FieldId, &Field)> + '_ {
        self.fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| FieldId::from_index(i).map(|id| (id, f)))
    }

    /// The id of the symbol `name`, if some field's vocabulary has it.
    pub fn symbol(&self, name: &str) -> Option<SymbolId> {
        self.symbols.get(name)
    }

    /// The name of symbol `id`.
    pub fn symbol_name(&self, id: SymbolId) -> Option<&str> {
        self.symbols.name(id)
    }

    /// The symbol ids of field `id`'s vocabulary, in declaration order (empty for
    /// non-symbol fields).
    pub fn vocabulary(&self, id: FieldId) -> &[SymbolId] {
        self.vocabularies.get(id.index()).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn symbols(&self) -> &Symbols {
        &self.symbols
    }

    /// A "did you mean" candidate among field names.
    pub(crate) fn closest_field(&self, name: &str) -> Option<String> {
        closest(name, self.fields.iter().map(|f| f.name.as_str()))
    }
}

impl TryFrom<Vec<Field>> for Schema {
    type Error = RuleError;

    fn try_from(fields: Vec<Field>) -> Result<Schema, RuleError> {
        Schema::from_fields(fields)
    }
}

impl From<Schema> for Vec<Field> {
    fn from(schema: Schema) -> Vec<Field> {
        schema.fields
    }
}

impl Symbols {
    pub(crate) fn intern(&mut self, name: &str) -> SymbolId {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        // Ids beyond u32::MAX cannot occur: a schema has at most 65,535 fields and
        // tables are size-limited, so the saturation below never merges two symbols.
        let id = SymbolId::from_index(u32::try_from(self.names.len()).unwrap_or(u32::MAX));
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }

    pub(crate) fn get(&self, name: &str) -> Option<SymbolId> {
        self.ids.get(name).copied()
    }

    pub(crate) fn name(&self, id: SymbolId) -> Option<&str> {
        self.names.get(id.index() as usize).map(String::as_str)
    }
}

impl<'a, C: Columns + ?Sized> ColumnRow<'a, C> {
    /// Row `row` of `columns`.
    pub fn new(columns: &'a C, row: usize) -> ColumnRow<'a, C> {
        ColumnRow { columns, row }
    }
}

impl<C: Columns + ?Sized> Fields for ColumnRow<'_, C> {
    #[inline]
    fn value(&self, field: FieldId) -> Option<ValueRef<'_>> {
        self.columns.value(field, self.row)
    }
}

impl<F: Fields + ?Sized> Fields for &F {
    #[inline]
    fn value(&self, field: FieldId) -> Option<ValueRef<'_>> {
        (**self).value(field)
    }
}

impl Fields for [Option<Value>] {
    fn value(&self, field: FieldId) -> Option<ValueRef<'_>> {
        self.get(field.index())?.as_ref().map(Value::as_ref)
    }
}

impl Fields for Vec<Option<Value>> {
    fn value(&self, field: FieldId) -> Option<ValueRef<'_>> {
        self.as_slice().value(field)
    }
}

impl Record {
    /// A record of `schema` with every field missing.
    pub fn new(schema: &Schema) -> Record {
        Record {
            values: vec![None; schema.len()],
        }
    }

    /// Sets field `id` (ignored when `id` is beyond the record).
    pub fn set(&mut self, id: FieldId, value: impl Into<Value>) {
        if let Some(slot) = self.values.get_mut(id.index()) {
            *slot = Some(value.into());
        }
    }

    /// Marks field `id` missing.
    pub fn clear(&mut self, id: FieldId) {
        if let Some(slot) = self.values.get_mut(id.index()) {
            *slot = None;
        }
    }

    /// Makes room for every field of a schema of `len` fields.
    pub(crate) fn grow(&mut self, len: usize) {
        if self.values.len() < len {
            self.values.resize(len, None);
        }
    }

    /// The value of field `id`, if set.
    pub fn get(&self, id: FieldId) -> Option<&Value> {
        self.values.get(id.index())?.as_ref()
    }
}

impl Fields for Record {
    #[inline]
    fn value(&self, field: FieldId) -> Option<ValueRef<'_>> {
        self.values.as_slice().value(field)
    }
}

/// Why `name` is not a valid identifier, or `None` when it is.
pub(crate) fn invalid_identifier(name: &str) -> Option<String> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Some("expected an identifier, found an empty name".to_owned()),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => {
            return Some(format!("expected a letter or `_` first, found `{c}`"))
        }
        Some(_) => {}
    }
    if let Some(c) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return Some(format!(
            "expected only letters, digits and `_`, found `{c}`"
        ));
    }
    if KEYWORDS.contains(&name) {
        return Some("it is a keyword of the rules language".to_owned());
    }
    None
}

/// The candidate closest to `name` by edit distance, if close enough to be a typo.
pub(crate) fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_owned())
}

/// Levenshtein distance (with adjacent transpositions counted as one edit).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let del = prev
                .get(j + 1)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            let ins = cur.get(j).copied().unwrap_or(usize::MAX).saturating_add(1);
            let sub = prev
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(cost);
            let mut best = del.min(ins).min(sub);
            if i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca) {
                best = best.min(
                    prev2
                        .get(j - 1)
                        .copied()
                        .unwrap_or(usize::MAX)
                        .saturating_add(1),
                );
            }
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = best;
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

// serde's `skip_serializing_if` passes a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(b: &bool) -> bool {
    !*b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(edit_distance("freqency", "frequency"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            closest("spnd", ["spend", "stage"].into_iter()),
            Some("spend".to_owned())
        );
        assert_eq!(closest("zzzz", ["spend"].into_iter()), None);
    }
}
