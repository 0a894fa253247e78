//! `patronage_facts(customer_id, order_date, amount)`: the facts of R4 per group
//! (`GROUP BY customer_id`), folded and merged by the core.

use std::hash::{Hash, Hasher};
use std::mem::size_of;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Decimal128Array, Int32Array, UInt32Array,
    UInt64Array,
};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Field, FieldRef, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType, UInt32Type, UInt64Type,
};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use datafusion::scalar::ScalarValue;
use patronage::facts::{OrderParts, PartialFacts};
use patronage::{CustomerId, Money};
use rust_decimal::Decimal;

use crate::convert::{date_of_day, facts_data_type, minor_units, FactsColumns};
use crate::options::{Compiled, PatronageOptions};

/// The name of the facts aggregate.
pub const FACTS_FUNCTION: &str = "patronage_facts";

/// The facts aggregate: `patronage_facts(customer_id, order_date, amount)` with
/// `GROUP BY customer_id` gives each customer's facts of R4 as a struct
/// ([`facts_data_type`](crate::facts_data_type)).
///
/// # Arguments
///
/// - `customer_id`: any integer type (read as `uint64`); never null.
/// - `order_date`: `date32` (a date in the options' zone) or a timestamp (an instant,
///   made a date in the options' zone; a timestamp without zone is UTC).
/// - `amount`: `decimal128(p, s)` in the options' currency, at most its decimal places
///   (zeros beyond them are fine), or an integer of minor units (fen for `CNY`). A zero
///   or positive amount is a purchase, a negative one a refund of its absolute value.
///
/// Rows after `as_of` are ignored; a group with no row on or before it is null.
///
/// # Semantics and state
///
/// Each row is folded by the core ([`DatedFolder`](patronage::facts::DatedFolder),
/// the per-row rule of `FactsTable::from_dated_events`); partitions' states are the
/// core's [`PartialFacts`] in columns ([`OrderParts`]), merged by
/// [`PartialFacts::merge`]; the result is finished by the core. So the facts equal the
/// core's facts table of the same rows, customer by customer, whatever the partitions.
///
/// A [`GroupsAccumulator`] keeps one `PartialFacts` per group in a vector (no boxed
/// accumulator per group); the plain [`Accumulator`] serves a query without
/// `GROUP BY`.
///
/// # Errors (at execution)
///
/// A row whose amount has more decimal places than the currency, a null customer, date
/// or amount, a total that overflows, or two customers in one group: a
/// [`DataFusionError::Execution`] naming the customer (and the row's date) and what
/// was expected. At planning, arguments of other types are refused with the reason.
#[derive(Debug, Clone)]
pub struct FactsAggregate {
    options: Arc<PatronageOptions>,
    compiled: Arc<Compiled>,
    key: String,
    signature: Signature,
}

impl PartialEq for FactsAggregate {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for FactsAggregate {}

impl Hash for FactsAggregate {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl FactsAggregate {
    /// The aggregate for `options`.
    ///
    /// # Errors
    ///
    /// As [`PatronageOptions::new`].
    pub fn new(options: PatronageOptions) -> Result<FactsAggregate> {
        let compiled = options.compile()?;
        Ok(FactsAggregate {
            key: options.to_json()?,
            options: Arc::new(options),
            compiled: Arc::new(compiled),
            signature: Signature::user_defined(Volatility::Immutable),
        })
    }

    /// The options the aggregate was built with.
    pub fn options(&self) -> &PatronageOptions {
        &self.options
    }

    fn groups(&self) -> FactsGroups {
        FactsGroups {
            compiled: Arc::clone(&self.compiled),
            customers: Vec::new(),
            partials: Vec::new(),
        }
    }

    fn state_fields_of(&self, name: &str) -> Vec<FieldRef> {
        let money = DataType::Decimal128(38, self.compiled.minor as i8);
        let field = |part: &str, data_type: DataType| {
            Arc::new(Field::new(format!("{name}[{part}]"), data_type, true))
        };
        vec![
            field("customer", DataType::UInt64),
            field("registered_day", DataType::Int32),
            field("first_purchase_day", DataType::Int32),
            field("last_purchase_day", DataType::Int32),
            field("purchases", DataType::UInt32),
            field("in_window", DataType::UInt32),
            field("refunds", DataType::UInt32),
            field("cancelled", DataType::UInt32),
            field("monetary", money.clone()),
            field("refunded", money),
        ]
    }
}

fn plan_error(message: &str) -> DataFusionError {
    DataFusionError::Plan(format!("{FACTS_FUNCTION}: {message}"))
}

fn exec_error(message: &str) -> DataFusionError {
    DataFusionError::Execution(format!("{FACTS_FUNCTION}: {message}"))
}

impl AggregateUDFImpl for FactsAggregate {
    fn name(&self) -> &str {
        FACTS_FUNCTION
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [customer, date, amount] = arg_types else {
            return Err(plan_error(&format!(
                "{} arguments given: expected 3, `patronage_facts(customer_id, order_date, amount)`",
                arg_types.len()
            )));
        };
        let customer = if customer.is_integer() {
            DataType::UInt64
        } else {
            return Err(plan_error(&format!(
                "argument `customer_id` is {customer}: expected an integer type"
            )));
        };
        let date = match date {
            DataType::Date32 | DataType::Date64 => DataType::Date32,
            DataType::Timestamp(_, _) => {
                DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC")))
            }
            other => {
                return Err(plan_error(&format!(
                    "argument `order_date` is {other}: expected a date32 or a timestamp"
                )))
            }
        };
        let minor = self.compiled.minor;
        let amount = match amount {
            DataType::Decimal128(precision, scale) if *scale >= 0 && *scale <= 28 => {
                DataType::Decimal128(*precision, *scale)
            }
            other if other.is_integer() => DataType::Int64,
            other => {
                return Err(plan_error(&format!(
                    "argument `amount` is {other}: expected a decimal128 with at most {minor} decimal places (`{}`) or an integer of minor units",
                    self.options.currency
                )))
            }
        };
        Ok(vec![customer, date, amount])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(facts_data_type(self.compiled.minor))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(FactsAccumulator {
            groups: self.groups(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(self.state_fields_of(args.name))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(self.groups()))
    }
}

/// The amounts of a batch, as the rows are read.
enum Amounts<'a> {
    /// A decimal column and its scale.
    Decimal(&'a Decimal128Array, u32),
    /// Integers of minor units.
    Minor(&'a datafusion::arrow::array::Int64Array),
}

/// The dates of a batch.
enum Dates<'a> {
    /// Day numbers.
    Days(&'a Date32Array),
    /// Instants (microseconds since the epoch, UTC).
    Micros(&'a datafusion::arrow::array::TimestampMicrosecondArray),
}

/// Every group's customer (the first row folded) and partial facts.
#[derive(Debug)]
struct FactsGroups {
    compiled: Arc<Compiled>,
    customers: Vec<Option<u64>>,
    partials: Vec<PartialFacts>,
}

impl FactsGroups {
    fn resize(&mut self, groups: usize) {
        if self.customers.len() < groups {
            self.customers.resize(groups, None);
            self.partials.resize(groups, PartialFacts::default());
        }
    }

    fn date(&self, dates: &Dates<'_>, row: usize) -> Option<NaiveDate> {
        match dates {
            Dates::Days(days) => days
                .is_valid(row)
                .then(|| date_of_day(days.value(row)))
                .flatten(),
            Dates::Micros(micros) => micros
                .is_valid(row)
                .then(|| DateTime::from_timestamp_micros(micros.value(row)))
                .flatten()
                .map(|at| {
                    at.with_timezone(&self.compiled.facts.time_zone())
                        .date_naive()
                }),
        }
    }

    /// The row's amount as money, checked for the currency's decimal places.
    fn amount(
        &self,
        amounts: &Amounts<'_>,
        row: usize,
        customer: u64,
        date: NaiveDate,
    ) -> Result<Money> {
        let currency = self.compiled.facts.currency();
        let minor = u32::from(self.compiled.minor);
        let what = |raw: i128| if raw < 0 { "refund" } else { "purchase" };
        let null = || {
            exec_error(&format!(
                "order of customer `{customer}` on {date}: field `amount` is null: expected an amount in `{currency}`"
            ))
        };
        match amounts {
            Amounts::Minor(values) => {
                if !values.is_valid(row) {
                    return Err(null());
                }
                let raw = values.value(row);
                Ok(Money::new(Decimal::new(raw, minor), currency))
            }
            Amounts::Decimal(values, scale) => {
                if !values.is_valid(row) {
                    return Err(null());
                }
                let mut raw = values.value(row);
                let mut scale = *scale;
                if scale > minor {
                    let factor = 10_i128.pow(scale - minor);
                    if raw % factor != 0 {
                        return Err(exec_error(&format!(
                            "{} of customer `{customer}` on {date}: field `amount`: expected at most {minor} decimal places (`{currency}`), found `{}`",
                            what(raw),
                            values.value_as_string(row)
                        )));
                    }
                    raw /= factor;
                    scale = minor;
                }
                let amount = Decimal::try_from_i128_with_scale(raw, scale).map_err(|_| {
                    exec_error(&format!(
                        "{} of customer `{customer}` on {date}: field `amount`: expected at most 28 significant digits, found `{}`",
                        what(raw),
                        values.value_as_string(row)
                    ))
                })?;
                Ok(Money::new(amount, currency))
            }
        }
    }

    /// Notes that `customer`'s row went into `group`, refusing a second customer.
    fn claim(&mut self, group: usize, customer: u64) -> Result<()> {
        match self.customers.get_mut(group) {
            Some(slot @ None) => {
                *slot = Some(customer);
                Ok(())
            }
            Some(Some(known)) if *known == customer => Ok(()),
            Some(Some(known)) => Err(exec_error(&format!(
                "customers `{known}` and `{customer}` in one group: expected one customer per group (`GROUP BY customer_id`)"
            ))),
            None => Err(DataFusionError::Internal(format!(
                "{FACTS_FUNCTION}: group {group} beyond the groups"
            ))),
        }
    }

    fn fold_rows(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let [customers, dates, amounts] = values else {
            return Err(DataFusionError::Internal(format!(
                "{FACTS_FUNCTION}: {} input columns, expected 3",
                values.len()
            )));
        };
        let customers = customers.as_primitive::<UInt64Type>();
        let dates = match dates.data_type() {
            DataType::Date32 => Dates::Days(dates.as_primitive::<Date32Type>()),
            _ => Dates::Micros(dates.as_primitive::<TimestampMicrosecondType>()),
        };
        let amounts = match amounts.data_type() {
            DataType::Decimal128(_, scale) => Amounts::Decimal(
                amounts.as_primitive::<Decimal128Type>(),
                u32::from(*scale as u8),
            ),
            _ => Amounts::Minor(amounts.as_primitive::<Int64Type>()),
        };
        let folder = self.compiled.folder;
        for (row, &group) in group_indices.iter().enumerate() {
            if let Some(filter) = opt_filter {
                if !filter.is_valid(row) || !filter.value(row) {
                    continue;
                }
            }
            let date = self.date(&dates, row);
            if !customers.is_valid(row) {
                let amount = match &amounts {
                    Amounts::Decimal(values, _) if values.is_valid(row) => {
                        values.value_as_string(row)
                    }
                    Amounts::Minor(values) if values.is_valid(row) => values.value(row).to_string(),
                    _ => "null".to_owned(),
                };
                let date = date.map_or_else(|| "no date".to_owned(), |d| d.to_string());
                return Err(exec_error(&format!(
                    "order on {date} of amount `{amount}` has a null `customer_id`: expected a customer on every row"
                )));
            }
            let customer = customers.value(row);
            let Some(date) = date else {
                return Err(exec_error(&format!(
                    "order of customer `{customer}`: field `order_date` is null: expected a date"
                )));
            };
            let amount = self.amount(&amounts, row, customer, date)?;
            let Some(partial) = self.partials.get_mut(group) else {
                return Err(DataFusionError::Internal(format!(
                    "{FACTS_FUNCTION}: group {group} beyond the groups"
                )));
            };
            let folded = folder
                .fold(partial, CustomerId(customer), date, amount)
                .map_err(|e| exec_error(&e.to_string()))?;
            if folded {
                self.claim(group, customer)?;
            }
        }
        Ok(())
    }

    fn merge_states(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let [customer, registered, first, last, purchases, in_window, refunds, cancelled, monetary, refunded] =
            values
        else {
            return Err(DataFusionError::Internal(format!(
                "{FACTS_FUNCTION}: {} state columns, expected 10",
                values.len()
            )));
        };
        let customer = customer.as_primitive::<UInt64Type>();
        let [registered, first, last] =
            [registered, first, last].map(AsArray::as_primitive::<Int32Type>);
        let [purchases, in_window, refunds, cancelled] =
            [purchases, in_window, refunds, cancelled].map(AsArray::as_primitive::<UInt32Type>);
        let [monetary, refunded] =
            [monetary, refunded].map(AsArray::as_primitive::<Decimal128Type>);
        let scale = u32::from(self.compiled.minor);
        for (row, &group) in group_indices.iter().enumerate() {
            if !customer.is_valid(row) {
                continue;
            }
            let id = customer.value(row);
            let day = |days: &Int32Array| days.is_valid(row).then(|| days.value(row));
            let amount = |money: &Decimal128Array| {
                Decimal::try_from_i128_with_scale(money.value(row), scale).map_err(|_| {
                    exec_error(&format!(
                        "customer `{id}`: a partial total `{}` does not fit a decimal of 96 bits",
                        money.value_as_string(row)
                    ))
                })
            };
            let mut parts = OrderParts::default();
            parts.registered_day = day(registered);
            parts.first_purchase_day = day(first);
            parts.last_purchase_day = day(last);
            parts.purchases = purchases.value(row);
            parts.in_window = in_window.value(row);
            parts.refunds = refunds.value(row);
            parts.cancelled = cancelled.value(row);
            parts.monetary = amount(monetary)?;
            parts.refunded = amount(refunded)?;
            self.claim(group, id)?;
            let Some(partial) = self.partials.get_mut(group) else {
                return Err(DataFusionError::Internal(format!(
                    "{FACTS_FUNCTION}: group {group} beyond the groups"
                )));
            };
            partial
                .merge(&PartialFacts::from_order_parts(parts))
                .map_err(|e| exec_error(&format!("customer `{id}`: {e}")))?;
        }
        Ok(())
    }

    /// The state columns of the given groups.
    fn state_arrays(
        &self,
        customers: &[Option<u64>],
        partials: &[PartialFacts],
    ) -> Result<Vec<ArrayRef>> {
        let minor = self.compiled.minor;
        let parts: Vec<OrderParts> = partials.iter().map(PartialFacts::order_parts).collect();
        let days = |f: fn(&OrderParts) -> Option<i32>| -> ArrayRef {
            Arc::new(parts.iter().map(f).collect::<Int32Array>())
        };
        let counts = |f: fn(&OrderParts) -> u32| -> ArrayRef {
            Arc::new(UInt32Array::from_iter_values(parts.iter().map(f)))
        };
        let money = |f: fn(&OrderParts) -> Decimal| -> Result<ArrayRef> {
            let values = parts
                .iter()
                .map(|p| minor_units(f(p), minor).map(Some))
                .collect::<Result<Vec<_>>>()?;
            Ok(Arc::new(
                Decimal128Array::from(values).with_precision_and_scale(38, minor as i8)?,
            ))
        };
        Ok(vec![
            Arc::new(UInt64Array::from(customers.to_vec())),
            days(|p| p.registered_day),
            days(|p| p.first_purchase_day),
            days(|p| p.last_purchase_day),
            counts(|p| p.purchases),
            counts(|p| p.in_window),
            counts(|p| p.refunds),
            counts(|p| p.cancelled),
            money(|p| p.monetary)?,
            money(|p| p.refunded)?,
        ])
    }

    /// The facts structs of the given groups (null for a group without a row).
    fn facts_array(
        &self,
        customers: &[Option<u64>],
        partials: &[PartialFacts],
    ) -> Result<ArrayRef> {
        let mut columns = FactsColumns::with_capacity(customers.len());
        for (customer, partial) in customers.iter().zip(partials) {
            match customer {
                Some(id) => {
                    let facts = self.compiled.folder.facts(CustomerId(*id), partial);
                    columns.push(&facts, self.compiled.minor)?;
                }
                None => columns.push_null(),
            }
        }
        Ok(Arc::new(columns.finish(self.compiled.minor)?))
    }

    fn heap_bytes(&self) -> usize {
        self.customers.capacity() * size_of::<Option<u64>>()
            + self.partials.capacity() * size_of::<PartialFacts>()
    }
}

impl GroupsAccumulator for FactsGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.fold_rows(values, group_indices, opt_filter, total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let customers = emit_to.take_needed(&mut self.customers);
        let partials = emit_to.take_needed(&mut self.partials);
        self.facts_array(&customers, &partials)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let customers = emit_to.take_needed(&mut self.customers);
        let partials = emit_to.take_needed(&mut self.partials);
        self.state_arrays(&customers, &partials)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.merge_states(values, group_indices, total_num_groups)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row its own group.
        let rows = values.first().map_or(0, Array::len);
        let mut each = FactsGroups {
            compiled: Arc::clone(&self.compiled),
            customers: Vec::new(),
            partials: Vec::new(),
        };
        let groups: Vec<usize> = (0..rows).collect();
        each.fold_rows(values, &groups, opt_filter, rows)?;
        each.state_arrays(&each.customers, &each.partials)
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.heap_bytes()
    }
}

/// The plain accumulator (one group): the groups accumulator with a single group.
#[derive(Debug)]
struct FactsAccumulator {
    groups: FactsGroups,
}

impl Accumulator for FactsAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = values.first().map_or(0, Array::len);
        self.groups.fold_rows(values, &vec![0; rows], None, 1)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.groups.resize(1);
        let array = self
            .groups
            .facts_array(&self.groups.customers, &self.groups.partials)?;
        ScalarValue::try_from_array(&array, 0)
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.groups.heap_bytes()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.groups.resize(1);
        self.groups
            .state_arrays(&self.groups.customers, &self.groups.partials)?
            .iter()
            .map(|array| ScalarValue::try_from_array(array, 0))
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let rows = states.first().map_or(0, Array::len);
        self.groups.merge_states(states, &vec![0; rows], 1)
    }
}
