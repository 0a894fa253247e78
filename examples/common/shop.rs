//! The shop shipped in `examples/data/` (customers, orders, refunds, interactions) read
//! into records: what the quickstart and the report both start from.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use patronage::customer::{Birthday, Points, Source};
use patronage::{
    Channel, Consent, Currency, Customer, CustomerId, Interaction, InteractionKind, Money, OrderId,
    Records, Refund,
};

use super::{clip, csv_rows, OrderRow};

const CUSTOMERS: (&str, &str) = (
    "examples/data/customers.csv",
    include_str!("../data/customers.csv"),
);
const ORDERS: (&str, &str) = (
    "examples/data/orders.csv",
    include_str!("../data/orders.csv"),
);
const REFUNDS: (&str, &str) = (
    "examples/data/refunds.csv",
    include_str!("../data/refunds.csv"),
);
const INTERACTIONS: (&str, &str) = (
    "examples/data/interactions.csv",
    include_str!("../data/interactions.csv"),
);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerRow {
    id: u64,
    registered_at: DateTime<Utc>,
    source: String,
    time_zone: String,
    birthday: String,
    points: Option<u64>,
    consents: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundRow {
    customer: u64,
    order: Option<u64>,
    at: DateTime<Utc>,
    amount: Decimal,
    currency: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InteractionRow {
    customer: u64,
    kind: String,
    at: DateTime<Utc>,
}

fn currency(code: &str) -> Result<Currency, String> {
    Currency::try_new(code).map_err(|e| e.to_string())
}

/// The shipped shop as records; a message naming the file and line on a bad row.
pub(crate) fn load() -> Result<Records, String> {
    let customers = csv_rows(CUSTOMERS, |row: CustomerRow| {
        let mut customer = Customer::new(CustomerId(row.id));
        customer.registered_at = Some(row.registered_at);
        customer.source = Some(match row.source.as_str() {
            "own_site" => Source::OwnSite,
            "app" => Source::App,
            "mini_program" => Source::MiniProgram,
            "offline_store" => Source::OfflineStore,
            other => match other.strip_prefix("marketplace:") {
                Some(name) => Source::Marketplace(name.to_owned()),
                None => Source::Other(other.to_owned()),
            },
        });
        customer
            .set_time_zone(&row.time_zone)
            .map_err(|e| e.to_string())?;
        if let Some((month, day)) = row.birthday.split_once('-') {
            let number = |text: &str| {
                text.parse::<u32>()
                    .map_err(|_| format!("birthday `{}`: expected MM-DD", clip(&row.birthday)))
            };
            customer.birthday = Some(
                Birthday::try_new(number(month)?, number(day)?, None).map_err(|e| e.to_string())?,
            );
        }
        customer.points = row.points.map(|balance| Points {
            balance,
            expiring: Vec::new(),
        });
        // Channels opted in to at registration, most preferred first.
        for name in row.consents.split('|').filter(|name| !name.is_empty()) {
            let channel = Channel::ALL
                .into_iter()
                .find(|c| c.as_str() == name)
                .ok_or_else(|| format!("unknown channel `{}`", clip(name)))?;
            customer
                .consents
                .insert(channel, Consent::opted_in(row.registered_at));
            customer.preferred_channels.push(channel);
        }
        Ok(customer)
    })?;
    let orders = csv_rows(ORDERS, OrderRow::into_order)?;
    let refunds = csv_rows(REFUNDS, |row: RefundRow| {
        Ok(Refund::new(
            CustomerId(row.customer),
            row.order.map(OrderId),
            row.at,
            Money::new(row.amount, currency(&row.currency)?),
        ))
    })?;
    let interactions = csv_rows(INTERACTIONS, |row: InteractionRow| {
        let kind = InteractionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == row.kind)
            .ok_or_else(|| format!("unknown interaction kind `{}`", clip(&row.kind)))?;
        Ok(Interaction::new(CustomerId(row.customer), kind, row.at))
    })?;
    Ok(Records {
        customers,
        orders,
        refunds,
        interactions,
    })
}
