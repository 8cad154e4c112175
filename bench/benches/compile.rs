//! Build cost of one mapper: the time `hookmap_compiler::compile` takes for each workload's
//! mapper (what `mapper!` does per invocation: parse, check, lower, generate tokens), and with
//! the `Builder`'s formatting added. Medians of repeated runs in this (optimized) binary; the
//! proc macro runs the compiler built with the host's release settings, so this is the figure
//! to compare with the 50 ms budget. Printed, never asserted: timing is not a test.

use std::time::{Duration, Instant};

use hookmap_bench::workloads;
use hookmap_compiler::{Options, Source, compile, format};

const RUNS: usize = 31;

fn main() {
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let mut slowest = (Duration::ZERO, "");
    println!("\n| mapper | compile (mapper!) ms | compile + format (Builder) ms | result |");
    println!("|---|---:|---:|---|");
    for workload in workloads::all() {
        if !filters.is_empty() && !filters.iter().any(|f| workload.name.contains(f.as_str())) {
            continue;
        }
        let source = Source::inline(format!("{}.json", workload.name), workload.mapper);
        let options = Options {
            type_name: Some(hookmap_compiler::generate::camel_case(workload.name)),
            config_name: Some(workload.name.to_owned()),
            ..Options::default()
        };
        let result = compile(&source, &options);
        let verdict = if result.is_ok() { "compiled" } else { "rejected (not supported yet)" };
        let tokens = median(|| {
            let _ = std::hint::black_box(compile(&source, &options));
        });
        let formatted = median(|| {
            if let Ok(output) = compile(&source, &options) {
                std::hint::black_box(format(&output.tokens));
            }
        });
        if tokens > slowest.0 {
            slowest = (tokens, workload.name);
        }
        println!("| {} | {:.2} | {:.2} | {verdict} |", workload.name, ms(tokens), ms(formatted));
    }
    println!();
    println!("compile: slowest {} {:.2} ms (budget 50 ms per mapper! expansion)", slowest.1, ms(slowest.0));
}

fn median(mut run: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
