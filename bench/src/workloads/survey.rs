//! A form-builder response: the answers are an array of objects told apart by `field.ref`, so
//! the mapper finds them with filters.

use serde_json::{Value, json};

fn field(id: usize, ty: &str, reference: &str) -> Value {
    json!({"id": format!("fld{id:04}"), "type": ty, "ref": reference})
}

pub fn payload() -> Vec<u8> {
    let mut answers = Vec::new();
    let mut fields = Vec::new();
    for i in 0..24 {
        let (ty, reference, answer) = match i {
            3 => ("short_text", "first_name", json!({"type": "text", "text": "Jane"})),
            9 => ("email", "email", json!({"type": "email", "email": "jane.roe@example.com"})),
            14 => {
                ("multiple_choice", "plan", json!({"type": "choice", "choice": {"id": "c2", "label": "Pro"}}))
            }
            _ if i % 3 == 0 => ("rating", "rating", json!({"type": "number", "number": i % 5 + 1})),
            _ if i % 3 == 1 => ("yes_no", "consent", json!({"type": "boolean", "boolean": i % 2 == 0})),
            _ => (
                "long_text",
                "comment",
                json!({"type": "text", "text": "Works well; the \"export\" could be faster."}),
            ),
        };
        let reference =
            format!("{reference}{}", if matches!(i, 3 | 9 | 14) { String::new() } else { format!("_{i}") });
        let mut answer = answer;
        answer["field"] = field(i, ty, &reference);
        answers.push(answer);
        fields.push(json!({"id": format!("fld{i:04}"), "title": format!("Question {i}: how would you rate it?"), "type": ty, "ref": reference}));
    }
    let body = json!({
        "event_id": "01HM8Q4ZK7",
        "event_type": "form_response",
        "form_response": {
            "form_id": "lT4Z3j",
            "token": "a3a12ec67a1365927098a606107fac15",
            "landed_at": "2024-01-05T09:58:12Z",
            "submitted_at": "2024-01-05T10:00:00Z",
            "hidden": {"utm_source": "newsletter", "utm_campaign": "winter"},
            "calculated": {"score": 42},
            "definition": {"id": "lT4Z3j", "title": "Onboarding survey", "fields": fields},
            "answers": answers,
        },
    });
    serde_json::to_vec(&body).expect("a Value always serializes")
}
