//! Generated code works without the prelude and next to user items that shadow its names: it
//! uses fully qualified paths only.
#![no_implicit_prelude]

mod shadowed {
    #![no_implicit_prelude]
    #![allow(dead_code)]

    struct Result;
    struct Option;
    struct Some;
    struct None;
    struct Ok;
    struct Err;
    struct Vec;
    struct String;
    struct Box;
    struct Default;
    struct Cow;
    mod hookmap {}
    mod core {}
    mod serde {}

    ::core::include!(::core::concat!(::core::env!("OUT_DIR"), "/builder/all_mappers.rs"));
}

#[test]
fn generated_mappers_ignore_the_prelude_and_shadowing_names() {
    ::std::assert!(!shadowed::MAPPERS.is_empty());
    for mapper in shadowed::MAPPERS {
        // Whatever the payload, each mapper answers; the records or error are its business.
        let _ = mapper.map(b"{}");
    }
    let form = ::std::iter::Iterator::find(&mut shadowed::MAPPERS.iter(), |m| {
        m.info().config_name == "seed-1-simple-form"
    })
    .expect("the seed 1 mapper is compiled");
    let records = form.map(br#"{"email": "a@b.co", "submitted_at": 1704067200000}"#).expect("maps");
    ::std::assert_eq!(records.len(), 1);
    ::std::assert_eq!(records[0].customer_id(), ::std::option::Option::Some("a@b.co"));
}
