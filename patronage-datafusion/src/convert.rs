//! Conversions between the core's columnar types and Arrow: the facts struct (the
//! result of `patronage_facts`, one row per customer) ↔ [`FactsTable`], and a
//! [`Segmentation`] → the segmentation struct (the result of `patronage_segment`).

use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Decimal128Array, Float64Array, RecordBatch, StringArray,
    StructArray, UInt32Array, UInt64Array, UInt8Array,
};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Field, Fields, Schema, UInt32Type, UInt64Type,
};
use datafusion::error::{DataFusionError, Result};
use patronage::facts::FrequencyBand;
use patronage::segment::{Segmentation, SegmentationRow};
use patronage::{CustomerId, Facts, FactsOptions, FactsTable};
use rust_decimal::Decimal;

/// Days from 0001-01-01 to 1970-01-01: Arrow's `date32` counts from the latter.
const UNIX_EPOCH_FROM_CE: i32 = 719_163;

/// The names of the facts struct's fields, in order.
pub const FACTS_FIELDS: [&str; 11] = [
    "customer_id",
    "first_purchase",
    "last_purchase",
    "recency_days",
    "days_since_first_purchase",
    "purchases",
    "frequency",
    "frequency_band",
    "monetary",
    "refunds",
    "refunded",
];

/// The fields of the facts struct for amounts with `minor` decimal places: one
/// customer's facts of R4 as the core's [`FactsTable`] holds them for orders.
///
/// | field | type | meaning |
/// |---|---|---|
/// | `customer_id` | `uint64` | the customer |
/// | `first_purchase`, `last_purchase` | `date32` | the first and last purchase dates (null: no purchase) |
/// | `recency_days` | `uint32` | days from the last purchase to `as_of` (null: no purchase) |
/// | `days_since_first_purchase` | `uint32` | days from the first purchase to `as_of` |
/// | `purchases` | `uint32` | purchases, all time |
/// | `frequency` | `uint32` | purchases in the frequency window |
/// | `frequency_band` | `utf8` | `monthly`, `quarterly`, `yearly` or `below` |
/// | `monetary` | `decimal128(38, minor)` | net spend (refunds subtracted) |
/// | `refunds` | `uint32` | refund rows |
/// | `refunded` | `decimal128(38, minor)` | refunded amount |
///
/// Every field is nullable (a null struct's fields are null).
pub fn facts_fields(minor: u8) -> Fields {
    let money = DataType::Decimal128(38, minor as i8);
    Fields::from(vec![
        Field::new("customer_id", DataType::UInt64, true),
        Field::new("first_purchase", DataType::Date32, true),
        Field::new("last_purchase", DataType::Date32, true),
        Field::new("recency_days", DataType::UInt32, true),
        Field::new("days_since_first_purchase", DataType::UInt32, true),
        Field::new("purchases", DataType::UInt32, true),
        Field::new("frequency", DataType::UInt32, true),
        Field::new("frequency_band", DataType::Utf8, true),
        Field::new("monetary", money.clone(), true),
        Field::new("refunds", DataType::UInt32, true),
        Field::new("refunded", money, true),
    ])
}

/// The data type of `patronage_facts`' result: a struct of [`facts_fields`].
pub fn facts_data_type(minor: u8) -> DataType {
    DataType::Struct(facts_fields(minor))
}

/// The names of the segmentation struct's fields, in order.
pub const SEGMENTATION_FIELDS: [&str; 12] = [
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "monetary_top_share",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
    "stage",
    "tier",
    "vip_level",
];

/// The fields of one customer's segmentation for amounts with `minor` decimal places.
///
/// | field | type | meaning |
/// |---|---|---|
/// | `customer_id` | `uint64` | the customer |
/// | `recency_days`, `frequency`, `monetary` | as in the facts | the RFM metrics |
/// | `monetary_top_share` | `float64` | share of the base's purchasers who spent more (null: no purchase) |
/// | `r_score`, `f_score`, `m_score` | `uint8` | the RFM scores (null: no purchase) |
/// | `rfm_segment` | `utf8` | the named RFM segment (null: no purchase) |
/// | `stage`, `tier` | `utf8` | the lifecycle stage and value tier |
/// | `vip_level` | `utf8` | the VIP level (null: none) |
pub fn segmentation_fields(minor: u8) -> Fields {
    Fields::from(vec![
        Field::new("customer_id", DataType::UInt64, true),
        Field::new("recency_days", DataType::UInt32, true),
        Field::new("frequency", DataType::UInt32, true),
        Field::new("monetary", DataType::Decimal128(38, minor as i8), true),
        Field::new("monetary_top_share", DataType::Float64, true),
        Field::new("r_score", DataType::UInt8, true),
        Field::new("f_score", DataType::UInt8, true),
        Field::new("m_score", DataType::UInt8, true),
        Field::new("rfm_segment", DataType::Utf8, true),
        Field::new("stage", DataType::Utf8, true),
        Field::new("tier", DataType::Utf8, true),
        Field::new("vip_level", DataType::Utf8, true),
    ])
}

/// The data type of `patronage_segment`'s result: a struct of [`segmentation_fields`].
pub fn segmentation_data_type(minor: u8) -> DataType {
    DataType::Struct(segmentation_fields(minor))
}

/// A day number of Arrow's `date32` as a date.
pub(crate) fn date_of_day(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day.checked_add(UNIX_EPOCH_FROM_CE)?)
}

/// A date as Arrow's `date32` day number.
pub(crate) fn day_of_date(date: NaiveDate) -> i32 {
    use chrono::Datelike;
    date.num_days_from_ce() - UNIX_EPOCH_FROM_CE
}

/// A decimal as an integer at `minor` decimal places, exactly.
pub(crate) fn minor_units(value: Decimal, minor: u8) -> Result<i128> {
    let minor = u32::from(minor);
    let mut value = value;
    if value.scale() > minor {
        value = value.normalize();
    }
    let scale = value.scale();
    let up = minor
        .checked_sub(scale)
        .and_then(|up| 10_i128.checked_pow(up))
        .ok_or_else(|| {
            DataFusionError::Execution(format!(
                "patronage: amount `{value}` has more than {minor} decimal places"
            ))
        })?;
    value.mantissa().checked_mul(up).ok_or_else(|| {
        DataFusionError::Execution(format!(
            "patronage: amount `{value}` does not fit a decimal at {minor} places"
        ))
    })
}

/// A struct array of `fields` over `arrays`, null where `valid` is false (no null
/// buffer when every row is valid).
fn struct_array(fields: Fields, arrays: Vec<ArrayRef>, valid: Vec<bool>) -> Result<StructArray> {
    let nulls = valid
        .iter()
        .any(|v| !v)
        .then(|| datafusion::arrow::buffer::NullBuffer::from(valid));
    Ok(StructArray::try_new(fields, arrays, nulls)?)
}

fn band_name(band: FrequencyBand) -> &'static str {
    match band {
        FrequencyBand::Monthly => "monthly",
        FrequencyBand::Quarterly => "quarterly",
        FrequencyBand::Yearly => "yearly",
        _ => "below",
    }
}

/// The columns of facts structs under construction.
#[derive(Debug, Default)]
pub(crate) struct FactsColumns {
    valid: Vec<bool>,
    customer: Vec<Option<u64>>,
    first: Vec<Option<i32>>,
    last: Vec<Option<i32>>,
    recency: Vec<Option<u32>>,
    since_first: Vec<Option<u32>>,
    purchases: Vec<Option<u32>>,
    frequency: Vec<Option<u32>>,
    band: Vec<Option<&'static str>>,
    monetary: Vec<Option<i128>>,
    refunds: Vec<Option<u32>>,
    refunded: Vec<Option<i128>>,
}

impl FactsColumns {
    pub(crate) fn with_capacity(n: usize) -> FactsColumns {
        FactsColumns {
            valid: Vec::with_capacity(n),
            customer: Vec::with_capacity(n),
            first: Vec::with_capacity(n),
            last: Vec::with_capacity(n),
            recency: Vec::with_capacity(n),
            since_first: Vec::with_capacity(n),
            purchases: Vec::with_capacity(n),
            frequency: Vec::with_capacity(n),
            band: Vec::with_capacity(n),
            monetary: Vec::with_capacity(n),
            refunds: Vec::with_capacity(n),
            refunded: Vec::with_capacity(n),
        }
    }

    pub(crate) fn push(&mut self, facts: &Facts, minor: u8) -> Result<()> {
        self.valid.push(true);
        self.customer.push(Some(facts.customer.0));
        self.first.push(facts.first_purchase.map(day_of_date));
        self.last.push(facts.last_purchase.map(day_of_date));
        self.recency.push(facts.recency_days);
        self.since_first.push(facts.days_since_first_purchase);
        self.purchases.push(Some(facts.purchases));
        self.frequency.push(Some(facts.frequency));
        self.band.push(Some(band_name(facts.frequency_band)));
        self.monetary
            .push(Some(minor_units(facts.monetary, minor)?));
        self.refunds.push(Some(facts.refunds));
        self.refunded
            .push(Some(minor_units(facts.refunded, minor)?));
        Ok(())
    }

    pub(crate) fn push_null(&mut self) {
        self.valid.push(false);
        self.customer.push(None);
        self.first.push(None);
        self.last.push(None);
        self.recency.push(None);
        self.since_first.push(None);
        self.purchases.push(None);
        self.frequency.push(None);
        self.band.push(None);
        self.monetary.push(None);
        self.refunds.push(None);
        self.refunded.push(None);
    }

    /// The columns, in the order of [`facts_fields`].
    fn arrays(self, minor: u8) -> Result<(Vec<ArrayRef>, Vec<bool>)> {
        let money = |values: Vec<Option<i128>>| -> Result<ArrayRef> {
            Ok(Arc::new(
                Decimal128Array::from(values).with_precision_and_scale(38, minor as i8)?,
            ))
        };
        Ok((
            vec![
                Arc::new(UInt64Array::from(self.customer)),
                Arc::new(Date32Array::from(self.first)),
                Arc::new(Date32Array::from(self.last)),
                Arc::new(UInt32Array::from(self.recency)),
                Arc::new(UInt32Array::from(self.since_first)),
                Arc::new(UInt32Array::from(self.purchases)),
                Arc::new(UInt32Array::from(self.frequency)),
                Arc::new(StringArray::from(self.band)),
                money(self.monetary)?,
                Arc::new(UInt32Array::from(self.refunds)),
                money(self.refunded)?,
            ],
            self.valid,
        ))
    }

    /// The facts structs.
    pub(crate) fn finish(self, minor: u8) -> Result<StructArray> {
        let (arrays, valid) = self.arrays(minor)?;
        struct_array(facts_fields(minor), arrays, valid)
    }
}

/// A facts table as a record batch whose columns are the facts struct's fields
/// ([`facts_fields`]), one row per customer in the table's order (by customer id).
///
/// # Errors
///
/// [`DataFusionError::Execution`] when an amount does not fit a `decimal128(38, minor)`
/// at the currency's decimal places (`minor`), or the currency has none.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::{Config, Currency, CustomerId, FactsTable};
/// use patronage_datafusion::{facts_table_from_batch, facts_table_to_batch};
///
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
/// let options = Config::reference().facts_options_on(as_of, Currency::CNY)?;
/// let table = FactsTable::from_dated_minor_units(&options, &[CustomerId(7)], &[as_of], &[1_999])?;
/// let batch = facts_table_to_batch(&table)?;
/// assert_eq!((batch.num_rows(), batch.schema().field(0).name().as_str()), (1, "customer_id"));
/// assert_eq!(facts_table_from_batch(&batch, &options)?, table);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn facts_table_to_batch(table: &FactsTable) -> Result<RecordBatch> {
    let minor = table.currency().minor_units().ok_or_else(|| {
        DataFusionError::Execution(format!(
            "patronage: currency `{}` has no minor unit: expected a currency with decimal places",
            table.currency()
        ))
    })?;
    let mut columns = FactsColumns::with_capacity(table.len());
    for facts in table.iter() {
        columns.push(&facts, minor)?;
    }
    let (arrays, _) = columns.arrays(minor)?;
    let schema = Schema::new(facts_fields(minor));
    Ok(RecordBatch::try_new(Arc::new(schema), arrays)?)
}

/// A facts table from a record batch whose columns are the facts struct's fields
/// (by name; other columns are ignored), e.g. a `patronage_facts` struct column
/// unnested, or [`facts_table_to_batch`]'s output; rows in any order. The table keeps
/// `options` (the day, currency and policy the facts were computed for); derived
/// fields (`last_purchase`, `days_since_first_purchase`, `frequency_band`) are
/// recomputed from the stored ones, as [`FactsTable`] does.
///
/// # Errors
///
/// [`DataFusionError::Plan`] when a field is missing or of another type;
/// [`DataFusionError::Execution`] for a null customer id or count, or a customer twice.
///
/// # Example
///
/// See [`facts_table_to_batch`].
pub fn facts_table_from_batch(batch: &RecordBatch, options: &FactsOptions) -> Result<FactsTable> {
    let array = StructArray::from(batch.clone());
    let (table, _) = facts_table_from_struct(&array, options)?;
    Ok(table)
}

/// A facts table from a facts struct array (a `patronage_facts` result column; null
/// structs are left out), for facts computed as of `options`.
///
/// # Errors
///
/// As [`facts_table_from_batch`].
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use datafusion::arrow::array::StructArray;
/// use patronage::{Config, Currency, CustomerId, FactsTable};
/// use patronage_datafusion::{facts_table_from_array, facts_table_to_batch};
///
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
/// let options = Config::reference().facts_options_on(as_of, Currency::CNY)?;
/// let table = FactsTable::from_dated_minor_units(&options, &[CustomerId(7)], &[as_of], &[1_999])?;
/// let array = StructArray::from(facts_table_to_batch(&table)?);
/// assert_eq!(facts_table_from_array(&array, &options)?, table);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn facts_table_from_array(array: &StructArray, options: &FactsOptions) -> Result<FactsTable> {
    let (table, _) = facts_table_from_struct(array, options)?;
    Ok(table)
}

/// The typed fields of a facts struct array.
struct FactsView<'a> {
    customer: &'a UInt64Array,
    first: &'a Date32Array,
    recency: &'a UInt32Array,
    purchases: &'a UInt32Array,
    frequency: &'a UInt32Array,
    monetary: &'a Decimal128Array,
    refunds: &'a UInt32Array,
    refunded: &'a Decimal128Array,
}

fn field<'a>(array: &'a StructArray, name: &str, expected: &DataType) -> Result<&'a ArrayRef> {
    let column = array.column_by_name(name).ok_or_else(|| {
        DataFusionError::Plan(format!(
            "patronage: facts have no field `{name}`: expected the fields of `patronage_facts` ({})",
            FACTS_FIELDS.join(", ")
        ))
    })?;
    let same = match (column.data_type(), expected) {
        (DataType::Decimal128(_, _), DataType::Decimal128(_, _)) => true,
        (found, expected) => found == expected,
    };
    if same {
        Ok(column)
    } else {
        Err(DataFusionError::Plan(format!(
            "patronage: facts field `{name}` is {}: expected {expected}",
            column.data_type()
        )))
    }
}

impl<'a> FactsView<'a> {
    fn of(array: &'a StructArray) -> Result<FactsView<'a>> {
        let money = DataType::Decimal128(38, 0);
        Ok(FactsView {
            customer: field(array, "customer_id", &DataType::UInt64)?.as_primitive::<UInt64Type>(),
            first: field(array, "first_purchase", &DataType::Date32)?.as_primitive::<Date32Type>(),
            recency: field(array, "recency_days", &DataType::UInt32)?.as_primitive::<UInt32Type>(),
            purchases: field(array, "purchases", &DataType::UInt32)?.as_primitive::<UInt32Type>(),
            frequency: field(array, "frequency", &DataType::UInt32)?.as_primitive::<UInt32Type>(),
            monetary: field(array, "monetary", &money)?.as_primitive::<Decimal128Type>(),
            refunds: field(array, "refunds", &DataType::UInt32)?.as_primitive::<UInt32Type>(),
            refunded: field(array, "refunded", &money)?.as_primitive::<Decimal128Type>(),
        })
    }

    fn facts(&self, row: usize, options: &FactsOptions) -> Result<Facts> {
        let customer = value(self.customer, row, "customer_id", None)?;
        let id = Some(customer);
        let mut facts = Facts::empty(CustomerId(customer));
        facts.first_purchase = self
            .first
            .is_valid(row)
            .then(|| date_of_day(self.first.value(row)))
            .flatten();
        facts.recency_days = self.recency.is_valid(row).then(|| self.recency.value(row));
        facts.purchases = value(self.purchases, row, "purchases", id)?;
        facts.frequency = value(self.frequency, row, "frequency", id)?;
        facts.frequency_band = options.frequency_bands().band(facts.frequency);
        facts.monetary = decimal(self.monetary, row, "monetary", customer)?;
        facts.refunds = value(self.refunds, row, "refunds", id)?;
        facts.refunded = decimal(self.refunded, row, "refunded", customer)?;
        Ok(facts)
    }
}

fn value<T>(
    array: &datafusion::arrow::array::PrimitiveArray<T>,
    row: usize,
    name: &str,
    customer: Option<u64>,
) -> Result<T::Native>
where
    T: datafusion::arrow::datatypes::ArrowPrimitiveType,
{
    if array.is_valid(row) {
        Ok(array.value(row))
    } else {
        Err(DataFusionError::Execution(match customer {
            Some(customer) => format!(
                "patronage: facts of customer `{customer}` have a null `{name}`: expected a value"
            ),
            None => {
                format!("patronage: facts row {row} has a null `{name}`: expected a customer id")
            }
        }))
    }
}

fn decimal(array: &Decimal128Array, row: usize, name: &str, customer: u64) -> Result<Decimal> {
    let raw = value(array, row, name, Some(customer))?;
    Decimal::try_from_i128_with_scale(raw, u32::from(array.scale().max(0) as u8)).map_err(|_| {
        DataFusionError::Execution(format!(
            "patronage: facts of customer `{customer}`: `{name}` {} does not fit a decimal of 96 bits",
            array.value_as_string(row)
        ))
    })
}

/// The facts table of the non-null rows of a facts struct array, and each row's
/// position in the table (`None` for a null row).
pub(crate) fn facts_table_from_struct(
    array: &StructArray,
    options: &FactsOptions,
) -> Result<(FactsTable, Vec<Option<usize>>)> {
    let view = FactsView::of(array)?;
    // The rows in customer order first (16-byte pairs), so that the table's own sort
    // by customer finds them sorted instead of moving whole `Facts` around.
    let mut order: Vec<(u64, usize)> = (0..array.len())
        .filter(|row| array.is_valid(*row) && view.customer.is_valid(*row))
        .map(|row| (view.customer.value(row), row))
        .collect();
    order.sort_unstable();
    let mut facts = Vec::with_capacity(array.len());
    for row in 0..array.len() {
        // A valid row without a customer id is refused with its message.
        if array.is_valid(row) && !view.customer.is_valid(row) {
            facts.push(view.facts(row, options)?);
        }
    }
    for (_, row) in order {
        facts.push(view.facts(row, options)?);
    }
    let table = FactsTable::from_facts(*options, facts)
        .map_err(|e| DataFusionError::Execution(format!("patronage: {e}")))?;
    let positions = (0..array.len())
        .map(|row| {
            array
                .is_valid(row)
                .then(|| table.position(CustomerId(view.customer.value(row))))
                .flatten()
        })
        .collect();
    Ok((table, positions))
}

/// The columns of segmentation structs under construction.
#[derive(Debug, Default)]
pub(crate) struct SegmentationColumns {
    valid: Vec<bool>,
    customer: Vec<Option<u64>>,
    recency: Vec<Option<u32>>,
    frequency: Vec<Option<u32>>,
    monetary: Vec<Option<i128>>,
    top_share: Vec<Option<f64>>,
    r: Vec<Option<u8>>,
    f: Vec<Option<u8>>,
    m: Vec<Option<u8>>,
    segment: Vec<Option<String>>,
    stage: Vec<Option<String>>,
    tier: Vec<Option<String>>,
    vip: Vec<Option<String>>,
}

impl SegmentationColumns {
    pub(crate) fn push(&mut self, row: &SegmentationRow<'_>, minor: u8) -> Result<()> {
        self.valid.push(true);
        self.customer.push(Some(row.customer.0));
        self.recency.push(row.recency_days);
        self.frequency.push(Some(row.frequency));
        self.monetary.push(Some(minor_units(row.monetary, minor)?));
        self.top_share.push(
            row.monetary_top_share
                .map(patronage::segment::TopShare::as_f64),
        );
        self.r.push(row.scores.map(|[r, _, _]| r));
        self.f.push(row.scores.map(|[_, f, _]| f));
        self.m.push(row.scores.map(|[_, _, m]| m));
        self.segment.push(row.rfm_segment.map(str::to_owned));
        self.stage.push(row.stage.map(str::to_owned));
        self.tier.push(row.tier.map(str::to_owned));
        self.vip.push(row.vip_level.map(str::to_owned));
        Ok(())
    }

    pub(crate) fn push_null(&mut self) {
        self.valid.push(false);
        self.customer.push(None);
        self.recency.push(None);
        self.frequency.push(None);
        self.monetary.push(None);
        self.top_share.push(None);
        self.r.push(None);
        self.f.push(None);
        self.m.push(None);
        self.segment.push(None);
        self.stage.push(None);
        self.tier.push(None);
        self.vip.push(None);
    }

    fn arrays(self, minor: u8) -> Result<(Vec<ArrayRef>, Vec<bool>)> {
        Ok((
            vec![
                Arc::new(UInt64Array::from(self.customer)),
                Arc::new(UInt32Array::from(self.recency)),
                Arc::new(UInt32Array::from(self.frequency)),
                Arc::new(
                    Decimal128Array::from(self.monetary)
                        .with_precision_and_scale(38, minor as i8)?,
                ),
                Arc::new(Float64Array::from(self.top_share)),
                Arc::new(UInt8Array::from(self.r)),
                Arc::new(UInt8Array::from(self.f)),
                Arc::new(UInt8Array::from(self.m)),
                Arc::new(StringArray::from(self.segment)),
                Arc::new(StringArray::from(self.stage)),
                Arc::new(StringArray::from(self.tier)),
                Arc::new(StringArray::from(self.vip)),
            ],
            self.valid,
        ))
    }

    pub(crate) fn finish(self, minor: u8) -> Result<StructArray> {
        let (arrays, valid) = self.arrays(minor)?;
        struct_array(segmentation_fields(minor), arrays, valid)
    }
}

/// A segmentation as a record batch whose columns are the segmentation struct's
/// fields ([`segmentation_fields`]), one row per customer in its order.
///
/// # Errors
///
/// [`DataFusionError::Execution`] when an amount does not fit a `decimal128(38,
/// minor)`, or the currency has no minor unit.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::{Config, Currency, CustomerId, FactsTable};
/// use patronage_datafusion::segmentation_to_batch;
///
/// let config = Config::reference();
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
/// let options = config.facts_options_on(as_of, Currency::CNY)?;
/// let table = FactsTable::from_dated_minor_units(&options, &[CustomerId(7)], &[as_of], &[1_999])?;
/// let (segmenter, _) = config.segmenter(Currency::CNY)?;
/// let batch = segmentation_to_batch(&segmenter.run(&table)?)?;
/// assert_eq!(batch.num_rows(), 1);
/// assert_eq!(batch.schema().field(8).name(), "rfm_segment");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn segmentation_to_batch(segmentation: &Segmentation) -> Result<RecordBatch> {
    let minor = segmentation.currency().minor_units().ok_or_else(|| {
        DataFusionError::Execution(format!(
            "patronage: currency `{}` has no minor unit: expected a currency with decimal places",
            segmentation.currency()
        ))
    })?;
    let mut columns = SegmentationColumns::default();
    for row in segmentation.iter() {
        columns.push(&row, minor)?;
    }
    let (arrays, _) = columns.arrays(minor)?;
    let schema = Schema::new(segmentation_fields(minor));
    Ok(RecordBatch::try_new(Arc::new(schema), arrays)?)
}
