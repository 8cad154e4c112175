//! Runs one implementation on one workload many times, for a profiler:
//!
//! ```sh
//! cargo build --profile bench -p hookmap-bench --example profile
//! valgrind --tool=callgrind target/release/examples/profile orders_batch generated 200
//! ```

use std::hint::black_box;

use hookmap_bench::implementation::{Implementations, Kind};
use hookmap_bench::workloads;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, kind, calls] = args.as_slice() else {
        return Err("usage: profile WORKLOAD generated|interpreted|handwritten|floor CALLS".into());
    };
    let kind = Kind::ALL.into_iter().find(|k| k.name() == kind).ok_or("unknown implementation")?;
    let calls: usize = calls.parse().map_err(|_| "CALLS must be a number")?;
    let workload = workloads::all().into_iter().find(|w| w.name == name).ok_or("unknown workload")?;
    let implementations = Implementations::new(&workload);
    for _ in 0..calls {
        black_box(implementations.run(kind, black_box(&workload.payload))?);
    }
    Ok(())
}
