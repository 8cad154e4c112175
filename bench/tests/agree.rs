//! The smoke test of the bench: every implementation runs once on every workload, and those
//! that produce records produce the interpreter's records. No timing.

use hookmap_bench::implementation::{Implementations, Kind};
use hookmap_bench::workloads;

#[test]
fn every_implementation_maps_every_workload_to_the_same_records() {
    let mut compared = 0;
    for workload in workloads::all() {
        let implementations = Implementations::new(&workload);
        let payload = &workload.payload;
        let expected = implementations
            .records(Kind::Interpreted, payload)
            .unwrap_or_else(|e| panic!("{}: the interpreter fails: {e}", workload.name))
            .expect("the interpreter produces records");
        assert!(expected.as_array().is_some_and(|r| !r.is_empty()), "{}: no records", workload.name);
        for kind in [Kind::Generated, Kind::Handwritten, Kind::Floor] {
            if implementations.available(kind).is_err() {
                continue;
            }
            let records = implementations
                .records(kind, payload)
                .unwrap_or_else(|e| panic!("{} {}: {e}", workload.name, kind.name()));
            if let Some(records) = records {
                assert_eq!(records, expected, "{} {}: records differ", workload.name, kind.name());
                compared += 1;
            }
        }
    }
    // The three hand-written mappers at least; the compiled ones once the compiler reads them.
    assert!(compared >= 3);
}

#[test]
fn generated_payloads_have_the_intended_sizes() {
    let size =
        |name: &str| workloads::all().into_iter().find(|w| w.name == name).map_or(0, |w| w.payload.len());
    assert!((250_000..350_000).contains(&size("orders_batch")), "orders_batch: {}", size("orders_batch"));
    assert!((40_000..60_000).contains(&size("vendor_nested")), "vendor_nested: {}", size("vendor_nested"));
}
