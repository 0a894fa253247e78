//! The change log (R30): what changed between two versions of a customer record.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::{Consent, Customer, CustomerId, Email, PersonName, Phone};

/// How personal data (name, phone, e-mail) appears in a change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PiiDisplay {
    /// `<redacted>`: the log says the field changed, not from what to what.
    #[default]
    Redacted,
    /// A salted 64-bit FNV-1a hash, `fnv1a:0123456789abcdef`: equal values give equal
    /// hashes, so an auditor can see that a phone went back to an earlier value without
    /// reading it. It is a fingerprint, not encryption: anyone with the salt can test
    /// guesses (phone numbers are few), so keep the salt as secret as the data.
    Hashed {
        /// The salt mixed into every hash.
        salt: u64,
    },
    /// In clear, for a log the host stores under the same protection as the record.
    Clear,
}

/// One changed field: its path, the old and the new value as text (`None` when absent).
///
/// Paths are the serde field names, with map keys after a dot: `email`,
/// `consents.sms`, `attributes.region`, `points.balance`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// The field path.
    pub field: String,
    /// The value before, as text.
    pub old: Option<String>,
    /// The value after, as text.
    pub new: Option<String>,
}

/// A change-log entry (R30): the changes to one customer, when and by whom. The crate
/// computes the changes; the host supplies `at` and `by`, and stores the entry.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{Customer, CustomerId}; use patronage::customer::{ChangeEntry, Phone, PiiDisplay};
///
/// let before = Customer::new(CustomerId(3));
/// let mut after = before.clone();
/// after.phone = Some(Phone::new("+86 138 0000 0000"));
/// after.time_zone = Some(chrono_tz::Asia::Shanghai);
/// let at = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().ok_or("bad date")?;
/// let entry = ChangeEntry::new(&before, &after, PiiDisplay::Redacted, at, "agent-17");
/// assert_eq!(entry.changes.len(), 2);
/// assert_eq!(entry.changes[0].field, "phone");
/// assert_eq!(entry.changes[0].new.as_deref(), Some("<redacted>"));
/// assert_eq!(entry.changes[1].new.as_deref(), Some("Asia/Shanghai"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeEntry {
    /// The customer (the new record's id).
    pub customer: CustomerId,
    /// When the change was made.
    pub at: DateTime<Utc>,
    /// Who made it (a user, a service, an import job).
    pub by: String,
    /// The changed fields, in field order.
    pub changes: Vec<Change>,
}

impl ChangeEntry {
    /// The entry for the changes from `old` to `new`.
    pub fn new(
        old: &Customer,
        new: &Customer,
        pii: PiiDisplay,
        at: DateTime<Utc>,
        by: impl Into<String>,
    ) -> ChangeEntry {
        ChangeEntry {
            customer: new.id,
            at,
            by: by.into(),
            changes: diff(old, new, pii),
        }
    }
}

/// The changed fields between two versions of a customer record, in field order;
/// empty when nothing changed.
///
/// # Example
///
/// ```
/// use patronage::{Customer, CustomerId}; use patronage::customer::AttributeValue; use patronage::customer::{diff, PiiDisplay};
///
/// let before = Customer::new(CustomerId(3));
/// let mut after = before.clone();
/// after.attributes.insert("region".to_owned(), AttributeValue::Text("east".to_owned()));
/// let changes = diff(&before, &after, PiiDisplay::Redacted);
/// assert_eq!(changes[0].field, "attributes.region");
/// assert_eq!((changes[0].old.as_deref(), changes[0].new.as_deref()), (None, Some("east")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn diff(old: &Customer, new: &Customer, pii: PiiDisplay) -> Vec<Change> {
    let mut out = Changes(Vec::new());
    let text = |v: &dyn std::fmt::Display| v.to_string();
    out.push("id".into(), Some(text(&old.id)), Some(text(&new.id)));
    out.push(
        "registered_at".into(),
        old.registered_at.map(|t| t.to_rfc3339()),
        new.registered_at.map(|t| t.to_rfc3339()),
    );
    out.push(
        "source".into(),
        old.source.as_ref().map(|s| text(s)),
        new.source.as_ref().map(|s| text(s)),
    );
    let secret = |v: Option<&str>| v.map(|v| pii.show(v));
    if old.name != new.name {
        out.force(
            "name".into(),
            secret(old.name.as_ref().map(PersonName::expose)),
            secret(new.name.as_ref().map(PersonName::expose)),
        );
    }
    if old.phone != new.phone {
        out.force(
            "phone".into(),
            secret(old.phone.as_ref().map(Phone::expose)),
            secret(new.phone.as_ref().map(Phone::expose)),
        );
    }
    if old.email != new.email {
        out.force(
            "email".into(),
            secret(old.email.as_ref().map(Email::expose)),
            secret(new.email.as_ref().map(Email::expose)),
        );
    }
    let channels: BTreeSet<_> = old.consents.keys().chain(new.consents.keys()).collect();
    for channel in channels {
        out.push(
            format!("consents.{channel}"),
            old.consents.get(channel).map(consent_text),
            new.consents.get(channel).map(consent_text),
        );
    }
    let list = |c: &Customer| {
        (!c.preferred_channels.is_empty()).then(|| {
            c.preferred_channels
                .iter()
                .map(|ch| ch.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    out.push("preferred_channels".into(), list(old), list(new));
    let birthday = |c: &Customer| {
        c.birthday.map(|b| match b.year() {
            Some(y) => format!("{y:04}-{:02}-{:02}", b.month(), b.day()),
            None => format!("--{:02}-{:02}", b.month(), b.day()),
        })
    };
    out.push("birthday".into(), birthday(old), birthday(new));
    out.push(
        "time_zone".into(),
        old.time_zone.map(|tz| tz.name().to_owned()),
        new.time_zone.map(|tz| tz.name().to_owned()),
    );
    out.push(
        "points.balance".into(),
        old.points.as_ref().map(|p| p.balance.to_string()),
        new.points.as_ref().map(|p| p.balance.to_string()),
    );
    let lots = |c: &Customer| {
        c.points
            .as_ref()
            .filter(|p| !p.expiring.is_empty())
            .map(|p| {
                p.expiring
                    .iter()
                    .map(|lot| format!("{} on {}", lot.points, lot.expires_on))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
    };
    out.push("points.expiring".into(), lots(old), lots(new));
    let keys: BTreeSet<_> = old.attributes.keys().chain(new.attributes.keys()).collect();
    for key in keys {
        out.push(
            format!("attributes.{key}"),
            old.attributes.get(key).map(|v| text(v)),
            new.attributes.get(key).map(|v| text(v)),
        );
    }
    out.0
}

/// The changes found so far.
struct Changes(Vec<Change>);

impl Changes {
    /// Records a change when the texts differ.
    fn push(&mut self, field: String, old: Option<String>, new: Option<String>) {
        if old != new {
            self.force(field, old, new);
        }
    }

    /// Records a change whose values are known to differ even if their texts do not
    /// (redacted personal data renders alike).
    fn force(&mut self, field: String, old: Option<String>, new: Option<String>) {
        self.0.push(Change { field, old, new });
    }
}

fn consent_text(consent: &Consent) -> String {
    let state = if consent.allows_contact() {
        "opted_in"
    } else {
        "opted_out"
    };
    match &consent.reason {
        Some(reason) => format!("{state} at {} ({reason})", consent.at.to_rfc3339()),
        None => format!("{state} at {}", consent.at.to_rfc3339()),
    }
}

impl PiiDisplay {
    fn show(self, value: &str) -> String {
        match self {
            PiiDisplay::Redacted => "<redacted>".to_owned(),
            PiiDisplay::Clear => value.to_owned(),
            PiiDisplay::Hashed { salt } => format!("fnv1a:{:016x}", fnv1a(salt, value)),
        }
    }
}

/// FNV-1a over the salt's bytes then the value's.
fn fnv1a(salt: u64, value: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    salt.to_le_bytes()
        .iter()
        .chain(value.as_bytes())
        .fold(OFFSET, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_known_value() {
        // FNV-1a 64 of "a" with no salt bytes is 0xaf63dc4c8601ec8c; with the salt the
        // eight zero bytes come first, so check stability rather than the bare vector.
        assert_eq!(fnv1a(0, "a"), fnv1a(0, "a"));
        assert_ne!(fnv1a(0, "a"), fnv1a(1, "a"));
        let bare = b"a".iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
        assert_eq!(bare, 0xaf63_dc4c_8601_ec8c);
    }
}
