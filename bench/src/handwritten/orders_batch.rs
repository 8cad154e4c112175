//! `orders_batch` by hand: one event per item of every order.

use std::borrow::Cow;

use hookmap::{Attributes, Event, Platform, Record};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Str, number, string};

#[derive(Deserialize)]
struct Batch<'a> {
    #[serde(borrow)]
    store_id: Option<Str<'a>>,
    #[serde(borrow)]
    orders: Vec<Order<'a>>,
}

#[derive(Deserialize)]
struct Order<'a> {
    #[serde(borrow)]
    id: Option<Str<'a>>,
    created_at: i64,
    #[serde(borrow)]
    currency: Option<Str<'a>>,
    #[serde(borrow)]
    customer: Customer<'a>,
    #[serde(borrow)]
    items: Vec<Item<'a>>,
}

#[derive(Deserialize)]
struct Customer<'a> {
    #[serde(borrow)]
    email: Str<'a>,
    #[serde(borrow)]
    first_name: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Item<'a> {
    #[serde(borrow)]
    sku: Option<Str<'a>>,
    #[serde(borrow)]
    quantity: Option<&'a RawValue>,
    #[serde(borrow)]
    price: Option<&'a RawValue>,
}

pub fn map(payload: &[u8]) -> Result<Vec<Record<'_>>, String> {
    let batch: Batch<'_> = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    let mut records = Vec::with_capacity(batch.orders.iter().map(|o| o.items.len()).sum());
    for order in &batch.orders {
        for item in &order.items {
            let mut attr = Attributes::with_capacity(6);
            if let Some(v) = &batch.store_id {
                attr.push_new(Cow::Borrowed("store"), string(v));
            }
            if let Some(v) = &order.id {
                attr.push_new(Cow::Borrowed("order_id"), string(v));
            }
            if let Some(v) = &order.currency {
                attr.push_new(Cow::Borrowed("currency"), string(v));
            }
            if let Some(v) = &item.sku {
                attr.push_new(Cow::Borrowed("sku"), string(v));
            }
            if let Some(v) = item.quantity {
                attr.push_new(Cow::Borrowed("quantity"), number(v));
            }
            if let Some(v) = item.price {
                attr.push_new(Cow::Borrowed("price"), number(v));
            }
            let mut user = Attributes::with_capacity(2);
            user.push_new(Cow::Borrowed("u_em"), string(&order.customer.email));
            if let Some(v) = &order.customer.first_name {
                user.push_new(Cow::Borrowed("u_fn"), string(v));
            }
            records.push(Record::Event(Event {
                customer_id: Some(order.customer.email.0.clone()),
                anon_id: None,
                event_name: Cow::Borrowed("Item Purchased"),
                user_time: order.created_at,
                platform: Platform::Web,
                app_version: Cow::Borrowed("2.4.0"),
                attr,
                user_attributes: user,
            }));
        }
    }
    Ok(records)
}
