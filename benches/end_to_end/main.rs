//! The real `mb` binary end to end against its floor, timed with hyperfine, printed as
//! one table (see benches/RESULTS.md). `benches/run.sh [--quick]` installs hyperfine and
//! runs it; `cargo bench --bench end_to_end -- --quick` runs it directly.
//!
//! The floor of an upgrade is the script `mb db upgrade --sql` prints for the same
//! revisions — their statements, the version and history rows, and a transaction per
//! revision (or one, with `--single-transaction`) — executed statement by statement
//! through the same driver in one connection. mb's extra work is everything else:
//! reading and checking the revision files, planning, rendering, checking the version
//! rows in each transaction and, on MySQL, recording each statement's progress.
//!
//! The binary is also its own helper for hyperfine: `end_to_end floor URL SCRIPT` runs
//! a floor, `end_to_end reset URL [TEMPLATE]` gives the next run an empty database, and
//! `end_to_end remove FILE` removes a file a run wrote.

mod floor;
mod measure;
mod workloads;

use std::path::Path;
use std::time::Duration;

use measure::Timed;

/// How much to run: `--quick` for a check in about a minute, the full set for
/// RESULTS.md.
#[derive(Clone, Copy)]
pub struct Scale {
    quick: bool,
}

impl Scale {
    /// Timed runs of a workload; `slow` ones (seconds each) get fewer.
    fn runs(self, slow: bool) -> usize {
        if slow || self.quick { 3 } else { 5 }
    }
}

/// One line of the table.
struct Row {
    workload: String,
    size: String,
    mb: Duration,
    floor: Option<Duration>,
    /// mb over the floor, or for linearity the cost per item over that of the size
    /// before.
    ratio: Option<f64>,
    target: String,
    /// `None` for a row that is reported, with no target of its own.
    pass: Option<bool>,
    rss_kib: u64,
}

impl Row {
    /// A row whose target is `limit` times the floor.
    fn against_floor(
        workload: &str,
        size: usize,
        mb: (Duration, u64),
        floor: Duration,
        limit: f64,
    ) -> Row {
        let ratio = mb.0.as_secs_f64() / floor.as_secs_f64();
        Row {
            workload: workload.into(),
            size: thousands(size),
            mb: mb.0,
            floor: Some(floor),
            ratio: Some(ratio),
            target: format!("≤ {limit}× floor"),
            pass: Some(ratio <= limit),
            rss_kib: mb.1,
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        ["floor", url, script] => return floor::run(url, Path::new(script)),
        ["reset", url] => return floor::reset(url, None),
        ["reset", url, template] => return floor::reset(url, Some(Path::new(template))),
        ["remove", file] => {
            let _ = std::fs::remove_file(file);
            return;
        }
        _ => {}
    }
    let scale = Scale {
        quick: args.contains(&"--quick"),
    };
    let mut rows = Vec::new();
    workloads::sqlite_upgrades(scale, &mut rows);
    workloads::sqlite_rebuild(scale, &mut rows);
    // Before the servers: after thousands of revisions a server goes on writing its
    // pages back for a while, and the start-up commands are timed in milliseconds.
    let mut local = Vec::new();
    workloads::startup(scale, &mut local);
    workloads::migrate(scale, &mut local);
    for (variable, name) in [
        ("MB_TEST_POSTGRES_URL", "PostgreSQL"),
        ("MB_TEST_MYSQL_URL", "MariaDB"),
    ] {
        match std::env::var(variable) {
            Ok(url) => workloads::server_upgrades(scale, name, &url, &mut rows),
            Err(_) => eprintln!("{variable} is not set: the {name} workloads are skipped"),
        }
    }
    rows.extend(local);
    print_table(scale, &rows);
}

fn print_table(scale: Scale, rows: &[Row]) {
    let mode = if scale.quick { ", quick mode" } else { "" };
    println!("\nmb end to end (median of hyperfine runs{mode})\n");
    println!("| workload | size | mb | floor | ratio | target | pass | mb peak RSS |");
    println!("| --- | ---: | ---: | ---: | ---: | --- | --- | ---: |");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} MiB |",
            row.workload,
            row.size,
            millis(row.mb),
            row.floor.map_or("—".into(), millis),
            row.ratio.map_or("—".into(), |r| format!("{r:.2}×")),
            row.target,
            match row.pass {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "—",
            },
            row.rss_kib as f64 / 1024.0,
        );
    }
}

fn millis(d: Duration) -> String {
    match d.as_secs_f64() {
        s if s >= 10.0 => format!("{s:.1} s"),
        s => format!("{:.1} ms", s * 1000.0),
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Times `mb` (median) and measures its peak memory.
fn time_mb(timed: &Timed, runs: usize, warmup: usize) -> (Duration, u64) {
    let measured = (timed.median(runs, warmup), timed.peak_rss_kib());
    eprintln!("  measured {}: {}", timed.describe(), millis(measured.0));
    measured
}

/// Times `mb` and its `floor` in turns (medians), and measures mb's peak memory.
fn time_mb_and_floor(
    mb: &Timed,
    floor: &Timed,
    runs: usize,
    warmup: usize,
) -> ((Duration, u64), Duration) {
    let (mb_time, floor_time) = measure::alternating_medians(mb, floor, runs, warmup);
    eprintln!(
        "  measured {}: {} (floor {})",
        mb.describe(),
        millis(mb_time),
        millis(floor_time)
    );
    ((mb_time, mb.peak_rss_kib()), floor_time)
}
