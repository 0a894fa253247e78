//! Transitions (R12): who moved between two segmentations, from where to where.

use serde::{Deserialize, Serialize};

use crate::customer::CustomerId;
use crate::segment::segmentation::{Dimension, Segmentation};
use crate::segment::{SegmentError, SegmentErrorKind};

/// One (from, to) cell of a transition matrix: how many customers, and who.
///
/// `None` on either side means "not in that segmentation" (a customer who appeared or
/// left) or "no value" (a non-purchaser has no RFM segment). Customers are listed for
/// moves only; staying cells keep the count alone, so the matrix of a large base stays
/// small.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The value before.
    pub from: Option<String>,
    /// The value after.
    pub to: Option<String>,
    /// How many customers made this move (or stayed).
    pub count: u64,
    /// Who moved, ascending; empty when `from == to`.
    pub customers: Vec<CustomerId>,
    /// For VIP levels: `Some(true)` for an upgrade, `Some(false)` for a downgrade, where
    /// no level ranks below every level (reaching the first level is an upgrade);
    /// `None` for other dimensions and for staying.
    pub upgrade: Option<bool>,
}

/// The transition matrix of one dimension between two segmentations.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::{Aggregator, Config, Currency, CustomerId, Dimension, Segmenter}; use patronage::segment::transitions;
///
/// let config = Config::reference();
/// let (segmenter, _) = config.segmenter(Currency::CNY)?;
/// let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or("bad date");
/// let run = |as_of| -> Result<_, Box<dyn std::error::Error>> {
///     let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
///     agg.add_purchase_on(CustomerId(7), day(2024, 6, 1)?, "50.00 CNY".parse()?)?;
///     Ok(segmenter.run(&agg.into_table())?)
/// };
/// let before = run(day(2024, 6, 20)?)?;
/// let after = run(day(2024, 9, 20)?)?;
/// let moves = transitions(&before, &after, &Dimension::Stage)?;
/// let moved: Vec<_> = moves.moves().collect();
/// assert_eq!(moved.len(), 1);
/// assert_eq!((moved[0].from.as_deref(), moved[0].to.as_deref()), (Some("new"), Some("dormant")));
/// assert_eq!(moved[0].customers, vec![CustomerId(7)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transitions {
    /// The dimension compared.
    pub dimension: Dimension,
    /// Every non-empty (from, to) cell, ordered by `from` then `to` in table order
    /// (values absent from the tables last).
    pub cells: Vec<Transition>,
}

impl Transitions {
    /// The cells where customers changed value.
    pub fn moves(&self) -> impl Iterator<Item = &Transition> + '_ {
        self.cells.iter().filter(|c| c.from != c.to)
    }

    /// How many customers went from `from` to `to`.
    pub fn count(&self, from: Option<&str>, to: Option<&str>) -> u64 {
        self.cells
            .iter()
            .find(|c| c.from.as_deref() == from && c.to.as_deref() == to)
            .map_or(0, |c| c.count)
    }
}

/// A customer's (from rank, to rank, from, to, id), sorted into cells.
type Pair<'a> = (usize, usize, Option<&'a str>, Option<&'a str>, CustomerId);

/// Compares two segmentations (yesterday's and today's, say) along one dimension: the
/// count of every (from, to) pair and the customers who moved.
///
/// Customers are matched by id; one present in only one segmentation moves from or to
/// `None`.
///
/// # Errors
///
/// [`SegmentErrorKind::Incomparable`] when the dimension is a class table missing from
/// either segmentation.
pub fn transitions(
    before: &Segmentation,
    after: &Segmentation,
    dimension: &Dimension,
) -> Result<Transitions, SegmentError> {
    if let Dimension::Class(table) = dimension {
        for (side, segmentation) in [("before", before), ("after", after)] {
            if !segmentation.class_tables().any(|t| t == table) {
                return Err(SegmentError::new(SegmentErrorKind::Incomparable {
                    reason: format!("the {side} segmentation has no class table `{table}`"),
                }));
            }
        }
    }
    let order: Vec<String> = {
        let mut names: Vec<String> = before
            .counts(dimension)
            .into_iter()
            .map(|(n, _)| n.to_owned())
            .collect();
        for (name, _) in after.counts(dimension) {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        names
    };
    let rank = |name: Option<&str>| -> usize {
        name.and_then(|n| order.iter().position(|o| o == n))
            .unwrap_or(order.len())
    };
    let mut pairs: Vec<Pair<'_>> = Vec::new();
    let (before_ids, after_ids) = (before.customer_ids(), after.customer_ids());
    let (mut before_row, mut after_row) = (0usize, 0usize);
    loop {
        let (customer, from, to) = match (before_ids.get(before_row), after_ids.get(after_row)) {
            (None, None) => break,
            (Some(old), Some(new)) if old == new => {
                let values = (
                    *old,
                    before.value_of(dimension, before_row),
                    after.value_of(dimension, after_row),
                );
                before_row += 1;
                after_row += 1;
                values
            }
            (Some(old), Some(new)) if old < new => {
                before_row += 1;
                (*old, before.value_of(dimension, before_row - 1), None)
            }
            (Some(old), None) => {
                before_row += 1;
                (*old, before.value_of(dimension, before_row - 1), None)
            }
            (_, Some(new)) => {
                after_row += 1;
                (*new, None, after.value_of(dimension, after_row - 1))
            }
        };
        pairs.push((rank(from), rank(to), from, to, customer));
    }
    pairs.sort_unstable_by_key(|p| (p.0, p.1, p.2.is_none(), p.3.is_none(), p.4));
    let mut cells: Vec<Transition> = Vec::new();
    for (from_rank, to_rank, from, to, customer) in pairs {
        let same_cell = cells
            .last()
            .is_some_and(|c| c.from.as_deref() == from && c.to.as_deref() == to);
        if !same_cell {
            let upgrade = match (dimension, from, to) {
                (Dimension::VipLevel, Some(_), Some(_)) if from_rank != to_rank => {
                    Some(to_rank > from_rank)
                }
                (Dimension::VipLevel, None, Some(_)) => Some(true),
                (Dimension::VipLevel, Some(_), None) => Some(false),
                _ => None,
            };
            cells.push(Transition {
                from: from.map(str::to_owned),
                to: to.map(str::to_owned),
                count: 0,
                customers: Vec::new(),
                upgrade,
            });
        }
        if let Some(cell) = cells.last_mut() {
            cell.count += 1;
            if from != to {
                cell.customers.push(customer);
            }
        }
    }
    Ok(Transitions {
        dimension: dimension.clone(),
        cells,
    })
}
