//! Customer and order ids.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A customer's id: an opaque 64-bit number.
///
/// Serialises as a plain number. Ordering by customer id (as the
/// [`FactsTable`](crate::FactsTable) rows are) means ordering by this `u64`.
///
/// # Hosts with string or UUID ids
///
/// The crate keys customers by `u64` so that the population path stays compact and
/// hashes fast. A host whose ids are strings or UUIDs maps them in one of two ways:
///
/// - **Dictionary encoding** (exact): keep a table `external id → u64` in the host,
///   assigned once and stored (a database sequence, or the row number of a sorted
///   id list); map back with the inverse table.
/// - **A stable 64-bit hash** (no table): e.g. the first 8 bytes of a SHA-256 of the
///   id, or the low 64 bits of a UUID's random part. With `n` customers the chance of a
///   collision is about `n² / 2⁶⁵` (≈ 3 × 10⁻⁶ for ten million), so check for
///   collisions once when loading (two external ids with one `u64`) and fall back to
///   the dictionary when one appears.
///
/// # Example
///
/// ```
/// use patronage::CustomerId;
///
/// let id = CustomerId(42);
/// assert_eq!(id.to_string(), "42");
/// assert_eq!(serde_json::to_string(&id)?, "42");
/// assert!(CustomerId(7) < id);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerId(pub u64);

/// An order's id: an opaque 64-bit number, unique across the host's orders.
///
/// Serialises as a plain number; hosts with string ids map them as described for
/// [`CustomerId`].
///
/// # Example
///
/// ```
/// use patronage::OrderId;
///
/// assert_eq!(OrderId(1001).to_string(), "1001");
/// assert_eq!(serde_json::from_str::<OrderId>("1001")?, OrderId(1001));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub u64);

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<u64> for CustomerId {
    fn from(id: u64) -> CustomerId {
        CustomerId(id)
    }
}

impl From<u64> for OrderId {
    fn from(id: u64) -> OrderId {
        OrderId(id)
    }
}
