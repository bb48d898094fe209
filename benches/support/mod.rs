//! Shared by the benchmarks: run the real `mb` binary, take the median of several runs,
//! print one table.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The release binary cargo built for this benchmark.
pub fn mb(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mb"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("DATABASE_URL");
    command
}

/// Runs `command` (made fresh each time by `make`), checks it succeeded, and returns the
/// median wall-clock time of `runs` runs after one warm-up run.
pub fn median(
    runs: usize,
    mut make: impl FnMut() -> Command,
    mut between: impl FnMut(),
) -> Duration {
    let mut times = Vec::with_capacity(runs);
    for run in 0..=runs {
        let mut command = make();
        let started = Instant::now();
        let output = command.output().expect("mb runs");
        let elapsed = started.elapsed();
        assert!(
            output.status.success(),
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        between();
        if run > 0 {
            times.push(elapsed);
        }
    }
    times.sort();
    times[times.len() / 2]
}

pub fn print_table(title: &str, header: &[&str], rows: &[Vec<String>]) {
    println!("\n{title}\n");
    println!("| {} |", header.join(" | "));
    println!("|{}", header.iter().map(|_| " --- |").collect::<String>());
    for row in rows {
        println!("| {} |", row.join(" | "));
    }
}

pub fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
