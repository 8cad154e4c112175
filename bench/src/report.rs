//! The bench's output: a table, one `bench:` line per workload, and the ratios against the
//! targets of the performance issue.

use std::fmt::Write as _;

use crate::implementation::Kind;

/// The measurements of one workload.
#[derive(Debug)]
pub struct Row {
    /// The workload's name.
    pub workload: &'static str,
    /// Payload size.
    pub bytes: usize,
    /// Records per payload.
    pub records: usize,
    /// MB/s of payload (median) per [`Kind::ALL`]; `None` where the implementation is missing.
    pub mbps: [Option<f64>; 4],
}

impl Row {
    fn get(&self, kind: Kind) -> Option<f64> {
        self.mbps[Kind::ALL.iter().position(|&k| k == kind).unwrap_or(0)]
    }

    /// How many times faster `a` is than `b` (the inverse ratio of their times).
    fn speedup(&self, a: Kind, b: Kind) -> Option<f64> {
        Some(self.get(a)? / self.get(b)?)
    }
}

fn cell(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"))
}

fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"))
}

/// A Markdown table: MB/s per implementation and the ratios the targets use.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("| workload | KB | records | generated | interpreted | handwritten | floor | gen ÷ interp speed | gen ÷ floor time | gen ÷ hand time |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {:.1} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.workload,
            r.bytes as f64 / 1000.0,
            r.records,
            cell(r.get(Kind::Generated)),
            cell(r.get(Kind::Interpreted)),
            cell(r.get(Kind::Handwritten)),
            cell(r.get(Kind::Floor)),
            ratio(r.speedup(Kind::Generated, Kind::Interpreted)),
            ratio(r.speedup(Kind::Floor, Kind::Generated)),
            ratio(r.speedup(Kind::Handwritten, Kind::Generated)),
        );
    }
    out
}

/// `bench: WORKLOAD generated=X interpreted=Y handwritten=Z floor=W`, MB/s, `-` where missing.
pub fn bench_lines(rows: &[Row]) -> String {
    let mut out = String::new();
    for r in rows {
        let _ = write!(out, "bench: {}", r.workload);
        for kind in Kind::ALL {
            let _ = write!(out, " {}={}", kind.name(), cell(r.get(kind)));
        }
        out.push('\n');
    }
    out
}

/// Each target of the issue with the measured ratio and whether it is met.
pub fn targets(rows: &[Row]) -> String {
    let mut out = String::new();
    let mut line = |what: String, value: Option<f64>, met: fn(f64) -> bool, need: &str| {
        let verdict = match value {
            Some(v) if met(v) => "met",
            Some(_) => "MISSED",
            None => "not measured",
        };
        let _ = writeln!(out, "target: {what} = {} (need {need}): {verdict}", ratio(value));
    };
    for r in rows {
        let speed = r.speedup(Kind::Generated, Kind::Interpreted);
        if matches!(r.workload, "orders_batch" | "vendor_nested") {
            line(format!("{} generated vs interpreted speed", r.workload), speed, |v| v >= 5.0, ">= 5");
        } else {
            line(format!("{} generated vs interpreted speed", r.workload), speed, |v| v >= 3.0, ">= 3");
        }
        if r.workload == "orders_batch" {
            let time = r.speedup(Kind::Floor, Kind::Generated);
            line(format!("{} generated time / floor time", r.workload), time, |v| v <= 1.5, "<= 1.5");
        }
        if r.get(Kind::Handwritten).is_some() {
            let time = r.speedup(Kind::Handwritten, Kind::Generated);
            line(format!("{} generated time / handwritten time", r.workload), time, |v| v <= 1.1, "<= 1.1");
        }
    }
    out
}
