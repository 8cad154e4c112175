//! The timing loop: every implementation of a workload is timed in interleaved rounds, so a
//! neighbour's load on the shared machine slows all of them alike, and the median of the rounds
//! is reported.

use std::time::{Duration, Instant};

/// How long to measure.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Rounds per workload; each round times every implementation once.
    pub rounds: usize,
    /// The time one implementation runs in one round (calls are repeated to fill it).
    pub sample: Duration,
}

impl Settings {
    /// 21 rounds of 10 ms, or `HOOKMAP_BENCH_ROUNDS` and `HOOKMAP_BENCH_SAMPLE_MS`.
    pub fn from_env() -> Settings {
        let number = |name: &str, default: u64| {
            std::env::var(name).ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(default)
        };
        Settings {
            rounds: number("HOOKMAP_BENCH_ROUNDS", 21) as usize,
            sample: Duration::from_millis(number("HOOKMAP_BENCH_SAMPLE_MS", 10)),
        }
    }
}

/// The median time of one call of each subject.
pub fn medians(subjects: &mut [&mut dyn FnMut()], settings: Settings) -> Vec<Duration> {
    let calls: Vec<u32> = subjects.iter_mut().map(|run| calls_per_sample(*run, settings.sample)).collect();
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(settings.rounds); subjects.len()];
    for _ in 0..settings.rounds {
        for ((run, &n), times) in subjects.iter_mut().zip(&calls).zip(&mut samples) {
            let start = Instant::now();
            for _ in 0..n {
                run();
            }
            times.push(start.elapsed() / n);
        }
    }
    samples
        .into_iter()
        .map(|mut times| {
            times.sort();
            times[times.len() / 2]
        })
        .collect()
}

/// How many calls fill `sample`, from the fastest of a few warm calls.
fn calls_per_sample(run: &mut dyn FnMut(), sample: Duration) -> u32 {
    let mut fastest = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        run();
        fastest = fastest.min(start.elapsed());
    }
    let n = sample.as_nanos() / fastest.as_nanos().max(1);
    n.clamp(1, 1_000_000) as u32
}
