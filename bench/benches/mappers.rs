//! `cargo bench -p hookmap-bench [-- WORKLOAD...]`: maps every workload with each
//! implementation and prints MB/s of payload (medians of interleaved rounds), the `bench:`
//! lines and the ratios against the targets. See `docs/benchmarks.md`.

use std::hint::black_box;

use hookmap_bench::implementation::{Implementations, Kind};
use hookmap_bench::measure::{self, Settings};
use hookmap_bench::report::{self, Row};
use hookmap_bench::workloads;

fn main() {
    // Cargo passes `--bench`; other arguments select workloads by substring.
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let settings = Settings::from_env();
    let mut rows = Vec::new();
    for workload in workloads::all() {
        if !filters.is_empty() && !filters.iter().any(|f| workload.name.contains(f.as_str())) {
            continue;
        }
        let implementations = Implementations::new(&workload);
        let payload = workload.payload.as_slice();
        let expected = implementations.records(Kind::Interpreted, payload);
        let mut kinds = Vec::new();
        for kind in Kind::ALL {
            if let Err(why) = implementations.available(kind) {
                let why = why.lines().next().unwrap_or_default();
                eprintln!("note: {} has no {} implementation: {why}", workload.name, kind.name());
                continue;
            }
            match implementations.records(kind, payload) {
                Ok(None) => {}
                Ok(records) if expected.as_ref().is_ok_and(|e| *e == records) => {}
                other => {
                    eprintln!(
                        "error: {} {} does not produce the interpreter's records: {other:?}",
                        workload.name,
                        kind.name()
                    );
                    std::process::exit(1);
                }
            }
            kinds.push(kind);
        }
        let records = implementations.run(Kind::Interpreted, payload).unwrap_or(0);
        let mut runners: Vec<Box<dyn FnMut() + '_>> = kinds
            .iter()
            .map(|&kind| {
                let implementations = &implementations;
                Box::new(move || {
                    let _ = black_box(implementations.run(kind, black_box(payload)));
                }) as Box<dyn FnMut()>
            })
            .collect();
        let mut subjects: Vec<&mut dyn FnMut()> =
            runners.iter_mut().map(|r| &mut **r as &mut dyn FnMut()).collect();
        let medians = measure::medians(&mut subjects, settings);
        let mut mbps = [None; 4];
        for (kind, median) in kinds.iter().zip(medians) {
            let slot = Kind::ALL.iter().position(|k| k == kind).unwrap_or(0);
            mbps[slot] = Some(payload.len() as f64 / median.as_secs_f64() / 1e6);
        }
        let row = Row { workload: workload.name, bytes: payload.len(), records, mbps };
        // Print as we go, so a long run shows progress.
        eprint!("{}", report::bench_lines(std::slice::from_ref(&row)));
        rows.push(row);
    }
    println!("\n{}", report::table(&rows));
    print!("{}", report::bench_lines(&rows));
    println!();
    print!("{}", report::targets(&rows));
}
