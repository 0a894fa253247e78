//! Playbooks (R14): conditions of the rules language over what the segmentation says of
//! a customer, mapped to actions. This file holds the planner's field schema, the
//! per-customer [`Profile`] it reads and the [`Vocabulary`] of names it is checked
//! against.

use std::collections::BTreeMap;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::CustomerId;
use crate::money::{Currency, Money};
use crate::rules::{Field, FieldId, Fields, Program, RuleError, Schema, SymbolId, ValueRef};
use crate::segment::{
    Dimension, Segmentation, Segmenter, VipDistance, REFERENCE_STAGES, REFERENCE_TIERS,
};

/// What the segmentation says of one customer, as the planner reads it.
///
/// Build the whole list from a [`Segmentation`] with [`Profile::from_segmentation`], or
/// write it directly (scenario files do).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Profile {
    /// The customer.
    pub customer: CustomerId,
    /// The lifecycle stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// The named RFM segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfm_segment: Option<String>,
    /// The VIP level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip_level: Option<String>,
    /// The class per custom class table.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub classes: BTreeMap<String, String>,
    /// Days since the last purchase (none for non-purchasers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recency_days: Option<u32>,
    /// Purchases in the frequency window.
    #[serde(default)]
    pub frequency: u32,
    /// Cumulative net spend, in the vocabulary's currency.
    #[serde(default)]
    pub monetary: Decimal,
    /// How far the customer is from the next VIP level; none at the top level or
    /// without levels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip_distance: Option<VipDistance>,
}

/// The names the planner's conditions may use: the values of each segmentation
/// dimension, the class tables, the currency of `monetary`.
///
/// The planner's fields are `stage`, `tier`, `vip_level` (symbols of these
/// vocabularies), `rfm_segment` (text, as its names have spaces: `rfm_segment ==
/// "Loyal Customers"`; a name outside the vocabulary reads as missing), one symbol field per class table (named as the table),
/// `recency_days` and `frequency` (integers), `monetary` (money in `currency`),
/// `expected_value` (a number: the CLV the host passes), `points` (the points balance),
/// `distance_to_next_level` (a number: spend or points still needed) and
/// `purchases_to_next_level` (an integer: purchases at the customer's average order
/// value), from [`Profile::vip_distance`], and `risk_level` (a symbol: the config's risk levels). A missing value never matches
/// (three-valued logic, see [`Program`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Vocabulary {
    /// Stage names.
    pub stages: Vec<String>,
    /// Tier names.
    pub tiers: Vec<String>,
    /// RFM segment names.
    pub rfm_segments: Vec<String>,
    /// VIP level names.
    pub vip_levels: Vec<String>,
    /// Class names per class table.
    pub classes: BTreeMap<String, Vec<String>>,
    /// The currency of `monetary` and of coupon budgets.
    pub currency: Currency,
}

impl Vocabulary {
    /// The reference names: SPEC §8's stages and tiers, R `rfm`'s segments, the
    /// reference VIP levels and R9's classes, in CNY.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::plan::Vocabulary;
    ///
    /// assert!(Vocabulary::reference().tiers.iter().any(|t| t == "dormant"));
    /// ```
    pub fn reference() -> Vocabulary {
        let owned = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
        let mut classes = BTreeMap::new();
        classes.insert("value".to_owned(), owned(&["high", "medium", "low"]));
        classes.insert(
            "need".to_owned(),
            owned(&["strategic", "special", "ordinary"]),
        );
        classes.insert(
            "cooperation".to_owned(),
            owned(&["potential", "intent", "signed", "churned"]),
        );
        Vocabulary {
            stages: owned(&REFERENCE_STAGES),
            tiers: owned(&REFERENCE_TIERS),
            rfm_segments: owned(&[
                "Champions",
                "Loyal Customers",
                "Potential Loyalist",
                "New Customers",
                "Promising",
                "Need Attention",
                "About To Sleep",
                "At Risk",
                "Can't Lose Them",
                "Hibernating",
                "Lost",
                "Others",
            ]),
            vip_levels: owned(&["silver", "gold", "diamond"]),
            classes,
            currency: Currency::CNY,
        }
    }

    /// The names a segmentation uses: every value of each dimension in table order.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::{Aggregator, Config, Currency};
    /// use patronage::plan::Vocabulary;
    ///
    /// let config = Config::reference();
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("date")?;
    /// let table = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?).into_table();
    /// let (segmenter, _) = config.segmenter(Currency::CNY)?;
    /// let vocabulary = Vocabulary::from_segmentation(&segmenter.run(&table)?);
    /// assert!(vocabulary.tiers.iter().any(|t| t == "churned"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_segmentation(segmentation: &Segmentation) -> Vocabulary {
        let names = |dimension: &Dimension| -> Vec<String> {
            segmentation
                .counts(dimension)
                .into_iter()
                .map(|(name, _)| name.to_owned())
                .collect()
        };
        let classes = segmentation
            .class_tables()
            .map(|table| (table.to_owned(), names(&Dimension::Class(table.to_owned()))))
            .collect();
        Vocabulary {
            stages: names(&Dimension::Stage),
            tiers: names(&Dimension::Tier),
            rfm_segments: names(&Dimension::RfmSegment),
            vip_levels: names(&Dimension::VipLevel),
            classes,
            currency: segmentation.currency(),
        }
    }
}

impl Profile {
    /// A profile with only a customer id (no stage, tier, segment or level; no purchase).
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::CustomerId;
    /// use patronage::plan::Profile;
    ///
    /// let mut profile = Profile::new(CustomerId(7));
    /// profile.tier = Some("dormant".to_owned());
    /// assert_eq!(profile.frequency, 0);
    /// ```
    pub fn new(customer: CustomerId) -> Profile {
        Profile {
            customer,
            stage: None,
            tier: None,
            rfm_segment: None,
            vip_level: None,
            classes: BTreeMap::new(),
            recency_days: None,
            frequency: 0,
            monetary: Decimal::ZERO,
            vip_distance: None,
        }
    }

    /// Every customer's profile, in customer-id order.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::{Aggregator, Config, Currency, CustomerId};
    /// use patronage::plan::Profile;
    ///
    /// let config = Config::reference();
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("date")?;
    /// let mut facts = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
    /// let day = NaiveDate::from_ymd_opt(2024, 6, 1).ok_or("date")?;
    /// facts.add_purchase_on(CustomerId(7), day, "50.00 CNY".parse()?)?;
    /// let (segmenter, _) = config.segmenter(Currency::CNY)?;
    /// let profiles = Profile::from_segmentation(&segmenter.run(&facts.into_table())?);
    /// assert_eq!(profiles[0].tier.as_deref(), Some("churned"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_segmentation(segmentation: &Segmentation) -> Vec<Profile> {
        let tables: Vec<&str> = segmentation.class_tables().collect();
        segmentation
            .iter()
            .map(|row| Profile {
                customer: row.customer,
                stage: row.stage.map(str::to_owned),
                tier: row.tier.map(str::to_owned),
                rfm_segment: row.rfm_segment.map(str::to_owned),
                vip_level: row.vip_level.map(str::to_owned),
                classes: tables
                    .iter()
                    .filter_map(|table| {
                        segmentation
                            .class(row.customer, table)
                            .map(|class| ((*table).to_owned(), class.to_owned()))
                    })
                    .collect(),
                recency_days: row.recency_days,
                frequency: row.frequency,
                monetary: row.monetary,
                vip_distance: None,
            })
            .collect()
    }

    /// Every customer's profile, in customer-id order, with the distance to the next VIP
    /// level computed by the segmenter that made the segmentation.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::{Aggregator, Config, Currency, CustomerId};
    /// use patronage::plan::Profile;
    ///
    /// let config = Config::reference();
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("date")?;
    /// let mut facts = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
    /// let day = NaiveDate::from_ymd_opt(2024, 12, 1).ok_or("date")?;
    /// facts.add_purchase_on(CustomerId(7), day, "900.00 CNY".parse()?)?;
    /// let (segmenter, _) = config.segmenter(Currency::CNY)?;
    /// let segmentation = segmenter.run(&facts.into_table())?;
    /// let profiles = Profile::from_segmenter(&segmenter, &segmentation);
    /// let distance = profiles[0].vip_distance.as_ref().ok_or("a next level")?;
    /// assert_eq!((distance.next_level.as_str(), distance.purchases_at_aov), ("silver", Some(1)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_segmenter(segmenter: &Segmenter, segmentation: &Segmentation) -> Vec<Profile> {
        let mut profiles = Profile::from_segmentation(segmentation);
        for profile in &mut profiles {
            profile.vip_distance = segmenter.vip_distance(segmentation, profile.customer);
        }
        profiles
    }
}

/// The planner's schema and the ids of its fields.
#[derive(Clone, Debug)]
pub(crate) struct PlanSchema {
    pub(crate) schema: Schema,
    stage: FieldId,
    tier: FieldId,
    rfm_segment: FieldId,
    vip_level: FieldId,
    classes: Vec<(String, FieldId)>,
    recency_days: FieldId,
    frequency: FieldId,
    monetary: FieldId,
    expected_value: FieldId,
    points: FieldId,
    risk_level: FieldId,
    distance: FieldId,
    purchases_to_next: FieldId,
    rfm_names: Vec<String>,
    pub(crate) currency: Currency,
}

impl PlanSchema {
    pub(crate) fn new(
        vocabulary: &Vocabulary,
        risk_levels: &[&str],
    ) -> Result<PlanSchema, RuleError> {
        let mut schema = Schema::new();
        let symbols = |name: &str, names: &[String]| {
            Field::symbol(name, names.iter().map(String::as_str)).optional()
        };
        let stage = schema.add(symbols("stage", &vocabulary.stages))?;
        let tier = schema.add(symbols("tier", &vocabulary.tiers))?;
        // RFM segment names have spaces (`Loyal Customers`), so they are text.
        let rfm_segment = schema.add(Field::text("rfm_segment").optional())?;
        let vip_level = schema.add(symbols("vip_level", &vocabulary.vip_levels))?;
        let recency_days = schema.add(Field::integer("recency_days").optional())?;
        let frequency = schema.add(Field::integer("frequency"))?;
        let monetary = schema.add(Field::money("monetary", vocabulary.currency))?;
        let expected_value = schema.add(Field::number("expected_value").optional())?;
        let points = schema.add(Field::integer("points").optional())?;
        let distance = schema.add(Field::number("distance_to_next_level").optional())?;
        let purchases_to_next = schema.add(Field::integer("purchases_to_next_level").optional())?;
        // Without risk levels the field exists (rules may test `risk_level is missing`)
        // but has no symbols to compare with.
        let risk_level = if risk_levels.is_empty() {
            schema.add(Field::text("risk_level").optional())?
        } else {
            schema.add(Field::symbol("risk_level", risk_levels.iter().copied()).optional())?
        };
        let mut classes = Vec::new();
        for (table, names) in &vocabulary.classes {
            classes.push((table.clone(), schema.add(symbols(table, names))?));
        }
        Ok(PlanSchema {
            schema,
            stage,
            tier,
            rfm_segment,
            vip_level,
            classes,
            recency_days,
            frequency,
            monetary,
            expected_value,
            points,
            risk_level,
            distance,
            purchases_to_next,
            rfm_names: vocabulary.rfm_segments.clone(),
            currency: vocabulary.currency,
        })
    }

    fn symbol(&self, field: FieldId, name: Option<&str>) -> Option<SymbolId> {
        let name = name?;
        self.schema
            .vocabulary(field)
            .iter()
            .copied()
            .find(|id| self.schema.symbol_name(*id) == Some(name))
    }

    /// Fills `out` with one customer's values.
    pub(crate) fn fill(
        &self,
        profile: &Profile,
        points: Option<u64>,
        expected_value: Option<f64>,
        risk_level: Option<&str>,
        out: &mut CustomerFields,
    ) {
        out.stage = self.symbol(self.stage, profile.stage.as_deref());
        out.tier = self.symbol(self.tier, profile.tier.as_deref());
        out.rfm_segment = profile
            .rfm_segment
            .as_deref()
            .and_then(|name| out.rfm_names.iter().position(|n| n == name));
        out.vip_level = self.symbol(self.vip_level, profile.vip_level.as_deref());
        out.recency_days = profile.recency_days.map(i64::from);
        out.frequency = i64::from(profile.frequency);
        out.monetary = Money {
            amount: profile.monetary,
            currency: self.currency,
        };
        out.expected_value = expected_value;
        out.points = points.and_then(|p| i64::try_from(p).ok());
        out.risk_level = self.symbol(self.risk_level, risk_level);
        out.distance = profile
            .vip_distance
            .as_ref()
            .and_then(|d| d.amount.to_f64());
        out.purchases_to_next = profile
            .vip_distance
            .as_ref()
            .and_then(|d| d.purchases_at_aov)
            .and_then(|n| i64::try_from(n).ok());
        out.classes.clear();
        for (table, field) in &self.classes {
            let class = profile.classes.get(table).map(String::as_str);
            out.classes.push((*field, self.symbol(*field, class)));
        }
        out.ids = [
            self.stage,
            self.tier,
            self.rfm_segment,
            self.vip_level,
            self.recency_days,
            self.frequency,
            self.monetary,
            self.expected_value,
            self.points,
            self.risk_level,
            self.distance,
            self.purchases_to_next,
        ];
    }
}

/// One customer's field values, reused from customer to customer.
#[derive(Clone, Debug)]
pub(crate) struct CustomerFields {
    ids: [FieldId; 12],
    stage: Option<SymbolId>,
    tier: Option<SymbolId>,
    rfm_segment: Option<usize>,
    rfm_names: Vec<String>,
    vip_level: Option<SymbolId>,
    recency_days: Option<i64>,
    frequency: i64,
    monetary: Money,
    expected_value: Option<f64>,
    points: Option<i64>,
    risk_level: Option<SymbolId>,
    distance: Option<f64>,
    purchases_to_next: Option<i64>,
    classes: Vec<(FieldId, Option<SymbolId>)>,
}

impl CustomerFields {
    pub(crate) fn new(schema: &PlanSchema) -> CustomerFields {
        CustomerFields {
            ids: [schema.stage; 12],
            stage: None,
            tier: None,
            rfm_segment: None,
            rfm_names: schema.rfm_names.clone(),
            vip_level: None,
            recency_days: None,
            frequency: 0,
            monetary: Money {
                amount: Decimal::ZERO,
                currency: schema.currency,
            },
            expected_value: None,
            points: None,
            risk_level: None,
            distance: None,
            purchases_to_next: None,
            classes: Vec::new(),
        }
    }
}

impl Fields for CustomerFields {
    fn value(&self, field: FieldId) -> Option<ValueRef<'_>> {
        let [stage, tier, rfm, vip, recency, frequency, monetary, ev, points, risk, distance, purchases] =
            self.ids;
        if field == stage {
            self.stage.map(ValueRef::Symbol)
        } else if field == tier {
            self.tier.map(ValueRef::Symbol)
        } else if field == rfm {
            self.rfm_segment
                .and_then(|idx| self.rfm_names.get(idx))
                .map(|name| ValueRef::Text(name))
        } else if field == vip {
            self.vip_level.map(ValueRef::Symbol)
        } else if field == recency {
            self.recency_days.map(ValueRef::Integer)
        } else if field == frequency {
            Some(ValueRef::Integer(self.frequency))
        } else if field == monetary {
            Some(ValueRef::Money(self.monetary))
        } else if field == ev {
            self.expected_value.map(ValueRef::Number)
        } else if field == points {
            self.points.map(ValueRef::Integer)
        } else if field == risk {
            self.risk_level.map(ValueRef::Symbol)
        } else if field == distance {
            self.distance.map(ValueRef::Number)
        } else if field == purchases {
            self.purchases_to_next.map(ValueRef::Integer)
        } else {
            self.classes
                .iter()
                .find(|(id, _)| *id == field)
                .and_then(|(_, class)| class.map(ValueRef::Symbol))
        }
    }
}

/// A compiled playbook.
#[derive(Clone, Debug)]
pub(crate) struct Playbook {
    pub(crate) source: usize,
    pub(crate) condition: Program,
    pub(crate) actions: Vec<usize>,
}
