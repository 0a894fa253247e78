//! The fields that stage, tier and class tables read: the facts of a customer and what
//! segmentation adds to them (scores, bands, VIP level, stage, tier), as a rules-engine
//! [`Schema`] and a zero-copy [`Columns`] view over the population.

use crate::customer::InteractionKind;
use crate::facts::{FactsTable, FrequencyBand};
use crate::money::{Currency, Money};
use crate::rules::RuleError;
use crate::rules::{Columns, Field, FieldId, Schema, SymbolId, ValueRef};
use crate::segment::scores::RfmColumns;
use crate::segment::stats::{TopShare, NONE};

/// The names of the fields segmentation tables can read, in schema order.
///
/// Stage tables read the facts, RFM and VIP fields (up to `points`); tier tables also
/// read `stage`; class tables also read `tier`. Days are calendar days to `as_of`;
/// `monetary_band` and `recency_bucket` are 1-based (band 1 is the top 20% by default,
/// bucket 1 is ≤ 30 days); `login_weeks` counts the last four 7-day blocks ending at
/// `as_of` that have a login.
pub const SEGMENT_FIELDS: [&str; 27] = [
    "is_purchaser",
    "shown_interest",
    "recency_days",
    "days_since_first_purchase",
    "days_since_registration",
    "days_since_last_interaction",
    "purchases",
    "frequency",
    "frequency_band",
    "monetary",
    "average_order_value",
    "monetary_top_share",
    "monetary_band",
    "recency_bucket",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
    "login_weeks",
    "refunds",
    "cancelled",
    "complaints",
    "inquiries",
    "vip_level",
    "points",
    "stage",
    "tier",
];

/// Field indices (positions in [`SEGMENT_FIELDS`]).
pub(crate) mod idx {
    pub(crate) const IS_PURCHASER: usize = 0;
    pub(crate) const SHOWN_INTEREST: usize = 1;
    pub(crate) const RECENCY_DAYS: usize = 2;
    pub(crate) const DAYS_SINCE_FIRST_PURCHASE: usize = 3;
    pub(crate) const DAYS_SINCE_REGISTRATION: usize = 4;
    pub(crate) const DAYS_SINCE_LAST_INTERACTION: usize = 5;
    pub(crate) const PURCHASES: usize = 6;
    pub(crate) const FREQUENCY: usize = 7;
    pub(crate) const FREQUENCY_BAND: usize = 8;
    pub(crate) const MONETARY: usize = 9;
    pub(crate) const AVERAGE_ORDER_VALUE: usize = 10;
    pub(crate) const MONETARY_TOP_SHARE: usize = 11;
    pub(crate) const MONETARY_BAND: usize = 12;
    pub(crate) const RECENCY_BUCKET: usize = 13;
    pub(crate) const R_SCORE: usize = 14;
    pub(crate) const F_SCORE: usize = 15;
    pub(crate) const M_SCORE: usize = 16;
    pub(crate) const RFM_SEGMENT: usize = 17;
    pub(crate) const LOGIN_WEEKS: usize = 18;
    pub(crate) const REFUNDS: usize = 19;
    pub(crate) const CANCELLED: usize = 20;
    pub(crate) const COMPLAINTS: usize = 21;
    pub(crate) const INQUIRIES: usize = 22;
    pub(crate) const VIP_LEVEL: usize = 23;
    pub(crate) const POINTS: usize = 24;
    pub(crate) const STAGE: usize = 25;
    pub(crate) const TIER: usize = 26;
}

/// The frequency band symbols, in [`FrequencyBand`] order.
pub(crate) const FREQUENCY_BANDS: [&str; 4] = ["monthly", "quarterly", "yearly", "below"];

/// The vocabularies a schema needs.
pub(crate) struct Vocabularies<'a> {
    pub(crate) vip_levels: &'a [String],
    pub(crate) stages: &'a [String],
    pub(crate) tiers: &'a [String],
    pub(crate) score_bins: [u8; 3],
}

/// The schema with the first `n_fields` of [`SEGMENT_FIELDS`]: `STAGE` for stage tables,
/// `TIER` for tier tables, all of them for class tables.
pub(crate) fn schema(
    currency: Currency,
    vocabularies: &Vocabularies<'_>,
    n_fields: usize,
) -> Result<Schema, RuleError> {
    let [rb, fb, mb] = vocabularies.score_bins.map(i64::from);
    let fields = [
        Field::bool("is_purchaser").doc("at least one purchase ever"),
        Field::bool("shown_interest").doc("any browse, favorite or add-to-cart ever"),
        Field::days("recency_days")
            .optional()
            .doc("days since the last purchase"),
        Field::days("days_since_first_purchase").optional(),
        Field::days("days_since_registration").optional(),
        Field::days("days_since_last_interaction")
            .optional()
            .doc("days since the last interaction of any kind"),
        Field::integer("purchases").doc("purchases over all time"),
        Field::integer("frequency").doc("purchases in the frequency window"),
        Field::symbol("frequency_band", FREQUENCY_BANDS),
        Field::money("monetary", currency).doc("cumulative net spend"),
        Field::money("average_order_value", currency).optional(),
        Field::number("monetary_top_share")
            .optional()
            .doc("share of purchasers with strictly greater spend"),
        Field::integer("monetary_band").optional(),
        Field::integer("recency_bucket").optional(),
        Field::integer("r_score").optional().range(1, rb),
        Field::integer("f_score").optional().range(1, fb),
        Field::integer("m_score").optional().range(1, mb),
        Field::text("rfm_segment").optional(),
        Field::integer("login_weeks")
            .range(0, 4)
            .doc("weeks with a login among the last four"),
        Field::integer("refunds"),
        Field::integer("cancelled"),
        Field::integer("complaints"),
        Field::integer("inquiries"),
        if vocabularies.vip_levels.is_empty() {
            // Without VIP levels the field exists (so a table may test `is missing`) but
            // never has a value.
            Field::text("vip_level").optional()
        } else {
            Field::symbol(
                "vip_level",
                vocabularies.vip_levels.iter().map(String::as_str),
            )
            .optional()
        },
        Field::integer("points").optional(),
        Field::symbol("stage", vocabularies.stages.iter().map(String::as_str)).optional(),
        Field::symbol("tier", vocabularies.tiers.iter().map(String::as_str)).optional(),
    ];
    Schema::from_fields(fields.into_iter().take(n_fields))
}

/// The population seen as columns by the rules engine, without copying.
#[derive(Debug)]
pub(crate) struct SegmentColumns<'a> {
    pub(crate) facts: &'a FactsTable,
    pub(crate) rfm: &'a RfmColumns,
    pub(crate) segment_names: &'a [String],
    pub(crate) vip: &'a [u8],
    pub(crate) stage: &'a [u8],
    pub(crate) tier: &'a [u8],
    /// Symbol ids in the full schema: frequency bands, VIP levels, stages, tiers.
    pub(crate) symbols: &'a SymbolMaps,
}

/// Symbol ids of the names segmentation hands to the rules engine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SymbolMaps {
    pub(crate) frequency_bands: Vec<SymbolId>,
    pub(crate) vip_levels: Vec<SymbolId>,
    pub(crate) stages: Vec<SymbolId>,
    pub(crate) tiers: Vec<SymbolId>,
}

impl SymbolMaps {
    pub(crate) fn new(schema: &Schema, vocabularies: &Vocabularies<'_>) -> SymbolMaps {
        let ids = |names: &mut dyn Iterator<Item = &str>| -> Vec<SymbolId> {
            names
                .map(|name| {
                    schema
                        .symbol(name)
                        .unwrap_or(SymbolId::from_index(u32::MAX))
                })
                .collect()
        };
        SymbolMaps {
            frequency_bands: ids(&mut FREQUENCY_BANDS.iter().copied()),
            vip_levels: ids(&mut vocabularies.vip_levels.iter().map(String::as_str)),
            stages: ids(&mut vocabularies.stages.iter().map(String::as_str)),
            tiers: ids(&mut vocabularies.tiers.iter().map(String::as_str)),
        }
    }
}

/// Writes `read(value)` for each value of `column` in rows `start..start + out.len()`;
/// `false` when the rows run past the column.
#[inline]
fn fill<T, K>(
    out: &mut [Option<K>],
    column: &[T],
    start: usize,
    read: impl Fn(&T) -> Option<K>,
) -> bool {
    let Some(values) = start
        .checked_add(out.len())
        .and_then(|end| column.get(start..end))
    else {
        return false;
    };
    for (slot, value) in out.iter_mut().zip(values) {
        *slot = read(value);
    }
    true
}

/// Writes `read(row)` for each row `start..start + out.len()` of a table of `len`
/// rows (values computed per row rather than read from a column); `false` when the
/// rows run past the table.
#[inline]
fn fill_rows<K>(
    out: &mut [Option<K>],
    len: usize,
    start: usize,
    read: impl Fn(usize) -> Option<K>,
) -> bool {
    if start.checked_add(out.len()).map_or(true, |end| end > len) {
        return false;
    }
    for (offset, slot) in out.iter_mut().enumerate() {
        *slot = read(start + offset);
    }
    true
}

/// The logins among the last four weeks, as `login_weeks`.
#[inline]
fn login_weeks(weeks: &[u32; crate::facts::LOGIN_WEEKS]) -> i64 {
    weeks.iter().map(|n| i64::from(*n > 0)).sum()
}

fn byte(column: &[u8], row: usize) -> Option<u8> {
    column.get(row).copied().filter(|v| *v != NONE)
}

fn symbol(column: &[u8], ids: &[SymbolId], row: usize) -> Option<SymbolId> {
    ids.get(usize::from(byte(column, row)?)).copied()
}

fn days(value: Option<u32>) -> Option<ValueRef<'static>> {
    value.map(|d| ValueRef::Days(i64::from(d)))
}

fn int(value: u32) -> ValueRef<'static> {
    ValueRef::Integer(i64::from(value))
}

impl Columns for SegmentColumns<'_> {
    fn len(&self) -> usize {
        self.facts.len()
    }

    #[inline]
    fn value(&self, field: FieldId, row: usize) -> Option<ValueRef<'_>> {
        let f = self.facts;
        let currency = f.currency();
        match field.index() {
            idx::IS_PURCHASER => Some(ValueRef::Bool(*f.purchases().get(row)? > 0)),
            idx::SHOWN_INTEREST => (row < f.len()).then(|| ValueRef::Bool(f.shown_interest(row))),
            idx::RECENCY_DAYS => days(*f.recency_days().get(row)?),
            idx::DAYS_SINCE_FIRST_PURCHASE => days(f.days_since_first_purchase(row)),
            idx::DAYS_SINCE_REGISTRATION => days(f.days_since_registration(row)),
            idx::DAYS_SINCE_LAST_INTERACTION => days(f.days_since_last_interaction(row)),
            idx::PURCHASES => f.purchases().get(row).map(|v| int(*v)),
            idx::FREQUENCY => f.frequency().get(row).map(|v| int(*v)),
            idx::FREQUENCY_BAND => self
                .symbols
                .frequency_bands
                .get(band_index(*f.frequency_band().get(row)?))
                .map(|id| ValueRef::Symbol(*id)),
            idx::MONETARY => f
                .monetary()
                .get(row)
                .map(|m| ValueRef::Money(Money::new(*m, currency))),
            idx::AVERAGE_ORDER_VALUE => f
                .average_order_value(row)
                .map(|m| ValueRef::Money(Money::new(m, currency))),
            idx::MONETARY_TOP_SHARE => self
                .rfm
                .top_share(row)
                .map(|s| ValueRef::Number(s.as_f64())),
            idx::MONETARY_BAND => {
                byte(&self.rfm.monetary_band, row).map(|b| ValueRef::Integer(i64::from(b) + 1))
            }
            idx::RECENCY_BUCKET => {
                byte(&self.rfm.recency_bucket, row).map(|b| ValueRef::Integer(i64::from(b) + 1))
            }
            idx::R_SCORE => byte(&self.rfm.r_score, row).map(|s| ValueRef::Integer(s.into())),
            idx::F_SCORE => byte(&self.rfm.f_score, row).map(|s| ValueRef::Integer(s.into())),
            idx::M_SCORE => byte(&self.rfm.m_score, row).map(|s| ValueRef::Integer(s.into())),
            idx::RFM_SEGMENT => byte(&self.rfm.segment, row)
                .and_then(|s| self.segment_names.get(usize::from(s)))
                .map(|name| ValueRef::Text(name.as_str())),
            idx::LOGIN_WEEKS => {
                (row < f.len()).then(|| ValueRef::Integer(login_weeks(&f.weekly_logins(row))))
            }
            idx::REFUNDS => f.refunds().get(row).map(|v| int(*v)),
            idx::CANCELLED => f.cancelled().get(row).map(|v| int(*v)),
            idx::COMPLAINTS => {
                (row < f.len()).then(|| int(f.interaction_count(InteractionKind::Complaint, row)))
            }
            idx::INQUIRIES => {
                (row < f.len()).then(|| int(f.interaction_count(InteractionKind::Inquiry, row)))
            }
            idx::VIP_LEVEL => symbol(self.vip, &self.symbols.vip_levels, row).map(ValueRef::Symbol),
            idx::POINTS => self
                .facts
                .points(row)
                // A balance beyond `i64::MAX` points cannot be compared by the rules
                // engine's integers; no loyalty programme comes near it.
                .and_then(|p| i64::try_from(p).ok())
                .map(ValueRef::Integer),
            idx::STAGE => symbol(self.stage, &self.symbols.stages, row).map(ValueRef::Symbol),
            idx::TIER => symbol(self.tier, &self.symbols.tiers, row).map(ValueRef::Symbol),
            _ => None,
        }
    }

    fn read_integers(&self, field: FieldId, start: usize, out: &mut [Option<i64>]) -> bool {
        let f = self.facts;
        let days = |d: &Option<u32>| d.map(i64::from);
        let count = |n: &u32| Some(i64::from(*n));
        let score = |b: &u8| (*b != NONE).then(|| i64::from(*b));
        let rank = |b: &u8| (*b != NONE).then(|| i64::from(*b) + 1);
        match field.index() {
            idx::RECENCY_DAYS => fill(out, f.recency_days(), start, days),
            idx::DAYS_SINCE_FIRST_PURCHASE => fill_rows(out, f.len(), start, |row| {
                f.days_since_first_purchase(row).map(i64::from)
            }),
            idx::DAYS_SINCE_REGISTRATION => fill_rows(out, f.len(), start, |row| {
                f.days_since_registration(row).map(i64::from)
            }),
            idx::DAYS_SINCE_LAST_INTERACTION => fill_rows(out, f.len(), start, |row| {
                f.days_since_last_interaction(row).map(i64::from)
            }),
            idx::PURCHASES => fill(out, f.purchases(), start, count),
            idx::FREQUENCY => fill(out, f.frequency(), start, count),
            idx::MONETARY_BAND => fill(out, &self.rfm.monetary_band, start, rank),
            idx::RECENCY_BUCKET => fill(out, &self.rfm.recency_bucket, start, rank),
            idx::R_SCORE => fill(out, &self.rfm.r_score, start, score),
            idx::F_SCORE => fill(out, &self.rfm.f_score, start, score),
            idx::M_SCORE => fill(out, &self.rfm.m_score, start, score),
            idx::LOGIN_WEEKS => fill_rows(out, f.len(), start, |row| {
                Some(login_weeks(&f.weekly_logins(row)))
            }),
            idx::REFUNDS => fill(out, f.refunds(), start, count),
            idx::CANCELLED => fill(out, f.cancelled(), start, count),
            idx::COMPLAINTS => fill_rows(out, f.len(), start, |row| {
                Some(i64::from(
                    f.interaction_count(InteractionKind::Complaint, row),
                ))
            }),
            idx::INQUIRIES => fill_rows(out, f.len(), start, |row| {
                Some(i64::from(
                    f.interaction_count(InteractionKind::Inquiry, row),
                ))
            }),
            idx::POINTS => fill_rows(out, f.len(), start, |row| {
                f.points(row).and_then(|p| i64::try_from(p).ok())
            }),
            _ => false,
        }
    }

    fn read_numbers(&self, field: FieldId, start: usize, out: &mut [Option<f64>]) -> bool {
        match field.index() {
            idx::MONETARY_TOP_SHARE => fill_rows(out, self.rfm.m_score.len(), start, |row| {
                self.rfm.top_share(row).map(TopShare::as_f64)
            }),
            _ => false,
        }
    }

    fn read_symbols(&self, field: FieldId, start: usize, out: &mut [Option<SymbolId>]) -> bool {
        let by_byte = |ids: &[SymbolId], b: u8| {
            if b == NONE {
                None
            } else {
                ids.get(usize::from(b)).copied()
            }
        };
        match field.index() {
            idx::FREQUENCY_BAND => {
                let bands = &self.symbols.frequency_bands;
                fill(out, self.facts.frequency_band(), start, |band| {
                    bands.get(band_index(*band)).copied()
                })
            }
            idx::VIP_LEVEL => fill(out, self.vip, start, |b| {
                by_byte(&self.symbols.vip_levels, *b)
            }),
            idx::STAGE => fill(out, self.stage, start, |b| {
                by_byte(&self.symbols.stages, *b)
            }),
            idx::TIER => fill(out, self.tier, start, |b| by_byte(&self.symbols.tiers, *b)),
            _ => false,
        }
    }

    fn read_bools(&self, field: FieldId, start: usize, out: &mut [Option<bool>]) -> bool {
        match field.index() {
            idx::IS_PURCHASER => fill(out, self.facts.purchases(), start, |n| Some(*n > 0)),
            idx::SHOWN_INTEREST => fill_rows(out, self.facts.len(), start, |row| {
                Some(self.facts.shown_interest(row))
            }),
            _ => false,
        }
    }
}

/// The position of a frequency band in [`FREQUENCY_BANDS`].
fn band_index(band: FrequencyBand) -> usize {
    match band {
        FrequencyBand::Monthly => 0,
        FrequencyBand::Quarterly => 1,
        FrequencyBand::Yearly => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    use super::*;
    use crate::customer::{CustomerId, Interaction};
    use crate::facts::Aggregator;
    use crate::segment::scores::Thresholds;

    /// The typed block readers give what `value` gives, row by row, for every field
    /// and every block position, and cover the fields the reference tables read.
    #[test]
    fn block_readers_agree_with_value() {
        let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        let options = crate::Config::reference()
            .facts_options_on(as_of, Currency::CNY)
            .unwrap();
        let mut aggregator = Aggregator::new(options);
        for id in 0..40_u64 {
            let customer = CustomerId(id);
            let day = as_of - chrono::Duration::days((id * 37 % 400) as i64);
            if id % 5 != 0 {
                for k in 0..=id % 3 {
                    let amount = Money::new(Decimal::new((id * 731 + k) as i64, 2), Currency::CNY);
                    aggregator
                        .add_purchase_on(customer, day - chrono::Duration::days(k as i64), amount)
                        .unwrap();
                }
            }
            if id % 3 == 0 {
                let kinds = [
                    InteractionKind::Login,
                    InteractionKind::Browse,
                    InteractionKind::Complaint,
                    InteractionKind::Inquiry,
                ];
                let kind = kinds[(id % 4) as usize];
                let at = (day - chrono::Duration::days(3))
                    .and_hms_opt(9, 0, 0)
                    .unwrap()
                    .and_utc();
                aggregator.add_interaction(&Interaction::new(customer, kind, at));
            }
        }
        let facts = aggregator.into_table();
        let n = facts.len();
        let byte = |i: usize, modulo: usize| if i % 7 == 3 { NONE } else { (i % modulo) as u8 };
        let rfm = RfmColumns {
            greater: (0..n).map(|i| (i % 9) as u32).collect(),
            purchasers: 9,
            r_score: (0..n)
                .map(|i| byte(i, 5) + u8::from(byte(i, 5) != NONE))
                .collect(),
            f_score: (0..n).map(|i| byte(i + 1, 5)).collect(),
            m_score: (0..n).map(|i| byte(i + 2, 5)).collect(),
            segment: (0..n).map(|i| byte(i, 2)).collect(),
            recency_bucket: (0..n).map(|i| byte(i + 4, 4)).collect(),
            monetary_band: (0..n).map(|i| byte(i + 5, 3)).collect(),
            thresholds: Thresholds::default(),
        };
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let (vip_levels, stages, tiers) = (
            names(&["silver", "gold"]),
            names(&["new", "active", "dormant"]),
            names(&["high", "low"]),
        );
        let vocabularies = Vocabularies {
            vip_levels: &vip_levels,
            stages: &stages,
            tiers: &tiers,
            score_bins: [5, 5, 5],
        };
        let schema = schema(Currency::CNY, &vocabularies, SEGMENT_FIELDS.len()).unwrap();
        let symbols = SymbolMaps::new(&schema, &vocabularies);
        let segment_names = names(&["champions", "others"]);
        let vip: Vec<u8> = (0..n).map(|i| byte(i, 2)).collect();
        let stage: Vec<u8> = (0..n).map(|i| byte(i + 1, 3)).collect();
        let tier: Vec<u8> = (0..n).map(|i| byte(i + 2, 2)).collect();
        let columns = SegmentColumns {
            facts: &facts,
            rfm: &rfm,
            segment_names: &segment_names,
            vip: &vip,
            stage: &stage,
            tier: &tier,
            symbols: &symbols,
        };
        let mut covered = Vec::new();
        for (index, name) in SEGMENT_FIELDS.iter().enumerate() {
            let field = FieldId::from_index(index).unwrap();
            for (start, len) in [(0, n), (3, 10), (n - 1, 1), (n - 2, 5)] {
                let expected: Vec<Option<ValueRef<'_>>> = (start..start + len)
                    .map(|row| {
                        if row < n {
                            columns.value(field, row)
                        } else {
                            None
                        }
                    })
                    .collect();
                let mut integers = vec![Some(-1); len];
                if columns.read_integers(field, start, &mut integers) {
                    covered.push(index);
                    let got: Vec<Option<i64>> = expected
                        .iter()
                        .map(|v| {
                            v.map(|v| match v {
                                ValueRef::Integer(i) | ValueRef::Days(i) => i,
                                other => panic!("{index}: {other:?}"),
                            })
                        })
                        .collect();
                    assert_eq!(integers, got, "{name}");
                }
                let mut numbers = vec![Some(-1.0); len];
                if columns.read_numbers(field, start, &mut numbers) {
                    covered.push(index);
                    let got: Vec<Option<f64>> = expected
                        .iter()
                        .map(|v| {
                            v.map(|v| match v {
                                ValueRef::Number(x) => x,
                                other => panic!("{index}: {other:?}"),
                            })
                        })
                        .collect();
                    assert_eq!(numbers, got, "{name}");
                }
                let mut ids = vec![Some(SymbolId::from_index(999)); len];
                if columns.read_symbols(field, start, &mut ids) {
                    covered.push(index);
                    let got: Vec<Option<SymbolId>> = expected
                        .iter()
                        .map(|v| {
                            v.map(|v| match v {
                                ValueRef::Symbol(s) => s,
                                other => panic!("{index}: {other:?}"),
                            })
                        })
                        .collect();
                    assert_eq!(ids, got, "{name}");
                }
                let mut flags = vec![None; len];
                if columns.read_bools(field, start, &mut flags) {
                    covered.push(index);
                    let got: Vec<Option<bool>> = expected
                        .iter()
                        .map(|v| {
                            v.map(|v| match v {
                                ValueRef::Bool(b) => b,
                                other => panic!("{index}: {other:?}"),
                            })
                        })
                        .collect();
                    assert_eq!(flags, got, "{name}");
                }
            }
        }
        covered.sort_unstable();
        covered.dedup();
        let covered: Vec<&str> = covered.iter().map(|i| SEGMENT_FIELDS[*i]).collect();
        // Money and text fields are read row by row; everything else has a reader.
        let unread: Vec<&str> = SEGMENT_FIELDS
            .iter()
            .copied()
            .filter(|f| !covered.contains(f))
            .collect();
        assert_eq!(
            unread,
            ["monetary", "average_order_value", "rfm_segment"],
            "{covered:?}"
        );
    }
}
