//! VIP levels (R10): ordered levels by cumulative spend or points, with benefits, and the
//! distance to the next level.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{ConfigDiagnostic, ConfigErrorKind};

/// What VIP levels are measured in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VipBasis {
    /// Cumulative net spend (`monetary`), in the facts table's currency.
    #[default]
    Spend,
    /// The loyalty points usable at `as_of`, from the customer records
    /// ([`Facts::points`](crate::Facts::points)); a customer without points on record
    /// has no level.
    Points,
}

/// One VIP level: its name, the minimum (inclusive) to reach it, and its benefits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VipLevelSpec {
    /// The level's name, e.g. `gold`.
    pub name: String,
    /// The spend or points needed, inclusive.
    pub minimum: Decimal,
    /// The benefits the level gives (free shipping, dedicated service…), as keys the
    /// host maps to its own texts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub benefits: Vec<String>,
}

/// VIP levels, lowest first, with strictly ascending minimums.
///
/// # Example
///
/// ```
/// use patronage::segment::{VipConfig, VipDistance};
/// use rust_decimal::Decimal;
///
/// let vip = VipConfig::reference();
/// assert_eq!(vip.level(Decimal::from(6000)).map(|l| vip.levels[l].name.as_str()), Some("gold"));
/// let distance = vip.distance(Decimal::from(4500), Some(Decimal::from(300))).ok_or("top level")?;
/// assert_eq!(distance, VipDistance {
///     next_level: "gold".to_owned(),
///     amount: Decimal::from(500),
///     purchases_at_aov: Some(2),
/// });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VipConfig {
    /// What the minimums are measured in (default spend).
    #[serde(default)]
    pub basis: VipBasis,
    /// The levels, lowest first.
    pub levels: Vec<VipLevelSpec>,
}

/// How far a customer is from the next VIP level ("再购1次可升VIP": one more purchase to
/// VIP).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VipDistance {
    /// The next level's name.
    pub next_level: String,
    /// The spend (or points) still needed, above zero.
    pub amount: Decimal,
    /// For spend: purchases still to make at the customer's average order value,
    /// `⌈amount / AOV⌉`; `None` for points or without a positive AOV.
    pub purchases_at_aov: Option<u64>,
}

impl VipConfig {
    /// Silver, gold and diamond by cumulative spend (1,000 / 5,000 / 20,000), with the
    /// benefits of the maintenance policy [M §3.4]. The figures are defaults to change.
    pub fn reference() -> VipConfig {
        let level = |name: &str, minimum: i64, benefits: &[&str]| VipLevelSpec {
            name: name.to_owned(),
            minimum: Decimal::from(minimum),
            benefits: benefits.iter().map(|b| (*b).to_owned()).collect(),
        };
        VipConfig {
            basis: VipBasis::Spend,
            levels: vec![
                level("silver", 1_000, &["free_shipping", "birthday_gift"]),
                level(
                    "gold",
                    5_000,
                    &[
                        "free_shipping",
                        "birthday_gift",
                        "priority_service",
                        "ship_within_24h",
                    ],
                ),
                level(
                    "diamond",
                    20_000,
                    &[
                        "free_shipping",
                        "birthday_gift",
                        "priority_service",
                        "ship_within_24h",
                        "dedicated_service",
                        "custom_packaging",
                        "event_invitations",
                    ],
                ),
            ],
        }
    }

    /// The index of the highest level whose minimum `value` reaches, if any.
    pub fn level(&self, value: Decimal) -> Option<usize> {
        self.levels
            .partition_point(|level| level.minimum <= value)
            .checked_sub(1)
    }

    /// The level of every value of `values` (as [`VipConfig::level`], `NONE` for
    /// none), written into `out`: each level's minimum is scaled once to every
    /// `Decimal` scale, so a value is compared by its integer mantissa instead of by a
    /// rescaling `Decimal` comparison per level.
    pub(crate) fn levels_of(&self, values: &[Decimal], out: &mut [u8], none: u8) {
        // minimums[scale][level]: the level's minimum at `scale`, exact, or `None`
        // when it has more decimals than `scale` or leaves `i128`.
        let minimums: Vec<Vec<Option<i128>>> = (0..=Decimal::MAX_SCALE)
            .map(|scale| {
                self.levels
                    .iter()
                    .map(|level| {
                        let up = scale.checked_sub(level.minimum.scale())?;
                        10_i128
                            .checked_pow(up)?
                            .checked_mul(level.minimum.mantissa())
                    })
                    .collect()
            })
            .collect();
        for (value, out) in values.iter().zip(out) {
            let at_scale = minimums.get(value.scale() as usize);
            let mantissa = value.mantissa();
            let reached = self
                .levels
                .iter()
                .enumerate()
                .take_while(|(index, level)| {
                    match at_scale.and_then(|row| row.get(*index).copied().flatten()) {
                        Some(minimum) => minimum <= mantissa,
                        None => level.minimum <= *value,
                    }
                })
                .count();
            *out = reached
                .checked_sub(1)
                .and_then(|level| u8::try_from(level).ok())
                .unwrap_or(none);
        }
    }

    /// The distance from `value` to the next level; `None` at the top level (or with no
    /// levels). `aov` turns a spend distance into purchases.
    pub fn distance(&self, value: Decimal, aov: Option<Decimal>) -> Option<VipDistance> {
        let next = self.levels.get(self.level(value).map_or(0, |l| l + 1))?;
        let amount = next.minimum.checked_sub(value)?;
        let purchases_at_aov = match (self.basis, aov) {
            (VipBasis::Spend, Some(aov)) if aov > Decimal::ZERO => amount
                .checked_div(aov)
                .map(|d| d.ceil())
                .and_then(|d| u64::try_from(d).ok()),
            _ => None,
        };
        Some(VipDistance {
            next_level: next.name.clone(),
            amount,
            purchases_at_aov,
        })
    }

    pub(crate) fn check(&self, path: &str, diagnostics: &mut Vec<ConfigDiagnostic>) {
        if self.levels.len() > 254 {
            diagnostics.push(ConfigDiagnostic::error(
                &format!("{path}.levels"),
                ConfigErrorKind::OutOfRange {
                    expected: "at most 254 levels".to_owned(),
                    found: self.levels.len().to_string(),
                },
            ));
        }
        for (idx, level) in self.levels.iter().enumerate() {
            let at = format!("{path}.levels[{idx}]");
            if level.name.trim().is_empty() {
                diagnostics.push(ConfigDiagnostic::error(
                    &format!("{at}.name"),
                    ConfigErrorKind::EmptyName,
                ));
            } else if let Some(first) = self.levels.iter().position(|l| l.name == level.name) {
                if first < idx {
                    diagnostics.push(ConfigDiagnostic::error(
                        &format!("{at}.name"),
                        ConfigErrorKind::DuplicateName {
                            name: level.name.clone(),
                            first: format!("{path}.levels[{first}]"),
                        },
                    ));
                }
            }
            if level.minimum < Decimal::ZERO {
                diagnostics.push(ConfigDiagnostic::error(
                    &format!("{at}.minimum"),
                    ConfigErrorKind::OutOfRange {
                        expected: "a minimum of zero or more".to_owned(),
                        found: level.minimum.to_string(),
                    },
                ));
            }
            if let Some(previous) = idx.checked_sub(1).and_then(|p| self.levels.get(p)) {
                if level.minimum <= previous.minimum {
                    diagnostics.push(ConfigDiagnostic::error(
                        &format!("{at}.minimum"),
                        ConfigErrorKind::NotAscending {
                            previous: previous.minimum.to_string(),
                            found: level.minimum.to_string(),
                        },
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The column path (minimums scaled once, mantissas compared) gives every value
        /// the level the per-value `Decimal` comparison gives: values of any scale and
        /// sign, minimums with more decimals than some values.
        #[test]
        fn levels_of_a_column_equal_level_per_value(
            values in proptest::collection::vec((-3_000_000_i64..3_000_000, 0_u32..6), 0..64),
            minimums in proptest::collection::btree_set((-1_000_000_i64..1_000_000, 0_u32..4), 0..5),
        ) {
            let mut minimums: Vec<Decimal> = minimums.into_iter().map(|(m, s)| Decimal::new(m, s)).collect();
            minimums.sort();
            minimums.dedup();
            let vip = VipConfig {
                basis: VipBasis::Spend,
                levels: minimums
                    .iter()
                    .enumerate()
                    .map(|(i, minimum)| VipLevelSpec { name: format!("l{i}"), minimum: *minimum, benefits: Vec::new() })
                    .collect(),
            };
            let values: Vec<Decimal> = values.into_iter().map(|(m, s)| Decimal::new(m, s)).collect();
            let mut out = vec![0_u8; values.len()];
            vip.levels_of(&values, &mut out, u8::MAX);
            for (value, level) in values.iter().zip(&out) {
                let expected = vip.level(*value).map_or(u8::MAX, |l| u8::try_from(l).unwrap());
                prop_assert_eq!(*level, expected, "value {}", value);
            }
        }
    }

    #[test]
    fn levels_and_distances_at_the_boundaries() {
        let vip = VipConfig::reference();
        assert_eq!(vip.level(Decimal::from(999)), None);
        assert_eq!(vip.level(Decimal::from(1000)), Some(0));
        assert_eq!(vip.level(Decimal::from(20_000)), Some(2));
        assert_eq!(vip.distance(Decimal::from(20_000), None), None);
        let d = vip
            .distance(Decimal::new(99_999, 2), Some(Decimal::ZERO))
            .unwrap();
        assert_eq!(
            (d.next_level.as_str(), d.amount),
            ("silver", Decimal::new(1, 2))
        );
        assert_eq!(d.purchases_at_aov, None);
        let d = vip
            .distance(Decimal::from(4000), Some(Decimal::from(1000)))
            .unwrap();
        assert_eq!(d.purchases_at_aov, Some(1));
        let points = VipConfig {
            basis: VipBasis::Points,
            ..vip
        };
        let d = points
            .distance(Decimal::from(10), Some(Decimal::from(5)))
            .unwrap();
        assert_eq!(d.purchases_at_aov, None);
    }

    #[test]
    fn checks_report_every_problem() {
        let mut vip = VipConfig::reference();
        vip.levels[1].minimum = Decimal::from(-1);
        vip.levels[2].name = "silver".to_owned();
        vip.levels[0].minimum = Decimal::from(-1);
        vip.levels.push(VipLevelSpec {
            name: String::new(),
            minimum: Decimal::from(30_000),
            benefits: vec![],
        });
        let mut diagnostics = Vec::new();
        vip.check("vip", &mut diagnostics);
        let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            vec![
                "vip.levels[0].minimum: expected a minimum of zero or more, found `-1`",
                "vip.levels[1].minimum: expected a minimum of zero or more, found `-1`",
                "vip.levels[1].minimum: expected a value above `-1`, found `-1`",
                "vip.levels[2].name: duplicate name `silver`: first used at `vip.levels[0]`",
                "vip.levels[3].name: expected a name, found an empty one",
            ]
        );
    }
}
