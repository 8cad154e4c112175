//! A billing vendor's `invoice.paid` event: about 50 KB of nested objects of which the mapper
//! reads a few members, two of them through array indexes.

use serde_json::{Value, json};

use super::rng::Rng;

const NICKNAMES: &[&str] = &["Pro monthly", "Team yearly", "Seat add-on", "Support — premium"];

fn line(rng: &mut Rng, i: u64) -> Value {
    let amount = 500 + rng.below(50_000);
    json!({
        "id": format!("il_1OaB{i:04}xYzAbCdEfGh"),
        "object": "line_item",
        "amount": amount,
        "amount_excluding_tax": amount,
        "currency": "usd",
        "description": format!("{} × {} (at $12.00 / month)", 1 + rng.below(9), rng.pick(NICKNAMES)),
        "discount_amounts": [],
        "discountable": true,
        "discounts": [],
        "livemode": false,
        "metadata": {"team": format!("team-{}", rng.below(40)), "cost_center": "R&D"},
        "period": {"end": 1_706_745_600 + i, "start": 1_704_067_200 + i},
        "price": {
            "id": format!("price_1Oa{i:04}Q"),
            "object": "price",
            "active": true,
            "billing_scheme": "per_unit",
            "created": 1_690_000_000 + i,
            "currency": "usd",
            "nickname": rng.pick(NICKNAMES),
            "product": format!("prod_P{i:04}"),
            "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
            "tax_behavior": "exclusive",
            "type": "recurring",
            "unit_amount": 1200,
            "unit_amount_decimal": "1200",
        },
        "proration": i.is_multiple_of(5),
        "quantity": 1 + rng.below(9),
        "tax_amounts": [{"amount": amount / 5, "inclusive": false, "tax_rate": "txr_1NzQ", "taxability_reason": null}],
        "type": "subscription",
    })
}

pub fn payload() -> Vec<u8> {
    let mut rng = Rng::new(23);
    let lines: Vec<Value> = (0..62).map(|i| line(&mut rng, i)).collect();
    let body = json!({
        "id": "evt_1OaBcD2eZvKYlo2C",
        "object": "event",
        "api_version": "2023-10-16",
        "created": 1_704_067_260,
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": "in_1OaB-finalize"},
        "type": "invoice.paid",
        "data": {
            "object": {
                "id": "in_1OaBcD2eZvKYlo2C",
                "object": "invoice",
                "account_country": "US",
                "account_name": "Acme, Inc.",
                "amount_due": 123_400,
                "amount_paid": 123_400,
                "amount_remaining": 0,
                "attempt_count": 1,
                "billing_reason": "subscription_cycle",
                "currency": "usd",
                "customer": "cus_PQr5",
                "customer_address": {"city": "München", "country": "DE", "line1": "Leopoldstraße 1", "postal_code": "80802"},
                "customer_email": "billing@acme.example",
                "customer_name": "Acme GmbH",
                "lines": {"object": "list", "data": lines, "has_more": false, "total_count": 62},
                "status_transitions": {"finalized_at": 1_704_067_200, "paid_at": 1_704_067_260},
                "total": 123_400,
            },
        },
    });
    serde_json::to_vec(&body).expect("a Value always serializes")
}
