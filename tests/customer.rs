//! Integration tests: customer records (serde shapes, redaction, checks).

use chrono::{DateTime, TimeZone, Utc};
use patronage::customer::Birthday;
use patronage::customer::{Email, PersonName, Phone};
use patronage::{Channel, Consent, Customer, CustomerId, Order, OrderId, OrderStatus};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 30, 0).unwrap()
}

fn full_customer() -> Customer {
    let mut c = Customer::new(CustomerId(42));
    c.registered_at = Some(at(2023, 3, 1));
    c.source = Some(patronage::customer::Source::Marketplace("JD".to_owned()));
    c.name = Some(PersonName::new("李四"));
    c.phone = Some(Phone::new("+86 139 1234 5678"));
    c.email = Some(Email::new("lisi@example.com"));
    c.consents
        .insert(Channel::Sms, Consent::opted_in(at(2023, 3, 1)));
    c.consents.insert(
        Channel::Email,
        Consent::opted_out(at(2023, 4, 1), Some("unsubscribe link".to_owned())),
    );
    c.preferred_channels = vec![Channel::WeChat, Channel::Sms];
    c.birthday = Some(Birthday::try_new(2, 29, Some(1996)).unwrap());
    c.set_time_zone("Asia/Shanghai").unwrap();
    c
}

#[test]
fn personal_data_never_prints() {
    let c = full_customer();
    let debug = format!("{c:?}");
    for secret in ["李四", "139 1234", "lisi@example.com"] {
        assert!(!debug.contains(secret), "{secret} leaked: {debug}");
    }
    assert!(debug.contains("Email(<redacted>)"));
}

#[test]
fn customer_serde_round_trip() {
    let c = full_customer();
    let json = serde_json::to_string(&c).unwrap();
    assert!(json.contains(r#""time_zone":"Asia/Shanghai""#), "{json}");
    assert!(
        json.contains(r#""birthday":{"month":2,"day":29,"year":1996}"#),
        "{json}"
    );
    let back: Customer = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
}

#[test]
fn order_serde_shape() {
    let order = Order::new(
        OrderId(5),
        CustomerId(42),
        at(2024, 1, 2),
        "12.50 CNY".parse().unwrap(),
        OrderStatus::Paid,
    );
    let json = serde_json::to_string(&order).unwrap();
    assert_eq!(
        json,
        r#"{"id":5,"customer":42,"placed_at":"2024-01-02T09:30:00Z","amount":{"amount":"12.50","currency":"CNY"},"status":"paid"}"#
    );
}

// ---- validation (R5), data-driven ----------------------------------------------

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidationCases {
    case: Vec<ValidationCase>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidationCase {
    name: String,
    records: patronage::Records,
    accepted: Counts,
    rejects: Vec<String>,
}

#[derive(serde::Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct Counts {
    customers: usize,
    orders: usize,
    refunds: usize,
    interactions: usize,
}

fn check_validation(case: &ValidationCase) {
    use patronage::{ValidationMode, Validator};
    let report = Validator::validate(case.records.clone(), ValidationMode::Lenient).unwrap();
    let messages: Vec<String> = report.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(messages, case.rejects, "{}", case.name);
    let accepted = Counts {
        customers: report.accepted.customers.len(),
        orders: report.accepted.orders.len(),
        refunds: report.accepted.refunds.len(),
        interactions: report.accepted.interactions.len(),
    };
    assert_eq!(accepted, case.accepted, "{}", case.name);
    // Nothing is dropped: every record is accepted or rejected.
    let total = case.records.customers.len()
        + case.records.orders.len()
        + case.records.refunds.len()
        + case.records.interactions.len();
    assert_eq!(
        accepted.customers
            + accepted.orders
            + accepted.refunds
            + accepted.interactions
            + report.rejected.len(),
        total,
        "{}",
        case.name
    );
    assert_eq!(report.is_clean(), case.rejects.is_empty());
    let rejects = report.rejects();
    for (reject, message) in rejects.iter().zip(&case.rejects) {
        assert_eq!(&reject.message, message);
    }
    let json = serde_json::to_string(&rejects).unwrap();
    assert_eq!(
        serde_json::from_str::<Vec<patronage::customer::Reject>>(&json).unwrap(),
        rejects
    );
    match Validator::validate(case.records.clone(), ValidationMode::Strict) {
        Ok(strict) => assert!(case.rejects.is_empty() && strict.accepted == report.accepted),
        Err(e) => assert_eq!(Some(&e.to_string()), case.rejects.first(), "{}", case.name),
    }
}

#[test]
fn validation_cases() {
    let cases: ValidationCases = toml::from_str(include_str!("data/customer/validation.toml"))
        .unwrap_or_else(|e| panic!("{}", e.message()));
    assert!(cases.case.len() >= 8);
    for case in &cases.case {
        check_validation(case);
    }
}

#[test]
fn error_predicates_and_fields() {
    use patronage::customer::{RecordErrorKind, RecordRef};
    use patronage::{ValidationMode, Validator};
    let cases: ValidationCases =
        toml::from_str(include_str!("data/customer/validation.toml")).unwrap();
    let dup = cases
        .case
        .iter()
        .find(|c| c.name == "duplicate ids")
        .unwrap();
    let report = Validator::validate(dup.records.clone(), ValidationMode::Lenient).unwrap();
    assert!(report
        .rejected
        .iter()
        .all(patronage::RecordError::is_duplicate));
    assert_eq!(
        report.rejected[1].record(),
        RecordRef::Order {
            order: OrderId(7),
            customer: CustomerId(8)
        }
    );
    assert_eq!(report.rejected[1].record().customer(), CustomerId(8));
    assert_eq!(report.rejected[1].field(), "id");
    assert!(matches!(
        report.rejected[1].kind(),
        RecordErrorKind::DuplicateOrder { .. }
    ));
    let mixed = cases
        .case
        .iter()
        .find(|c| c.name.starts_with("mixed"))
        .unwrap();
    let report = Validator::validate(mixed.records.clone(), ValidationMode::Lenient).unwrap();
    assert!(report.rejected[0].is_mixed_currency());
    assert!(!report.rejected[0].is_duplicate());
}

// ---- error messages of the record types themselves -----------------------------

#[test]
fn record_error_messages() {
    let mut c = Customer::new(CustomerId(1));
    assert_eq!(
        c.set_time_zone("asia/shanghai").unwrap_err().to_string(),
        "customer `1`: field `time_zone`: unknown time zone `asia/shanghai`: expected an IANA name such as `Asia/Shanghai` or `UTC`"
    );
    assert_eq!(
        Birthday::try_new(2, 30, None).unwrap_err().to_string(),
        "expected a calendar month and day, found month 2 day 30"
    );
    assert_eq!(
        Birthday::try_new(2, 29, Some(2023))
            .unwrap_err()
            .to_string(),
        "expected a calendar month and day, found month 2 day 29"
    );
    let bad_birthday =
        serde_json::from_str::<Customer>(r#"{"id":1,"birthday":{"month":13,"day":1}}"#)
            .unwrap_err()
            .to_string();
    assert!(
        bad_birthday.starts_with("expected a calendar month and day, found month 13 day 1"),
        "{bad_birthday}"
    );
    let bad_currency = serde_json::from_str::<Order>(
        r#"{"id":1,"customer":1,"placed_at":"2024-01-01T00:00:00Z","amount":{"amount":"1","currency":"RMB"},"status":"paid"}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        bad_currency.starts_with(
            "unknown currency code `RMB`: expected an ISO 4217 code such as `CNY`, `USD` or `EUR`"
        ),
        "{bad_currency}"
    );
    let bad_zone = serde_json::from_str::<Customer>(r#"{"id":1,"time_zone":"Mars/Olympus"}"#);
    assert!(bad_zone.is_err());
    let unknown_field = serde_json::from_str::<Customer>(r#"{"id":1,"nickname":"x"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        unknown_field.starts_with("unknown field `nickname`"),
        "{unknown_field}"
    );
    let overflow = Order::new(
        OrderId(1),
        CustomerId(1),
        at(2024, 1, 1),
        patronage::Money::new(rust_decimal::Decimal::MAX, patronage::Currency::CNY),
        OrderStatus::PartiallyRefunded {
            refunded: rust_decimal::Decimal::MIN,
        },
    );
    // A negative partial refund is caught before any arithmetic.
    assert_eq!(overflow.check().unwrap_err().field(), "status.refunded");
}

#[test]
fn birthdays_and_points() {
    use chrono::NaiveDate;
    let b = Birthday::try_new(2, 29, Some(2000)).unwrap();
    assert_eq!(b.in_year(2023), NaiveDate::from_ymd_opt(2023, 2, 28));
    assert_eq!(
        b.age_on(NaiveDate::from_ymd_opt(2023, 2, 27).unwrap()),
        Some(22)
    );
    assert_eq!(
        b.age_on(NaiveDate::from_ymd_opt(2023, 2, 28).unwrap()),
        Some(23)
    );
    assert_eq!(
        Birthday::try_new(5, 1, None)
            .unwrap()
            .age_on(NaiveDate::MIN),
        None
    );
    let points = patronage::customer::Points {
        balance: 300,
        expiring: vec![
            patronage::customer::PointsLot {
                points: 100,
                expires_on: NaiveDate::from_ymd_opt(2024, 6, 30).unwrap(),
            },
            patronage::customer::PointsLot {
                points: 50,
                expires_on: NaiveDate::from_ymd_opt(2024, 12, 31).unwrap(),
            },
        ],
    };
    assert_eq!(
        points.expiring_by(NaiveDate::from_ymd_opt(2024, 7, 1).unwrap()),
        100
    );
    assert_eq!(
        points.expiring_by(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()),
        150
    );
}

// ---- change log (R30) -----------------------------------------------------------

#[test]
fn change_log_lists_every_changed_field() {
    use patronage::customer::AttributeValue;
    use patronage::customer::{diff, ChangeEntry, PiiDisplay};
    let old = full_customer();
    let mut new = old.clone();
    assert!(diff(&old, &new, PiiDisplay::Redacted).is_empty());
    new.phone = Some(Phone::new("+86 139 0000 0000"));
    new.email = None;
    new.consents
        .insert(Channel::Sms, Consent::opted_out(at(2024, 5, 1), None));
    new.preferred_channels = vec![Channel::Sms];
    new.attributes
        .insert("region".to_owned(), AttributeValue::Text("east".to_owned()));
    new.time_zone = Some(chrono_tz::UTC);
    new.birthday = Birthday::try_new(3, 1, None).ok();
    new.points = Some(patronage::customer::Points {
        balance: 10,
        expiring: vec![],
    });
    let changes = diff(&old, &new, PiiDisplay::Redacted);
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "phone",
            "email",
            "consents.sms",
            "preferred_channels",
            "birthday",
            "time_zone",
            "points.balance",
            "attributes.region"
        ]
    );
    assert_eq!(changes[0].old.as_deref(), Some("<redacted>"));
    assert_eq!(changes[1].new, None);
    assert_eq!(
        changes[2].new.as_deref(),
        Some("opted_out at 2024-05-01T09:30:00+00:00")
    );
    assert_eq!(changes[3].old.as_deref(), Some("wechat, sms"));
    assert_eq!(changes[4].old.as_deref(), Some("1996-02-29"));
    assert_eq!(changes[4].new.as_deref(), Some("--03-01"));
    // Hashed PII: equal values give equal fingerprints, different ones differ.
    let hashed = diff(&old, &new, PiiDisplay::Hashed { salt: 7 });
    let (a, b) = (
        hashed[0].old.clone().unwrap(),
        hashed[0].new.clone().unwrap(),
    );
    assert!(
        a.starts_with("fnv1a:") && a.len() == 22 && a != b,
        "{a} {b}"
    );
    assert!(!a.contains("139"));
    let clear = diff(&old, &new, PiiDisplay::Clear);
    assert_eq!(clear[0].new.as_deref(), Some("+86 139 0000 0000"));
    let entry = ChangeEntry::new(&old, &new, PiiDisplay::Redacted, at(2024, 5, 1), "import");
    let json = serde_json::to_string(&entry).unwrap();
    assert!(!json.contains("139 0000"));
    assert_eq!(serde_json::from_str::<ChangeEntry>(&json).unwrap(), entry);
}

// ---- serde round-trips of every record type (proptest) ---------------------------

mod strategies {
    use chrono::{DateTime, NaiveDate, Utc};
    use patronage::customer::{AttributeValue, Birthday, Points, PointsLot, Source};
    use patronage::customer::{Email, PersonName, Phone};
    use patronage::{
        Channel, Consent, Currency, Customer, CustomerId, Interaction, InteractionKind, Money,
        Order, OrderId, OrderStatus, Refund,
    };
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    pub(super) fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        (1_500_000_000_i64..1_800_000_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    pub(super) fn date() -> impl Strategy<Value = NaiveDate> {
        (0_i64..20_000).prop_map(|d| {
            NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + chrono::Days::new(d as u64)
        })
    }

    /// Realistic amounts: 0 to 100,000.00 with 0–2 decimal places.
    pub(super) fn amount() -> impl Strategy<Value = Decimal> {
        (0_i64..10_000_000, 0_u32..=2)
            .prop_map(|(n, scale)| Decimal::new(n / 10_i64.pow(2 - scale), scale))
    }

    pub(super) fn currency() -> impl Strategy<Value = Currency> {
        prop::sample::select(vec![Currency::CNY, Currency::USD, Currency::EUR])
    }

    pub(super) fn money() -> impl Strategy<Value = Money> {
        (amount(), currency()).prop_map(|(a, c)| Money::new(a, c))
    }

    pub(super) fn channel() -> impl Strategy<Value = Channel> {
        prop::sample::select(Channel::ALL.to_vec())
    }

    pub(super) fn kind() -> impl Strategy<Value = InteractionKind> {
        prop::sample::select(InteractionKind::ALL.to_vec())
    }

    fn text() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9 @+.\u{4e00}-\u{4e10}]{0,12}"
    }

    fn source() -> impl Strategy<Value = Source> {
        prop_oneof![
            Just(Source::OwnSite),
            Just(Source::App),
            Just(Source::MiniProgram),
            Just(Source::OfflineStore),
            text().prop_map(Source::Marketplace),
            text().prop_map(Source::Other),
        ]
    }

    fn consent() -> impl Strategy<Value = Consent> {
        (any::<bool>(), instant(), prop::option::of(text())).prop_map(|(yes, at, reason)| {
            if yes {
                Consent::opted_in(at)
            } else {
                Consent::opted_out(at, reason)
            }
        })
    }

    fn attribute() -> impl Strategy<Value = AttributeValue> {
        prop_oneof![
            text().prop_map(AttributeValue::Text),
            any::<i64>().prop_map(AttributeValue::Integer),
            amount().prop_map(AttributeValue::Decimal),
            any::<bool>().prop_map(AttributeValue::Bool),
            date().prop_map(AttributeValue::Date),
        ]
    }

    pub(super) fn customer() -> impl Strategy<Value = Customer> {
        (
            (
                any::<u64>(),
                prop::option::of(instant()),
                prop::option::of(source()),
            ),
            (
                prop::option::of(text()),
                prop::option::of(text()),
                prop::option::of(text()),
            ),
            (
                prop::collection::btree_map(channel(), consent(), 0..4),
                prop::sample::subsequence(Channel::ALL.to_vec(), 0..=5),
                prop::option::of((1_u32..=12, 1_u32..=28, prop::option::of(1900_i32..2020))),
            ),
            (
                prop::option::of(prop::sample::select(vec![
                    chrono_tz::UTC,
                    chrono_tz::Asia::Shanghai,
                    chrono_tz::America::New_York,
                ])),
                prop::option::of((
                    0_u64..10_000,
                    prop::collection::vec((0_u64..100, date()), 0..3),
                )),
                prop::collection::btree_map("[a-z]{1,8}", attribute(), 0..4),
            ),
        )
            .prop_map(
                |(
                    (id, registered_at, source),
                    (name, phone, email),
                    (consents, preferred, birthday),
                    (tz, points, attributes),
                )| {
                    let mut c = Customer::new(CustomerId(id));
                    c.registered_at = registered_at;
                    c.source = source;
                    // Personal data carries a marker that must never show in `Debug`.
                    c.name = name.map(|v| PersonName::new(format!("pii:{v}")));
                    c.phone = phone.map(|v| Phone::new(format!("pii:{v}")));
                    c.email = email.map(|v| Email::new(format!("pii:{v}")));
                    c.consents = consents;
                    c.preferred_channels = preferred;
                    c.birthday = birthday.map(|(m, d, y)| Birthday::try_new(m, d, y).unwrap());
                    c.time_zone = tz;
                    c.points = points.map(|(balance, lots)| Points {
                        balance,
                        expiring: lots
                            .into_iter()
                            .map(|(points, expires_on)| PointsLot { points, expires_on })
                            .collect(),
                    });
                    c.attributes = attributes;
                    c
                },
            )
    }

    pub(super) fn status() -> impl Strategy<Value = OrderStatus> {
        prop_oneof![
            Just(OrderStatus::Paid),
            Just(OrderStatus::Cancelled),
            Just(OrderStatus::Refunded),
            amount().prop_map(|refunded| OrderStatus::PartiallyRefunded { refunded }),
        ]
    }

    pub(super) fn order() -> impl Strategy<Value = Order> {
        (
            any::<u64>(),
            any::<u64>(),
            instant(),
            money(),
            status(),
            prop::option::of(source()),
        )
            .prop_map(|(id, customer, at, amount, status, source)| {
                let mut o = Order::new(OrderId(id), CustomerId(customer), at, amount, status);
                o.source = source;
                o
            })
    }

    pub(super) fn refund() -> impl Strategy<Value = Refund> {
        (
            any::<u64>(),
            prop::option::of(any::<u64>()),
            instant(),
            money(),
        )
            .prop_map(|(c, o, at, m)| Refund::new(CustomerId(c), o.map(OrderId), at, m))
    }

    pub(super) fn interaction() -> impl Strategy<Value = Interaction> {
        (any::<u64>(), kind(), instant())
            .prop_map(|(c, k, at)| Interaction::new(CustomerId(c), k, at))
    }
}

fn round_trip<T>(value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, value, "{json}");
}

proptest::proptest! {
    #[test]
    fn serde_round_trip_customer(c in strategies::customer()) {
        round_trip(&c);
        // Debug never shows personal data.
        let debug = format!("{c:?}");
        proptest::prop_assert!(!debug.contains("pii:"));
    }

    #[test]
    fn serde_round_trip_orders_refunds_interactions(
        o in strategies::order(),
        r in strategies::refund(),
        i in strategies::interaction(),
    ) {
        round_trip(&o);
        round_trip(&r);
        round_trip(&i);
        round_trip(&patronage::Records { customers: vec![], orders: vec![o], refunds: vec![r], interactions: vec![i] });
    }

    #[test]
    fn change_log_is_empty_exactly_when_records_are_equal(a in strategies::customer(), b in strategies::customer()) {
        use patronage::customer::{diff, PiiDisplay};
        proptest::prop_assert!(diff(&a, &a, PiiDisplay::Clear).is_empty());
        proptest::prop_assert_eq!(diff(&a, &b, PiiDisplay::Clear).is_empty(), a == b);
    }
}
