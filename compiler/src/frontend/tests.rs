//! The front end's rules, one mapper per case: what is accepted, what is refused, where the
//! error points and what it says.

use crate::date::TimeFormat;
use crate::diagnostics::Diagnostic;
use crate::model::{JsonType, Literal, Mapper, MappingType, Platform, TimeSource};
use crate::source::Source;

/// A mapper of `mapping_type` `kind` with the usual fields, changed by `mappings` and `top`:
/// a pair replaces the default of the same key, or adds it; the value `-` removes the key.
fn mapper(kind: &str, mappings: &[(&str, &str)], top: &[(&str, &str)]) -> String {
    let mut m: Vec<(&str, &str)> = match kind {
        "events" => vec![
            ("customer_id", r#""$.email""#),
            ("event_name", r#""Signed Up""#),
            ("user_time", r#""$.ts""#),
            ("platform", r#""web""#),
        ],
        _ => vec![("customer_id", r#""$.email""#)],
    };
    merge(&mut m, mappings);
    let body = m.iter().map(|(k, v)| format!("    \"{k}\": {v}")).collect::<Vec<_>>().join(",\n");
    let mappings = format!("{{\n{body}\n  }}");
    let kind = format!("\"{kind}\"");
    let mut t: Vec<(&str, &str)> = vec![
        ("partner_name", r#""test""#),
        ("mapping_type", &kind),
        ("mappings", &mappings),
        ("batching", "false"),
        ("payload_validations", "{}"),
    ];
    merge(&mut t, top);
    let body = t.iter().map(|(k, v)| format!("  \"{k}\": {v}")).collect::<Vec<_>>().join(",\n");
    format!("{{\n{body}\n}}\n")
}

fn merge<'a>(list: &mut Vec<(&'a str, &'a str)>, changes: &[(&'a str, &'a str)]) {
    for &(k, v) in changes {
        match list.iter().position(|(key, _)| *key == k) {
            Some(i) if v == "-" => {
                list.remove(i);
            }
            Some(i) => list[i].1 = v,
            None => list.push((k, v)),
        }
    }
}

fn events(mappings: &[(&str, &str)]) -> String {
    mapper("events", mappings, &[])
}

fn users(mappings: &[(&str, &str)]) -> String {
    mapper("users", mappings, &[])
}

fn parse(text: &str) -> Result<Mapper, Vec<Diagnostic>> {
    super::parse(&Source::inline("test.json", text))
}

#[track_caller]
fn ok(text: &str) -> Mapper {
    match parse(text) {
        Ok(m) => m,
        Err(e) => panic!("rejected:\n{}\n{text}", crate::Diagnostics::new(&Source::inline("t", text), e)),
    }
}

#[track_caller]
fn errors(text: &str) -> Vec<Diagnostic> {
    match parse(text) {
        Ok(m) => panic!("accepted: {m:#?}\n{text}"),
        Err(e) => e,
    }
}

/// Asserts an error whose span covers exactly the `n`-th (0-based) occurrence of `at` in the
/// file, and whose message, label and help together contain every word.
#[track_caller]
fn assert_error_nth(text: &str, at: &str, n: usize, words: &[&str]) {
    let start = text.match_indices(at).nth(n).unwrap_or_else(|| panic!("`{at}` not in\n{text}")).0;
    let span = start..start + at.len();
    let list = errors(text);
    let found = list.iter().any(|d| {
        let all = format!("{} {} {}", d.message, d.label.as_deref().unwrap_or(""), d.help.join(" "));
        d.span.as_ref() == Some(&span) && words.iter().all(|w| all.contains(w))
    });
    let shown = crate::Diagnostics::new(&Source::inline("test.json", text), list);
    assert!(found, "no error at `{at}` ({span:?}) with {words:?}; got:\n{shown}");
}

#[track_caller]
fn assert_error(text: &str, at: &str, words: &[&str]) {
    assert_error_nth(text, at, 0, words);
}

#[test]
fn seed_shaped_events_mapper_becomes_the_model() {
    let text = events(&[
        ("anon_id", r#""$.session""#),
        ("app_version", r#""$.v""#),
        ("attr", r#"{"n": 3, "flag": true, "s": "x", "p": "$.p", "create_all": "$.rest"}"#),
        ("user_attributes", r#"{"u_em": "$.email"}"#),
        ("timezone", r#""Asia/Kolkata""#),
    ]);
    let m = ok(&text);
    assert_eq!(m.partner_name.value, "test");
    assert_eq!(&text[m.partner_name.span.clone()], r#""test""#);
    assert_eq!(m.mapping_type.value, MappingType::Events);
    assert_eq!(m.platform.as_ref().map(|p| p.value), Some(Platform::Web));
    assert!(!m.batching.value);
    assert_eq!(m.attr.entries.len(), 4);
    assert_eq!(m.attr.entries[0].key.value, "n");
    assert_eq!(m.attr.entries[0].source.value, crate::model::Source::Literal(Literal::Number("3".into())));
    assert_eq!(m.attr.entries[1].source.value, crate::model::Source::Literal(Literal::Bool(true)));
    assert_eq!(m.attr.entries[2].source.value, crate::model::Source::Literal(Literal::String("x".into())));
    assert!(matches!(&m.attr.entries[3].source.value, crate::model::Source::Path(p) if p.text == "$.p"));
    assert_eq!(m.attr.create_all.as_ref().map(|p| p.text.as_str()), Some("$.rest"));
    assert_eq!(
        &text[m.attr.span.clone().unwrap()],
        r#"{"n": 3, "flag": true, "s": "x", "p": "$.p", "create_all": "$.rest"}"#
    );
    assert_eq!(m.user_attributes.entries.len(), 1);
    assert_eq!(m.timezone.as_ref().map(|t| t.value.as_str()), Some("Asia/Kolkata"));
    let Some(t) = &m.user_time else { panic!("no user_time") };
    assert!(matches!(&t.source.value, TimeSource::Path(p) if p.text == "$.ts"));
    assert!(t.formats.is_empty() && t.formats_span.is_none());
    assert!(m.anon_id.is_some());
}

#[test]
fn top_level_keys() {
    let text = mapper("events", &[], &[("mapping_typ", r#""events""#), ("mapping_type", "-")]);
    assert_error(&text, r#""mapping_typ""#, &["unknown key `mapping_typ`", "did you mean `mapping_type`?"]);
    // The misspelling is the error; "missing mapping_type" would only repeat it.
    assert_eq!(errors(&text).len(), 1);

    let text = mapper("events", &[], &[("customer_id", r#""$.id""#)]);
    assert_error_nth(&text, r#""customer_id""#, 1, &["belongs inside `mappings`"]);

    let text = mapper("events", &[], &[("partner_name", "-"), ("mappings", "-")]);
    assert_error_nth(&text, "{", 0, &["the mapper has no `partner_name`"]);
    assert_error_nth(&text, "{", 0, &["the mapper has no `mappings`"]);

    assert_error("[1]", "[1]", &["a mapper is a JSON object, found an array"]);
}

#[test]
fn wrong_types_name_expected_and_found() {
    let text = mapper("events", &[], &[("batching", r#""true""#)]);
    assert_error(&text, r#""true""#, &["`batching` must be a boolean, found a string", "without quotes"]);
    let text = mapper("events", &[], &[("mappings", "[]")]);
    assert_error(&text, "[]", &["`mappings` must be an object, found an array"]);
    assert_eq!(errors(&text).len(), 1, "no missing-field errors for an invalid `mappings`");
    let text = mapper("events", &[], &[("payload_validations", "[]")]);
    assert_error(&text, "[]", &["must be an object, found an array"]);
    let text = events(&[("attr", "null")]);
    assert_error(&text, "null", &["`attr` must be an object, found null"]);
    let text = events(&[("timezone", "5")]);
    assert_error(&text, "5", &["`timezone` must be a string, found a number"]);
    let text = events(&[("event_name", "[]")]);
    assert_error(&text, "[]", &["`event_name` must be a JSONPath or a string, found an array"]);
    // A bad value is reported once, not also as missing.
    assert_eq!(errors(&text).len(), 1);
}

#[test]
fn partner_and_config_names() {
    let text = mapper("users", &[], &[("partner_name", r#""Lead Form""#)]);
    assert_error(&text, r#""Lead Form""#, &["partner_name \"Lead Form\"", "lowercase", "\"lead_form\""]);
    for bad in [r#""""#, r#""1abc""#, r#""a.b""#] {
        let text = mapper("users", &[], &[("partner_name", bad)]);
        assert_error(&text, bad, &["not a lowercase identifier"]);
    }
    let m = ok(&mapper("users", &[], &[("partner_name", r#""zoho-crm_2""#), ("config_name", r#""v2""#)]));
    assert_eq!(m.partner_name.value, "zoho-crm_2");
    assert_eq!(m.config_name.map(|c| c.value).as_deref(), Some("v2"));
    let text = mapper("users", &[], &[("config_name", r#""V 2""#)]);
    assert_error(&text, r#""V 2""#, &["config_name \"V 2\""]);
}

#[test]
fn mapping_type_values() {
    let text = mapper("events", &[], &[("mapping_type", r#""event""#)]);
    assert_error(&text, r#""event""#, &["unknown mapping_type \"event\"", "did you mean \"events\"?"]);
    let text = mapper("users", &[], &[("mapping_type", r#""Users""#)]);
    assert_error(&text, r#""Users""#, &["did you mean \"users\"?"]);
}

#[test]
fn platform_values() {
    let text = events(&[("platform", r#""webb""#)]);
    assert_error(
        &text,
        r#""webb""#,
        &[
            "unknown platform \"webb\"",
            r#"expected one of "web", "android", "ios", "api""#,
            "did you mean \"web\"?",
        ],
    );
    let text = events(&[("platform", r#""$.platform""#)]);
    assert_error(&text, r#""$.platform""#, &["platform must be a literal string"]);
    let text = events(&[("platform", "1")]);
    assert_error(&text, "1", &["`platform` must be a string, found a number"]);
    for (name, p) in [("android", Platform::Android), ("ios", Platform::Ios), ("api", Platform::Api)] {
        let text = events(&[("platform", &format!("\"{name}\""))]);
        assert_eq!(ok(&text).platform.map(|p| p.value), Some(p));
    }
    let text = events(&[("platform", "-")]);
    assert_error(&text, r#""mappings""#, &["events mapper needs `platform`"]);
    assert!(ok(&users(&[])).platform.is_none());
}

#[test]
fn app_version_defaults_and_types() {
    let m = ok(&events(&[]));
    let v = m.app_version.expect("a default");
    assert_eq!(v.value, crate::model::Source::Literal(Literal::String("1.0.0".into())));
    let text = events(&[("app_version", "1.0")]);
    assert_error(&text, "1.0", &["`app_version` must be a JSONPath or a string, found a number", "\"1.0\""]);
    assert!(ok(&users(&[])).app_version.is_none(), "ignored for users: no default");
    assert!(ok(&users(&[("app_version", r#""2.0""#), ("platform", r#""web""#)])).app_version.is_some());
}

#[test]
fn jsonpath_errors_point_into_the_string() {
    let text = events(&[("attr", r#"{"form_name": "$.form[name"}"#)]);
    let list = errors(&text);
    assert_eq!(list.len(), 1);
    let d = &list[0];
    assert!(d.message.contains("$.form[name"), "{}", d.message);
    let token = text.find(r#""$.form[name""#).unwrap();
    let span = d.span.clone().unwrap();
    assert!(span.start > token && span.end < token + r#""$.form[name""#.len(), "{span:?}");
}

#[test]
fn jsonpath_error_spans_follow_escapes() {
    // The query is `$.ab c`: the parser refuses the `c` (text offset 6, after the blank space
    // allowed between segments), which the file holds 5 bytes further right, past `\u0061`.
    let text = events(&[("event_name", r#""$.\u0061b c""#)]);
    let list = errors(&text);
    let token = text.find(r#""$.\u0061b c""#).unwrap();
    let span = list[0].span.clone().unwrap();
    assert_eq!(span, token + 11..token + 12, "{list:?}");
    assert_eq!(&text[span], "c");
    assert!(list[0].message.contains(r"$.\u0061b c"), "quoted as written: {}", list[0].message);
}

#[test]
fn customer_id_literals() {
    for refused in [r#""guest""#, r#""GUEST""#, r#"" n/a ""#, r#""""#, "0", "-1", r#""user_id""#] {
        let text = events(&[("customer_id", refused)]);
        assert_error(&text, refused, &["customer_id", "refuses"]);
    }
    let text = events(&[("customer_id", "true")]);
    assert_error(
        &text,
        "true",
        &["`customer_id` must be a JSONPath, a string or an integer, found a boolean"],
    );
    let text = events(&[("customer_id", "1.5")]);
    assert_error(&text, "1.5", &["found a number"]);
    let m = ok(&events(&[("customer_id", r#""support-team""#)]));
    assert!(m.customer_id.is_some());
    assert!(ok(&events(&[("customer_id", "12345")])).customer_id.is_some());
    // anon_id alone is enough for events.
    assert!(ok(&events(&[("customer_id", "-"), ("anon_id", r#""$.anon""#)])).customer_id.is_none());
}

#[test]
fn required_fields_by_mapping_type() {
    let text = events(&[("customer_id", "-")]);
    assert_error(&text, r#""mappings""#, &["`customer_id`", "`anon_id`"]);
    let text = events(&[("event_name", "-"), ("user_time", "-")]);
    assert_error(&text, r#""mappings""#, &["`event_name`"]);
    assert_error(&text, r#""mappings""#, &["`user_time`"]);
    let text = events(&[("custmer_id", r#""$.id""#), ("customer_id", "-")]);
    assert_error(&text, r#""custmer_id""#, &["did you mean `customer_id`?"]);
    assert_eq!(errors(&text).len(), 1, "the misspelling is not also reported missing");

    let text = users(&[("customer_id", "-")]);
    assert_error(&text, r#""mappings""#, &["users mapper needs `customer_id`"]);
    let text = users(&[("attr", "{}"), ("event_name", r#""x""#), ("anon_id", r#""$.a""#)]);
    assert_error(&text, r#""attr""#, &["`attr` is not used when `mapping_type` is \"users\""]);
    assert_error(&text, r#""event_name""#, &["not used"]);
    assert_error(&text, r#""anon_id""#, &["not used"]);
    let text = events(&[("update_existing_only", "true")]);
    assert_error(&text, r#""update_existing_only""#, &["not used when `mapping_type` is \"events\""]);
    let m = ok(&users(&[("update_existing_only", "true"), ("user_time", r#""$.t""#)]));
    assert_eq!(m.update_existing_only.map(|u| u.value), Some(true));
    assert!(m.user_time.is_some());
    let text = users(&[("update_existing_only", r#""false""#)]);
    assert_error(&text, r#""false""#, &["must be a boolean", "without quotes"]);
}

#[test]
fn event_names() {
    let text = events(&[("event_name", r#""moe_signup""#)]);
    assert_error(&text, r#""moe_signup""#, &["moe_"]);
    let long = format!("\"{}\"", "e".repeat(201));
    assert_error(&events(&[("event_name", &long)]), &long, &["201 characters", "200"]);
    ok(&events(&[("event_name", &format!("\"{}\"", "é".repeat(200)))]));
    assert_error(&events(&[("event_name", r#""  ""#)]), r#""  ""#, &["empty event name"]);
    assert_error(&events(&[("event_name", "7")]), "7", &["found a number"]);
}

#[test]
fn user_time_values() {
    let text = events(&[("user_time", r#""2024-01-01""#)]);
    assert_error(&text, r#""2024-01-01""#, &["user_time must be a JSONPath or \"#MERGE\"", "the literal"]);
    let text = events(&[("user_time", r##""#merge""##)]);
    assert_error(&text, r##""#merge""##, &["did you mean \"#MERGE\"?"]);
    let text = events(&[("user_time", "1704067200000")]);
    assert_error(&text, "1704067200000", &["found a number"]);
}

const MERGE: &str = r#"{"user_time": {"date": "$.d", "time": "$.t"}}"#;

#[test]
fn merge_needs_its_object_and_a_format() {
    let m = ok(&events(&[
        ("user_time", r##""#MERGE""##),
        ("#MERGE", MERGE),
        ("formats", r#"{"user_time": "yyyy-MM-dd HH:mm:ss"}"#),
    ]));
    let t = m.user_time.expect("user_time");
    let TimeSource::Merge { date, time } = &t.source.value else { panic!("not a merge") };
    assert_eq!((date.text.as_str(), time.text.as_str()), ("$.d", "$.t"));
    assert_eq!(t.formats.len(), 1);

    let text = events(&[("user_time", r##""#MERGE""##), ("#MERGE", MERGE)]);
    assert_error(&text, r##""#MERGE""##, &["formats"]);
    let text = events(&[("user_time", r##""#MERGE""##), ("formats", r#"{"user_time": "yyyy"}"#)]);
    assert_error(&text, r##""#MERGE""##, &["no `#MERGE` object"]);
    let text = events(&[("#MERGE", MERGE)]);
    assert_error(&text, r##""#MERGE""##, &["`#MERGE` is set but `user_time` is not \"#MERGE\""]);
    let text = events(&[
        ("user_time", r##""#MERGE""##),
        ("#MERGE", r#"{"user_time": {"date": "date_registered"}}"#),
        ("formats", r#"{"user_time": "yyyy"}"#),
    ]);
    assert_error(
        &text,
        r#""date_registered""#,
        &["must be a JSONPath", "did you mean \"$.date_registered\"?"],
    );
    assert_error_nth(&text, r#""user_time""#, 1, &["has no `time`"]);
    let text =
        events(&[("user_time", r##""#MERGE""##), ("#MERGE", "{}"), ("formats", r#"{"user_time": "y"}"#)]);
    assert_error_nth(&text, r##""#MERGE""##, 1, &["`#MERGE` has no `user_time`"]);
}

#[test]
fn formats_values() {
    let m = ok(&events(&[("formats", r#"{"user_time": ["epoch_seconds", "epoch_millis"]}"#)]));
    let t = m.user_time.expect("user_time");
    assert_eq!(
        t.formats.iter().map(|f| f.value.clone()).collect::<Vec<_>>(),
        vec![TimeFormat::EpochSeconds, TimeFormat::EpochMillis]
    );
    assert!(t.formats_span.is_some());

    let text = events(&[("formats", r#"{"user_time": []}"#)]);
    assert_error(&text, "[]", &["empty list"]);
    let text = events(&[("formats", r#"{"user_time": 5}"#)]);
    assert_error(&text, "5", &["a string or a list of strings, found a number"]);
    let text = events(&[("formats", r#"{"user_time": ["yyyy", 5]}"#)]);
    assert_error(&text, "5", &["must be a string"]);
    let text = events(&[("formats", r#"{"usertime": "yyyy"}"#)]);
    assert_error(&text, r#""usertime""#, &["did you mean `user_time`?"]);
}

#[test]
fn date_pattern_errors_point_into_the_string() {
    // `\u002d` is `-`: the `Q` is 5 bytes further right in the file than in the pattern.
    let text = events(&[("formats", r#"{"user_time": ["yyyy-MM-dd", "yyyy\u002dMM Q"]}"#)]);
    let list = errors(&text);
    assert_eq!(list.len(), 1, "{list:?}");
    assert!(list[0].message.contains(r"yyyy\u002dMM Q"), "{}", list[0].message);
    let q = text.find(" Q\"").unwrap() + 1;
    assert_eq!(list[0].span.clone().map(|s| s.start), Some(q));
}

#[test]
fn time_zones() {
    let text = events(&[("timezone", r#""Asia/Calcuta""#)]);
    assert_error(
        &text,
        r#""Asia/Calcuta""#,
        &["unknown time zone \"Asia/Calcuta\"", "did you mean \"Asia/Calcutta\"?"],
    );
    let text = events(&[("timezone", r#""Mars/Olympus_Mons""#)]);
    assert_error(&text, r#""Mars/Olympus_Mons""#, &["Mars/Olympus_Mons", "IANA"]);
    assert!(ok(&events(&[("timezone", r#""UTC""#)])).timezone.is_some());
}

#[test]
fn attribute_rules() {
    let text = users(&[("user_attributes", r#"{"moe_score": "$.s"}"#)]);
    assert_error(&text, r#""moe_score""#, &["moe_"]);
    let long = format!("\"{}\"", "k".repeat(201));
    let text = users(&[("user_attributes", &format!("{{{long}: 1}}"))]);
    assert_error(&text, &long, &["201 characters"]);
    let text = users(&[("user_attributes", r#"{"create_all": "traits"}"#)]);
    assert_error(&text, r#""traits""#, &["`create_all` must be a JSONPath", "did you mean \"$.traits\"?"]);
    let text = users(&[("user_attributes", r#"{"create_all": true}"#)]);
    assert_error(&text, "true", &["`create_all` must be a JSONPath, found a boolean"]);
    let text = users(&[("user_attributes", r#"{"a": null, "b": {"c": 1}}"#)]);
    assert_error(
        &text,
        "null",
        &["attribute `a` must be a JSONPath or a string, number or boolean, found null"],
    );
    assert_error(&text, r#"{"c": 1}"#, &["found an object"]);
    let long_value = format!("\"{}\"", "v".repeat(513));
    let text = users(&[("user_attributes", &format!("{{\"a\": {long_value}}}"))]);
    assert_error(&text, &long_value, &["513 characters", "512"]);
    let m = ok(&users(&[("user_attributes", r#"{"create_all": "$.traits", "plan": "$.plan"}"#)]));
    assert_eq!(m.user_attributes.create_all.map(|p| p.text).as_deref(), Some("$.traits"));
}

#[test]
fn payload_validations() {
    let text = mapper("users", &[], &[("payload_validations", r#"{"$.email": "str"}"#)]);
    assert_error(&text, r#""str""#, &["unknown validation type \"str\"", "did you mean \"string\"?"]);
    let text = mapper("users", &[], &[("payload_validations", r#"{"email": "string"}"#)]);
    assert_error(&text, r#""email""#, &["must be a JSONPath", "did you mean \"$.email\"?"]);
    let text = mapper("users", &[], &[("payload_validations", r#"{"$.a": 1}"#)]);
    assert_error(&text, "1", &["must be a string, found a number"]);
    let m = ok(&mapper("users", &[], &[("payload_validations", r#"{"$.a": "integer", "$.b": "array"}"#)]));
    let got: Vec<_> = m.validations.iter().map(|v| (v.path.text.as_str(), v.ty.value)).collect();
    assert_eq!(got, vec![("$.a", JsonType::Integer), ("$.b", JsonType::Array)]);
}

fn batched(mappings: &[(&str, &str)], validations: &str) -> String {
    mapper("events", mappings, &[("batching", "true"), ("payload_validations", validations)])
}

#[test]
fn batching_false_refuses_iteration() {
    let text = events(&[("customer_id", r#""$.orders[*].email""#)]);
    assert_error(&text, "[*]", &["$.orders[*].email", "`batching` is false"]);
    let text = mapper("events", &[("event_name", r#""$.items.*.name""#)], &[("batching", "-")]);
    assert_error(&text, ".*", &["`batching` is not set"]);
    let text = mapper("users", &[], &[("payload_validations", r#"{"$.rows[*]": "object"}"#)]);
    assert_error(&text, "[*]", &["batching"]);
    // An invalid `batching` is reported once, not again for each path.
    let text = mapper("events", &[("customer_id", r#""$.o[*].e""#)], &[("batching", "1")]);
    assert_eq!(errors(&text).len(), 1);
}

#[test]
fn batching_true_needs_one_chain() {
    let m = ok(&batched(
        &[
            ("customer_id", r#""$.orders[*].email""#),
            ("attr", r#"{"sku": "$.orders[*].items[*].sku", "store": "$.store", "o": "$['orders'][*].id"}"#),
        ],
        r#"{"$.orders[*].items[*]": "object"}"#,
    ));
    assert!(m.batching.value);
    // The deeper path may come first.
    ok(&batched(&[("customer_id", r#""$.o[*].i[*].e""#), ("user_time", r#""$.o[*].t""#)], "{}"));

    let text = batched(&[], "{}");
    assert_error(&text, "true", &["[*]", "batching"]);
    // Validation paths do not count as something to iterate.
    let text = batched(&[], r#"{"$.rows[*]": "object"}"#);
    assert_error(&text, "true", &["[*]"]);

    let text =
        batched(&[("customer_id", r#""$.orders[*].e""#), ("attr", r#"{"r": "$.refunds[*].id"}"#)], "{}");
    assert_error(&text, "$.refunds[*]", &["`$.refunds[*]` and `$.orders[*]`"]);
    let text = batched(
        &[("customer_id", r#""$.o[*].items[*].e""#), ("attr", r#"{"r": "$.o[*].refunds[*].id"}"#)],
        "{}",
    );
    assert_error(&text, "$.o[*].refunds[*]", &["`$.o[*].refunds[*]` and `$.o[*].items[*]`"]);
    let text = batched(&[("customer_id", r#""$.o[*].e""#)], r#"{"$.p[*].x": "string"}"#);
    assert_error(&text, "$.p[*]", &["`$.p[*]` and `$.o[*]`"]);
    // `[0]` is not `[*]`: a different chain.
    let text = batched(&[("customer_id", r#""$.o[*].a[*]""#), ("user_time", r#""$.o[0].a[*]""#)], "{}");
    assert_error(&text, "$.o[0].a[*]", &["not on one chain"]);
}

#[test]
fn every_error_of_the_file_at_once_in_file_order() {
    let text = r#"{
  "partner_name": "Bad Name",
  "mapping_type": "events",
  "mappings": {
    "customer_id": "guest",
    "event_name": "moe_x",
    "user_time": "$.t",
    "platform": "webb",
    "platform": "web",
    "attr": {"moe_a": 1}
  },
  "batching": "no"
}"#;
    let list = errors(text);
    let lines: Vec<usize> =
        list.iter().map(|d| Source::inline("t", text).line_col(d.span.clone().unwrap().start).0).collect();
    assert_eq!(lines, vec![2, 5, 6, 8, 9, 10, 12], "{list:#?}");
}

#[test]
fn json_errors_come_through() {
    let text = "{\n  \"partner_name\": \"x\",\n}";
    assert_error(text, ",", &["trailing comma"]);
}

/// Mangled versions of every conformance mapper: errors are fine, panics are not.
#[test]
fn never_panics() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance");
    let mut texts = Vec::new();
    for sub in ["cases", "reject"] {
        let Ok(entries) = std::fs::read_dir(format!("{dir}/{sub}")) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            let file = if path.is_dir() { path.join("mapper.json") } else { path };
            if let Ok(t) = std::fs::read_to_string(file) {
                texts.push(t);
            }
        }
    }
    assert!(!texts.is_empty());
    let mut seed: u32 = 0x9E37_79B9;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as usize
    };
    let pieces =
        ["\"", "\\", "{", "}", "[", "]", ",", ":", "$", "[*]", "#MERGE", "é", "\\u00", " ", "1", "null"];
    for text in &texts {
        for end in (0..text.len()).filter(|&i| text.is_char_boundary(i)).step_by(7) {
            let _ = parse(&text[..end]);
        }
        for _ in 0..200 {
            let mut t = text.clone();
            let mut at = next() % t.len();
            while !t.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + next() % 4).min(t.len());
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            t.replace_range(at..end, pieces[next() % pieces.len()]);
            if let Err(list) = parse(&t) {
                let d = crate::Diagnostics::new(&Source::inline("t", t.as_str()), list);
                let _ = (d.to_string(), d.to_json());
            }
        }
    }
}
