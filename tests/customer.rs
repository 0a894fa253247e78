//! Integration tests: customer records (serde shapes, redaction, checks).

use chrono::{DateTime, TimeZone, Utc};
use patronage::{
    Birthday, Channel, Consent, Customer, CustomerId, Email, Order, OrderId, OrderStatus,
    PersonName, Phone,
};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 30, 0).unwrap()
}

fn full_customer() -> Customer {
    let mut c = Customer::new(CustomerId(42));
    c.registered_at = Some(at(2023, 3, 1));
    c.source = Some(patronage::Source::Marketplace("JD".to_owned()));
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
