// The mapper has errors, yet the type it declares exists, so the only errors are the mapper's.
use hookmap::Mapper;

hookmap::mapper!(
    name = Orders,
    source = r#"{
  "partner_name": "shop",
  "mapping_typ": "events",
  "mappings": {
    "customer_id": "$.orders[*].email",
    "event_name": "Order Completed",
    "user_time": "$.orders[*].placed_at",
    "platform": "web"
  },
  "batching": false,
  "payload_validations": {}
}"#
);

fn main() {
    let _ = Orders.map(b"{}");
    let _ = Orders.info();
}
