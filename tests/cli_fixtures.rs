//! The fixtures corpus through the real binary, on each database: for every
//! `fixtures/schemas/NN_name/{before,after}.sql` pair, `mb db migrate` and `mb db upgrade`
//! take a database from `before` to `after`; right after, `migrate` finds nothing and
//! `check` (online and offline) passes; `downgrade` brings back exactly `before`, and
//! `upgrade` goes forward again. A pair that a database cannot hold is listed in
//! [`REFUSED`] with the error mb must give instead.

mod common;

use std::path::{Path, PathBuf};

use common::{Db, TestProject};
use mb::backend::OpenMode;
use mb::config::DatabaseUrl;
use mb::schema::Schema;
use mb::schema::parse::parse_schema_sql;

/// Pairs a database cannot hold, and what `mb db migrate` says about them.
const REFUSED: &[(&str, Db, &str)] = &[(
    "47_pass_through_types",
    Db::Postgres,
    "schema.sql cannot be created on PostgreSQL database",
)];

fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schemas");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Runs one fixture; returns what went wrong.
fn round_trip(db: Db, dir: &Path) -> Result<(), String> {
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap_or_default();
    let (before, after) = (read("before.sql"), read("after.sql"));
    let p = TestProject::on(db);
    let run = |args: &[&str]| -> Result<String, String> {
        let output = p.mb().args(args).output().map_err(|e| e.to_string())?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if output.status.success() {
            Ok(text)
        } else {
            Err(format!("mb {}: {text}", args.join(" ")))
        }
    };
    let expect_no_changes = |when: &str| -> Result<(), String> {
        let text = run(&["db", "migrate", "-m", "again"])?;
        if !text.contains("No changes in schema detected.") {
            return Err(format!("{when}: migrate found changes: {text}"));
        }
        run(&["db", "check"]).map_err(|e| format!("{when}: {e}"))?;
        run(&["db", "check", "--offline"]).map_err(|e| format!("{when}: {e}"))?;
        Ok(())
    };

    p.write("schema.sql", &before);
    if !before.trim().is_empty() {
        run(&["db", "migrate", "-m", "before", "--rev-id", "r1"])?;
    }
    run(&["db", "upgrade"])?;
    expect_no_changes("at before")?;

    p.write("schema.sql", &after);
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    if let Some((_, _, refusal)) = REFUSED.iter().find(|(n, d, _)| *n == name && *d == db) {
        let output = p
            .mb()
            .args(["db", "migrate", "-m", "after"])
            .output()
            .map_err(|e| e.to_string())?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        return match stderr.strip_prefix("error: ") {
            Some(line) if line.contains(refusal) && line.lines().count() == 1 => Ok(()),
            _ => Err(format!(
                "expected one line `error: …{refusal}…`, got: {stderr}"
            )),
        };
    }
    let generated = run(&["db", "migrate", "-m", "after", "--rev-id", "r2"])?;
    if generated.contains("No changes in schema detected.") {
        // Pairs that only spell the same schema differently generate nothing.
        return Ok(());
    }
    run(&["db", "upgrade"])?;
    expect_no_changes("at after")?;

    run(&["db", "downgrade", "-1"])?;
    // Not at head now, so `check` would refuse: compare the database itself.
    let declared = parse_schema_sql(&before, Path::new("before.sql")).map_err(|e| e.message)?;
    let (live, declared) = live_and_declared(&p, &declared)?;
    if live != declared {
        return Err(format!(
            "after downgrade the database is not `before`:\n{live:#?}"
        ));
    }
    run(&["db", "upgrade"])?;
    run(&["db", "check"]).map_err(|e| format!("after upgrading again: {e}"))?;
    Ok(())
}

/// The project's database as mb reads it, and `declared` as that database reads it back
/// (the same schema, for a database that keeps declared SQL as written).
fn live_and_declared(p: &TestProject, declared: &Schema) -> Result<(Schema, Schema), String> {
    let url = DatabaseUrl::parse(p.database_url(), p.root()).map_err(|e| e.message)?;
    let mut connected = mb::backend::connect(&url, OpenMode::Read).map_err(|e| e.message)?;
    let live = connected.backend.introspect().map_err(|e| e.message)?;
    let read_back = connected
        .backend
        .read_back(declared)
        .map_err(|e| e.message)?;
    Ok((live, read_back.unwrap_or_else(|| declared.clone())))
}

crate::on_each_database!(every_fixture_pair_migrates_upgrades_and_downgrades_through_the_cli);

fn every_fixture_pair_migrates_upgrades_and_downgrades_through_the_cli(db: Db) {
    let dirs = fixture_dirs();
    assert!(dirs.len() >= 40, "the corpus has {} pairs", dirs.len());
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = dirs
            .chunks(dirs.len().div_ceil(4))
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter_map(|dir| {
                            round_trip(db, dir).err().map(|e| {
                                format!("{}: {e}", dir.file_name().unwrap().to_string_lossy())
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
