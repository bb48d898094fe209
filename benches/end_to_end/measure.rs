//! Timing with hyperfine (median of several runs, no shell in between) and peak memory
//! with GNU time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// One command to time: the program and its arguments, run in `dir`, with `prepare`
/// run before each timed run (to give every run the same starting database).
pub struct Timed {
    pub dir: PathBuf,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub prepare: Option<Vec<String>>,
}

impl Timed {
    pub fn new(dir: &Path, program: &Path, args: &[&str]) -> Timed {
        Timed {
            dir: dir.to_path_buf(),
            program: program.to_path_buf(),
            args: args.iter().map(|a| a.to_string()).collect(),
            prepare: None,
        }
    }

    /// Runs `self_args` of this benchmark binary before each run.
    pub fn prepared_by(mut self, self_args: &[&str]) -> Timed {
        let mut prepare = vec![self_exe().display().to_string()];
        prepare.extend(self_args.iter().map(|a| a.to_string()));
        self.prepare = Some(prepare);
        self
    }

    /// The command's arguments, for progress lines.
    pub fn describe(&self) -> String {
        self.args.join(" ")
    }

    fn command_line(&self) -> String {
        std::iter::once(self.program.display().to_string())
            .chain(self.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn run_prepare(&self) {
        if let Some(prepare) = &self.prepare {
            let status = Command::new(&prepare[0])
                .args(&prepare[1..])
                .current_dir(&self.dir)
                .status()
                .expect("prepare runs");
            assert!(status.success(), "prepare {prepare:?} failed");
        }
    }

    /// The median wall-clock time of `runs` runs (after `warmup` untimed ones).
    pub fn median(&self, runs: usize, warmup: usize) -> Duration {
        let csv = self.dir.join(".hyperfine.csv");
        let mut hyperfine = Command::new("hyperfine");
        hyperfine
            .current_dir(&self.dir)
            .args(["--shell=none", "--style=none", "--runs"])
            .arg(runs.to_string())
            .arg("--warmup")
            .arg(warmup.to_string())
            .arg("--export-csv")
            .arg(&csv);
        if let Some(prepare) = &self.prepare {
            hyperfine.arg("--prepare").arg(prepare.join(" "));
        }
        let output = hyperfine
            .arg(self.command_line())
            .output()
            .expect("hyperfine runs (benches/run.sh installs it)");
        assert!(
            output.status.success(),
            "hyperfine {}: {}",
            self.command_line(),
            String::from_utf8_lossy(&output.stderr)
        );
        let text = std::fs::read_to_string(&csv).unwrap();
        // command,mean,stddev,median,user,system,min,max
        let row = text.lines().nth(1).expect("a result row");
        let median: f64 = row.split(',').nth(3).unwrap().parse().unwrap();
        Duration::from_secs_f64(median)
    }

    /// Peak resident memory of one run, in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        self.run_prepare();
        let report = self.dir.join(".rss");
        let output = Command::new("/usr/bin/time")
            .current_dir(&self.dir)
            .args(["-f", "%M", "-o"])
            .arg(&report)
            .arg(&self.program)
            .args(&self.args)
            .output()
            .expect("GNU time runs");
        assert!(
            output.status.success(),
            "{}: {}",
            self.command_line(),
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read_to_string(&report)
            .unwrap()
            .trim()
            .lines()
            .last()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Runs once and checks that it succeeds (for set-up steps).
    pub fn run_ok(&self) {
        self.run_prepare();
        let output = Command::new(&self.program)
            .current_dir(&self.dir)
            .args(&self.args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}: {}",
            self.command_line(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The medians of `a` and `b` timed in turns, one run of each per round, after `warmup`
/// untimed rounds. The disk and the database servers of a shared machine speed up and
/// slow down over minutes; timing all of one command's runs and then all of the
/// other's would put that drift into their ratio.
pub fn alternating_medians(
    a: &Timed,
    b: &Timed,
    runs: usize,
    warmup: usize,
) -> (Duration, Duration) {
    let (mut of_a, mut of_b) = (Vec::new(), Vec::new());
    let mut rounds = warmup + runs;
    let mut round = 0;
    while round < rounds {
        let times = (a.median(1, 0), b.median(1, 0));
        if round == 0 && times.0.max(times.1) < SHORT {
            rounds = rounds.max(warmup + SHORT_ROUNDS);
        }
        if round >= warmup {
            of_a.push(times.0);
            of_b.push(times.1);
        }
        round += 1;
    }
    (median(of_a), median(of_b))
}

/// A pair of commands each shorter than `SHORT` gets at least `SHORT_ROUNDS` rounds: a
/// single run of tens of milliseconds moves by a quarter on a shared machine (a disk
/// sync, a neighbour), and such rounds cost little.
const SHORT: Duration = Duration::from_millis(100);
const SHORT_ROUNDS: usize = 21;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    match times.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => times[n / 2],
        n => (times[n / 2 - 1] + times[n / 2]) / 2,
    }
}

pub fn self_exe() -> PathBuf {
    std::env::current_exe().expect("the benchmark binary")
}
