//! Tiers (R8): the reference decision table of SPEC §8.

use crate::rules::TableDoc;
use crate::segment::class::symbol_table;

/// The reference tier names, in SPEC §8 order.
pub const REFERENCE_TIERS: [&str; 8] = [
    "high_value_active",
    "mid_value_active",
    "new",
    "dormant",
    "churned",
    "low_value",
    "potential",
    "registered",
];

/// The reference tier table (SPEC §8, source table [M §2.2]), first match in this
/// order:
///
/// 1. `high_value_active`: `recency_days ≤ 30`, `frequency ≥ 2`, top 20% by spend
///    (`monetary_top_share < 0.20`);
/// 2. `mid_value_active`: `recency_days ≤ 90`, `frequency ≥ 1`, top 50%;
/// 3. `new`: first purchase `≤ 30` days ago;
/// 4. `dormant`: `recency_days > 90` and the stage is not `churned`;
/// 5. `churned`: the stage is `churned`;
/// 6. `low_value`: any other purchaser;
/// 7. `potential` and 8. `registered`: non-purchasers, as their stage.
///
/// # Precedence
///
/// Tiers overlap by definition (a new customer can be recent and frequent, and a
/// high-value customer is also mid-value); first match in this order resolves it, and
/// the deciding row is recorded for every customer so the explanation can name it. The
/// share bounds compare exactly: `greater / purchasers` is a ratio of integers below
/// 2³², and no such ratio lies within a float's rounding of `0.20` or `0.50` without
/// being equal to it.
pub fn reference_tier_table() -> TableDoc {
    symbol_table(
        "tiers",
        "customer tier (SPEC R8, §8)",
        &[
            "recency_days",
            "frequency",
            "monetary_top_share",
            "days_since_first_purchase",
            "stage",
            "is_purchaser",
        ],
        "tier",
        &REFERENCE_TIERS,
        &[
            (
                "high-value active",
                &["<= 30", ">= 2", "< 0.20", "-", "-", "-"],
                None,
                "high_value_active",
            ),
            (
                "mid-value active",
                &["<= 90", ">= 1", "< 0.50", "-", "-", "-"],
                None,
                "mid_value_active",
            ),
            ("new", &["-", "-", "-", "<= 30", "-", "-"], None, "new"),
            (
                "dormant",
                &["> 90", "-", "-", "-", "not(churned)", "-"],
                None,
                "dormant",
            ),
            (
                "churned",
                &["-", "-", "-", "-", "churned", "-"],
                None,
                "churned",
            ),
            (
                "low-value",
                &["-", "-", "-", "-", "-", "true"],
                None,
                "low_value",
            ),
            (
                "potential",
                &["-", "-", "-", "-", "potential", "-"],
                None,
                "potential",
            ),
            (
                "registered",
                &["-", "-", "-", "-", "registered", "-"],
                None,
                "registered",
            ),
        ],
    )
}
