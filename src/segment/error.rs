//! Errors of the segmentation engine ([`SegmentError`]).

use std::fmt;
/// A segmentation that cannot be computed: an invalid score setting, columns of
/// different lengths, or money that overflows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct SegmentError {
    kind: SegmentErrorKind,
}

/// What went wrong in a segmentation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SegmentErrorKind {
    /// A number of score bins outside `2..=100`.
    #[error("invalid number of score bins `{bins}`: expected a number from 2 to 100")]
    InvalidBins {
        /// The number as given.
        bins: u32,
    },
    /// User-given cut points that are not strictly ascending.
    #[error("cut point {index} is `{found}` but the one before it is `{previous}`: expected strictly ascending cut points")]
    CutPointsNotAscending {
        /// 0-based position of the offending cut point.
        index: usize,
        /// The cut point before it.
        previous: String,
        /// The offending cut point.
        found: String,
    },
    /// A cut-point list with no cut point, or more than 99.
    #[error(
        "{found} cut points given: expected from 1 to 99 (one fewer than the number of scores)"
    )]
    CutPointCount {
        /// How many were given.
        found: usize,
    },
    /// Two columns of one population with different lengths.
    #[error("column `{column}` has {found} rows: expected {expected}, the population size")]
    LengthMismatch {
        /// The column's name.
        column: &'static str,
        /// The population size.
        expected: usize,
        /// The column's length.
        found: usize,
    },
    /// A population larger than the engine indexes (`u32` rows).
    #[error("population of {found} customers: expected at most 4294967295 per segmentation (split it into shards)")]
    TooManyCustomers {
        /// The population size.
        found: usize,
    },
    /// Exact money arithmetic overflowed.
    #[error("`{operation}` overflows: amounts must stay within ±79228162514264337593543950335")]
    Overflow {
        /// The operation that overflowed.
        operation: String,
    },
    /// A facts table in another currency than the segmenter's.
    #[error("facts in `{found}`: expected amounts in `{expected}`, the currency the config was compiled for")]
    CurrencyMismatch {
        /// The segmenter's currency.
        expected: String,
        /// The table's currency.
        found: String,
    },
    /// A facts table folded under another facts policy (zone, window or bands) than the
    /// config the segmenter was compiled from.
    #[error("facts folded with `{found}`: expected the config's facts section `{expected}`; fold the facts with `Config::facts_options_on` (or `FactsConfig::options_on`) of the same config")]
    FactsPolicyMismatch {
        /// The config's section, described.
        expected: String,
        /// The table's, described.
        found: String,
    },
    /// A facts table and a segmentation that do not belong together: the table is not
    /// the one the segmentation was computed from.
    #[error("the facts table does not belong to this segmentation: {reason}; pass the table the segmentation was computed from")]
    NotTheSegmentedTable {
        /// What differs.
        reason: String,
    },
    /// Population statistics of facts folded for another day, currency or policy than
    /// the shard (or the other statistics) they are used with.
    #[error("cannot combine statistics of facts folded with `{expected}` and facts folded with `{found}`: expected every shard of a base folded with the same options")]
    StatsMismatch {
        /// The options the statistics were computed with, described.
        expected: String,
        /// The other options, described.
        found: String,
    },
    /// A customer that is not in the segmentation.
    #[error("customer `{customer}` is not in the segmentation")]
    UnknownCustomer {
        /// The customer.
        customer: crate::customer::CustomerId,
    },
    /// Rank scores asked of one shard of a base.
    #[error("rank scores need the whole population in one segmentation: expected quantile scores or fixed cut points for a shard")]
    RankNeedsWholePopulation,
    /// A purchaser of a shard without a rank, or with one outside `1..=purchasers`, in
    /// the ranks given to [`Segmenter::run_shard_ranked`](crate::Segmenter::run_shard_ranked).
    #[error("customer `{customer}` has {found} by {dimension}: expected a rank from 1 to {purchasers}, the base's purchasers (rank every purchaser of the whole base, e.g. with `row_number()`)")]
    RankOutOfRange {
        /// The customer.
        customer: crate::customer::CustomerId,
        /// `recency`, `frequency` or `monetary`.
        dimension: &'static str,
        /// `no rank`, or `rank N`.
        found: String,
        /// The base's number of purchasers.
        purchasers: u64,
    },
    /// A quantile sketch capacity outside `8..=1_048_576`.
    #[error("invalid sketch capacity `{capacity}`: expected from 8 to 1048576 items per level")]
    InvalidSketchCapacity {
        /// The capacity as given.
        capacity: u32,
    },
    /// Two quantile sketches of different capacities merged.
    #[error("cannot merge a quantile sketch of capacity {found} into one of capacity {expected}: expected sketches of one capacity")]
    SketchCapacityMismatch {
        /// The capacity of the sketch merged into.
        expected: u32,
        /// The capacity of the other sketch.
        found: u32,
    },
    /// A quantile sketch read back whose levels do not add up.
    #[error("invalid quantile sketch: {reason}")]
    InvalidSketch {
        /// What does not add up.
        reason: String,
    },
    /// Exact and approximate population statistics (or sketches of two capacities)
    /// merged.
    #[error("cannot combine {expected} statistics with {found} statistics: expected every shard summarised the same way (`PopulationStats::of`, or `PopulationStats::approximate` with one capacity)")]
    StatsMethodMismatch {
        /// How the statistics merged into were computed.
        expected: String,
        /// How the other statistics were computed.
        found: String,
    },
    /// Two segmentations that cannot be compared.
    #[error("cannot compare segmentations: {reason}")]
    Incomparable {
        /// Why, e.g. the two use different tier names.
        reason: String,
    },
}

impl SegmentError {
    pub(crate) fn new(kind: SegmentErrorKind) -> SegmentError {
        SegmentError { kind }
    }

    pub(crate) fn overflow(operation: impl fmt::Display) -> SegmentError {
        SegmentError::new(SegmentErrorKind::Overflow {
            operation: operation.to_string(),
        })
    }

    /// What went wrong.
    pub fn kind(&self) -> &SegmentErrorKind {
        &self.kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_of_an_error_hard_to_reach_from_input() {
        let too_many = SegmentError::new(SegmentErrorKind::TooManyCustomers {
            found: 5_000_000_000,
        });
        assert_eq!(
            too_many.to_string(),
            "population of 5000000000 customers: expected at most 4294967295 per segmentation (split it into shards)"
        );
        assert!(matches!(
            too_many.kind(),
            SegmentErrorKind::TooManyCustomers { .. }
        ));
    }
}
