hookmap::mapper!(
    name = LeadForm,
    source = r#"{
  "partner_name": "lead_form",
  "mapping_type": "events",
  "mappings": {
    "customer_id": "$.email",
    "event_name": "Form Submitted",
    "user_time": "$.submitted_at",
    "platform": "webb",
    "app_version": "1.0.0"
  },
  "batching": false,
  "payload_validations": {}
}"#
);

fn main() {}
