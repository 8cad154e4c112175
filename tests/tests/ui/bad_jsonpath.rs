hookmap::mapper!(
    name = Survey,
    source = r#"{
  "partner_name": "survey",
  "mapping_type": "users",
  "mappings": {
    "customer_id": "$.answers[?@.ref == 'email'.email",
    "user_attributes": { "u_fn": "$.name" }
  },
  "batching": false,
  "payload_validations": {}
}"#
);

fn main() {}
