//! Lifecycle stages (R7): the reference decision table of SPEC §8.

use crate::rules::TableDoc;
use crate::segment::class::symbol_table;

/// The reference stage names, in SPEC §8 order.
pub const REFERENCE_STAGES: [&str; 6] = [
    "registered",
    "potential",
    "new",
    "active",
    "dormant",
    "churned",
];

/// The reference lifecycle-stage table (SPEC §8), first match in this order:
///
/// 1. `registered`: no purchase and no browse / favorite / add-to-cart ever;
/// 2. `potential`: no purchase, but some browse / favorite / add-to-cart;
/// 3. `new`: first purchase `≤ 30` days ago;
/// 4. `active`: last purchase `≤ 90` days ago (row 4), or a login in each of the last
///    four 7-day blocks ending at `as_of` (row 5);
/// 5. `dormant`: last purchase `> 90` days ago and not *churned* (row 6);
/// 6. `churned`: last purchase `> 180` days ago and no interaction of any kind in the
///    last 180 days (row 7).
///
/// # Why "the last 180 days" is `days_since_last_interaction ≥ 180`
///
/// SPEC §8 defines a window "the last N days" as the dates `as_of − (N − 1) ..= as_of`,
/// i.e. `days_since ≤ N − 1`. No interaction in the last 180 days is therefore no
/// interaction with `days_since ≤ 179`: the last one is at least 180 days ago, or there
/// is none. "Last purchase `> 180` days ago" is a bound, not a window, and stays
/// `recency_days > 180`.
///
/// # Why *dormant* says "not churned" instead of coming after it
///
/// SPEC §8 lists *dormant* before *churned*; the table keeps that order, so the row
/// that decides a dormant customer is the dormant row, and its condition spells out the
/// exclusion. A company that prefers the shorter form may swap the rows.
pub fn reference_stage_table() -> TableDoc {
    symbol_table(
        "stages",
        "lifecycle stage (SPEC R7, §8)",
        &[
            "is_purchaser",
            "shown_interest",
            "days_since_first_purchase",
            "recency_days",
            "login_weeks",
            "days_since_last_interaction",
        ],
        "stage",
        &REFERENCE_STAGES,
        &[
            ("registered", &["false", "false", "-", "-", "-", "-"], None, "registered"),
            ("potential", &["false", "true", "-", "-", "-", "-"], None, "potential"),
            ("new", &["-", "-", "<= 30", "-", "-", "-"], None, "new"),
            ("active by purchase", &["-", "-", "-", "<= 90", "-", "-"], None, "active"),
            ("active by logins", &["-", "-", "-", "-", ">= 4", "-"], None, "active"),
            (
                "dormant",
                &["-", "-", "-", "> 90", "-", "-"],
                Some("not (recency_days > 180 and coalesce(days_since_last_interaction, 180 days) >= 180 days)"),
                "dormant",
            ),
            ("churned", &["-", "-", "-", "> 180", "-", ">= 180, is missing"], None, "churned"),
        ],
    )
}
