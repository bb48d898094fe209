//! The workloads: each makes its own project in a temporary directory, times mb and its
//! floor, and adds rows to the table.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::measure::{Timed, self_exe};
use crate::{Row, Scale, thousands, time_mb, time_mb_and_floor};

fn mb_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mb"))
}

fn revision_text(id: &str, parent: &str, message: &str, up: &str, down: &str) -> String {
    format!(
        "-- {message}\n--\n-- Revision ID: {id}\n-- Revises: {parent}\n-- Create Date: 2026-11-24 10:00:00\n--\n-- migrate:up\n{up}\n-- migrate:down\n{down}"
    )
}

/// The URL of the SQLite file at an absolute `path` (`sqlite:////abs/path`).
fn sqlite_url(path: &Path) -> String {
    format!("sqlite:///{}", path.display())
}

fn id(i: usize) -> String {
    format!("{i:012x}")
}

fn new_project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("migrations/versions")).unwrap();
    std::fs::write(tmp.path().join("mb.toml"), "").unwrap();
    tmp
}

fn write_revision(dir: &Path, id: &str, parent: &str, up: &str, down: &str) {
    let message = format!("revision {id}");
    std::fs::write(
        dir.join(format!("migrations/versions/{id}_rev.sql")),
        revision_text(id, parent, &message, up, down),
    )
    .unwrap();
}

/// `count` revisions that create one table each.
fn one_table_revisions(count: usize) -> tempfile::TempDir {
    let tmp = new_project();
    for i in 1..=count {
        let parent = if i == 1 { String::new() } else { id(i - 1) };
        write_revision(
            tmp.path(),
            &id(i),
            &parent,
            &format!(
                "CREATE TABLE \"t{i}\" (\"id\" INTEGER PRIMARY KEY, \"name\" VARCHAR(40) NOT NULL, \"created\" TIMESTAMP);\n"
            ),
            &format!("DROP TABLE \"t{i}\";\n"),
        );
    }
    tmp
}

/// `mb --database-url URL ARGS` in `dir`.
fn mb(dir: &Path, url: &str, args: &[&str]) -> Timed {
    let mut all = vec!["--database-url", url];
    all.extend_from_slice(args);
    Timed::new(dir, &mb_exe(), &all)
}

/// The floor: this binary running `script` against `url`.
fn floor(dir: &Path, url: &str, script: &Path) -> Timed {
    Timed::new(dir, &self_exe(), &["floor", url, script.to_str().unwrap()])
}

/// Writes what `mb db upgrade --sql EXTRA` prints for the project to `floor.sql`.
fn offline_script(dir: &Path, url: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec!["--database-url", url, "db", "upgrade", "--sql"];
    args.extend_from_slice(extra);
    let output = std::process::Command::new(mb_exe())
        .current_dir(dir)
        .args(&args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let path = dir.join("floor.sql");
    std::fs::write(&path, output.stdout).unwrap();
    path
}

/// Upgrades of `count` one-table revisions on an empty database at `url`, revision by
/// revision and (where the database allows it) in one transaction, against their floors.
fn upgrades(
    scale: Scale,
    database: &str,
    url: &str,
    count: usize,
    single_transaction: bool,
    rows: &mut Vec<Row>,
) {
    let project = one_table_revisions(count);
    let dir = project.path();
    let slow = count >= 1_000;
    let runs = scale.runs(slow);
    let warmup = usize::from(!slow);
    let modes: &[(&str, &[&str])] = match single_transaction {
        true => &[
            ("", &[]),
            (" --single-transaction", &["--single-transaction"]),
        ],
        false => &[("", &[])],
    };
    for (name, flags) in modes {
        let script = offline_script(dir, url, flags);
        let mut args = vec!["db", "upgrade"];
        args.extend_from_slice(flags);
        let mb_run = mb(dir, url, &args).prepared_by(&["reset", url]);
        let floor_run = floor(dir, url, &script).prepared_by(&["reset", url]);
        let (mb_time, floor_time) = time_mb_and_floor(&mb_run, &floor_run, runs, warmup);
        rows.push(Row::against_floor(
            &format!("{database} upgrade{name}"),
            count,
            mb_time,
            floor_time,
            1.5,
        ));
    }
}

pub fn sqlite_upgrades(scale: Scale, rows: &mut Vec<Row>) {
    let sizes: &[usize] = if scale.quick { &[300] } else { &[300, 3_000] };
    for &count in sizes {
        let tmp = tempfile::tempdir().unwrap();
        let url = sqlite_url(&tmp.path().join("bench.db"));
        upgrades(scale, "SQLite", &url, count, true, rows);
    }
}

/// `server_url` names any database on the server; the workloads use `mb_bench` beside it.
pub fn server_upgrades(scale: Scale, name: &str, server_url: &str, rows: &mut Vec<Row>) {
    let (server, _) = server_url.rsplit_once('/').expect("a database name");
    let url = format!("{server}/mb_bench");
    // Quick mode: 300 only (3,000 tables on a server, created and dropped for every
    // timed run, take minutes).
    let sizes: &[usize] = if scale.quick { &[300] } else { &[300, 3_000] };
    for &count in sizes {
        // MySQL has no transactional DDL. On PostgreSQL each new table holds locks until
        // the commit, and 3,000 of them overflow the default lock table
        // (max_locks_per_transaction 64 × max_connections 100): the floor and mb both
        // stop with "out of shared memory".
        let transactional = name == "PostgreSQL" && count <= 300;
        upgrades(scale, name, &url, count, transactional, rows);
    }
    crate::floor::reset(&url, None);
}

/// The columns of the rebuilt table, with `code`'s type.
fn item_table(name: &str, code_type: &str) -> String {
    format!(
        "CREATE TABLE \"{name}\" (\"id\" INTEGER PRIMARY KEY, \"code\" {code_type} NOT NULL, \"name\" VARCHAR(40) NOT NULL, \"price\" NUMERIC(10,2), \"created\" TIMESTAMP)"
    )
}

const ITEM_INDEXES: &str = "CREATE INDEX \"ix_item_code\" ON \"item\" (\"code\");\nCREATE INDEX \"ix_item_name\" ON \"item\" (\"name\");\nCREATE INDEX \"ix_item_created\" ON \"item\" (\"created\");\n";

/// An SQLite table of a million rows with three indexes whose `code` column changes type:
/// SQLite cannot alter a column, so mb rebuilds the table; the floor is the same rebuild
/// written by hand.
pub fn sqlite_rebuild(scale: Scale, rows: &mut Vec<Row>) {
    let count = if scale.quick { 100_000 } else { 1_000_000 };
    let project = new_project();
    let dir = project.path();
    write_revision(
        dir,
        "r1",
        "",
        &format!("{};\n{ITEM_INDEXES}", item_table("item", "INTEGER")),
        "DROP TABLE \"item\";\n",
    );
    write_revision(
        dir,
        "r2",
        "r1",
        "ALTER TABLE \"item\" ALTER COLUMN \"code\" TYPE BIGINT;\n",
        "ALTER TABLE \"item\" ALTER COLUMN \"code\" TYPE INTEGER;\n",
    );
    let template = dir.join("template.db");
    let template_url = sqlite_url(&template);
    mb(dir, &template_url, &["db", "upgrade", "r1"]).run_ok();
    let conn = rusqlite::Connection::open(&template).unwrap();
    conn.execute_batch(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
         INSERT INTO \"item\" SELECT i, i * 7919 % 1000003, 'item ' || i, (i % 1000) + 0.25, \
         '2026-01-01 00:00:00' FROM n"
    ))
    .unwrap();
    drop(conn);

    let url = sqlite_url(&dir.join("bench.db"));
    let reset = ["reset", url.as_str(), template.to_str().unwrap()];
    let script = dir.join("rebuild.sql");
    std::fs::write(
        &script,
        format!(
            "PRAGMA foreign_keys = OFF;\nBEGIN;\n{};\nINSERT INTO \"item_new\" (\"id\", \"code\", \"name\", \"price\", \"created\") SELECT \"id\", \"code\", \"name\", \"price\", \"created\" FROM \"item\";\nDROP TABLE \"item\";\nALTER TABLE \"item_new\" RENAME TO \"item\";\n{ITEM_INDEXES}PRAGMA foreign_key_check;\nUPDATE \"mb_version\" SET \"version_num\" = 'r2';\nINSERT INTO \"mb_history\" (\"revision\", \"operation\", \"checksum\", \"applied_at\", \"duration_ms\") VALUES ('r2', 'upgrade', '0', '2026-11-24 10:00:00', 0);\nCOMMIT;\nPRAGMA foreign_keys = ON;\n",
            item_table("item_new", "BIGINT")
        ),
    )
    .unwrap();
    let runs = scale.runs(true);
    let floor_run = floor(dir, &url, &script).prepared_by(&reset);
    let mb_run = mb(dir, &url, &["db", "upgrade"]).prepared_by(&reset);
    let (mb_time, floor_time) = time_mb_and_floor(&mb_run, &floor_run, runs, 0);
    rows.push(Row::against_floor(
        "SQLite rebuild (type change, 3 indexes)",
        count,
        mb_time,
        floor_time,
        1.3,
    ));
}

#[derive(Clone, Copy)]
enum Shape {
    /// Each revision revises the one before.
    Chain,
    /// Blocks of ten: a revision, two branches of four on it, and their merge.
    Branched,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Chain => "chain",
            Shape::Branched => "branched",
        }
    }

    /// The parents of revision `i` (1-based).
    fn parents(self, i: usize) -> Vec<usize> {
        match (self, i % 10) {
            (_, _) if i == 1 => vec![],
            (Shape::Chain, _) => vec![i - 1],
            // 1: on the previous block's merge; 2-5 and 6-9: two branches; 0: the merge.
            (Shape::Branched, 1) => vec![i - 1],
            (Shape::Branched, 2) | (Shape::Branched, 6) => vec![i - (i % 10) + 1],
            (Shape::Branched, 0) => vec![i - 5, i - 1],
            (Shape::Branched, _) => vec![i - 1],
        }
    }
}

/// `current`, `heads` and `history` with 10,000 revision files, the database stamped
/// half way (at a merge, for the branched shape). Target: under 50 ms each. These run as
/// every run after the first does, with the files' text cached (`migrations/.mb_cache`);
/// `heads` also runs with no cache before each run, as after a fresh checkout, where it
/// reads every file and writes the cache.
pub fn startup(scale: Scale, rows: &mut Vec<Row>) {
    let count = 10_000;
    let shapes: &[Shape] = if scale.quick {
        &[Shape::Chain]
    } else {
        &[Shape::Chain, Shape::Branched]
    };
    for &shape in shapes {
        let project = new_project();
        let dir = project.path();
        for i in 1..=count {
            let parents: Vec<String> = shape.parents(i).into_iter().map(id).collect();
            write_revision(
                dir,
                &id(i),
                &parents.join(", "),
                &format!(
                    "CREATE TABLE \"t{i}\" (\"id\" INTEGER PRIMARY KEY, \"name\" VARCHAR(40));\n"
                ),
                &format!("DROP TABLE \"t{i}\";\n"),
            );
        }
        let url = sqlite_url(&dir.join("app.db"));
        mb(dir, &url, &["db", "stamp", &id(count / 2)]).run_ok();
        // The 10,000 new files are still being written back to the disk, which would
        // compete with the timed runs.
        let synced = std::process::Command::new("sync").status();
        assert!(synced.is_ok_and(|s| s.success()), "sync runs");
        // mb caches a file only once it last changed 3 s before the run (SETTLED in
        // src/script/cache.rs); the warm-up runs then fill the cache.
        std::thread::sleep(Duration::from_millis(3_500));
        // Runs of 50 ms are cheap: many of them steady the median.
        let runs = if scale.quick { 5 } else { 20 };
        let mut timed: Vec<(String, Timed, bool)> = ["current", "heads", "history"]
            .into_iter()
            .map(|verb| {
                let workload = format!("{verb} ({} graph)", shape.name());
                (workload, mb(dir, &url, &["db", verb]), true)
            })
            .collect();
        // Reported with no target: the first run in a checkout reads every file.
        let mut first_run = mb(dir, &url, &["db", "heads"]);
        first_run.prepare = Some(
            ["rm", "-rf", "migrations/.mb_cache"]
                .map(String::from)
                .to_vec(),
        );
        let workload = format!("heads, first run: no cache ({} graph)", shape.name());
        timed.push((workload, first_run, false));
        for (workload, timed, has_target) in timed {
            let (time, rss_kib) = time_mb(&timed, runs, 3);
            rows.push(Row {
                workload,
                size: thousands(count),
                mb: time,
                floor: None,
                ratio: None,
                target: if has_target { "< 50 ms" } else { "reported" }.into(),
                pass: has_target.then(|| time < Duration::from_millis(50)),
                rss_kib,
            });
        }
    }
}

/// One declared table of 12 columns, 2 indexes and a foreign key to the one before.
fn declared_table(i: usize) -> String {
    let reference = match i {
        0 => String::new(),
        _ => format!(
            ",\n    \"parent_id\" INTEGER REFERENCES \"t{}\" (\"id\")",
            i - 1
        ),
    };
    format!(
        "CREATE TABLE \"t{i}\" (\n    \"id\" INTEGER PRIMARY KEY,\n    \"name\" VARCHAR(64) NOT NULL,\n    \"email\" VARCHAR(120),\n    \"age\" INTEGER,\n    \"score\" DOUBLE PRECISION,\n    \"active\" BOOLEAN NOT NULL DEFAULT TRUE,\n    \"created\" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n    \"notes\" TEXT,\n    \"price\" NUMERIC(10,2),\n    \"born\" DATE,\n    \"payload\" BLOB{reference}\n);\nCREATE INDEX \"ix_t{i}_name\" ON \"t{i}\" (\"name\");\nCREATE UNIQUE INDEX \"ix_t{i}_email\" ON \"t{i}\" (\"email\");\n"
    )
}

/// `mb db migrate` of N declared tables against an empty SQLite database, N = 50, 500,
/// 5,000. Target: linear, i.e. the cost per table at N at most 1.5 times that at N / 10.
pub fn migrate(scale: Scale, rows: &mut Vec<Row>) {
    let sizes: &[usize] = if scale.quick {
        &[50, 500]
    } else {
        &[50, 500, 5_000]
    };
    let mut per_table_before: Option<f64> = None;
    for &tables in sizes {
        let project = new_project();
        let dir = project.path();
        let schema: String = (0..tables).map(declared_table).collect();
        std::fs::write(dir.join("schema.sql"), schema).unwrap();
        let url = sqlite_url(&dir.join("app.db"));
        let written = dir.join("migrations/versions/bench_bench.sql");
        let timed = mb(
            dir,
            &url,
            &["db", "migrate", "-m", "bench", "--rev-id", "bench"],
        )
        .prepared_by(&["remove", written.to_str().unwrap()]);
        let (time, rss_kib) = time_mb(&timed, scale.runs(tables >= 5_000), 1);
        let per_table = time.as_secs_f64() / tables as f64;
        let ratio = per_table_before.map(|before| per_table / before);
        per_table_before = Some(per_table);
        rows.push(Row {
            workload: "migrate (empty SQLite database)".into(),
            size: thousands(tables),
            mb: time,
            floor: None,
            ratio,
            target: "linear: per table ≤ 1.5× of N/10".into(),
            pass: Some(ratio.is_none_or(|r| r <= 1.5)),
            rss_kib,
        });
    }
}
