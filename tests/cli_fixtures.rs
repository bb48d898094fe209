//! The fixtures corpus through the real binary, on every database: for every
//! `fixtures/schemas/NN_name/{before,after}.sql` pair, `mb db migrate` and `mb db upgrade`
//! take a database from `before` to `after`; right after, `migrate` finds nothing and
//! `check` (online and offline) passes; `downgrade` brings back exactly `before`, and
//! `upgrade` goes forward again. A pair a database cannot do ([`cannot_do`]) fails
//! with a clear error instead, before running anything.

mod common;

use std::path::Path;

use common::{Db, TestProject, fixture_dirs};
use mb::schema::parse::parse_schema_sql;

/// The pairs `db` cannot do, with what the error of `mb db upgrade` (or `migrate`) says.
fn cannot_do(db: Db, pair: &str) -> Option<&'static str> {
    if db == Db::Postgres {
        return (pair == "47_pass_through_types")
            .then_some("type DATETIME does not exist on PostgreSQL, one of the databases this project deploys to");
    }
    if db != Db::Mysql {
        return None;
    }
    Some(match pair {
        "30_partial_index" => "MySQL has no partial indexes",
        "31_expression_index" => "MariaDB cannot index an expression",
        "46_unquoted_names_fold_to_lower_case" => "MySQL cannot index the TEXT column",
        "47_pass_through_types" => {
            "type JSONB does not exist on MySQL, one of the databases this project deploys to"
        }
        _ => return None,
    })
}

/// Runs one fixture; returns what went wrong.
fn round_trip(db: Db, dir: &Path) -> Result<(), String> {
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap_or_default();
    let (before, after) = (read("before.sql"), read("after.sql"));
    let pair = dir.file_name().unwrap().to_string_lossy().into_owned();
    let p = TestProject::on(db);
    // Each run deploys to its one database: what that database has is the question.
    p.deploy_only_here();
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
    if let Some(expected) = cannot_do(db, &pair) {
        // `before` might be what the database cannot do, or `after`.
        let upgraded = run(&["db", "upgrade"]).and_then(|_| {
            p.write("schema.sql", &after);
            run(&["db", "migrate", "-m", "after", "--rev-id", "r2"])?;
            run(&["db", "upgrade"])
        });
        return match upgraded {
            Err(message) if message.contains(expected) && message.lines().count() == 1 => Ok(()),
            other => Err(format!(
                "expected an error with `{expected}`, got {other:?}"
            )),
        };
    }
    run(&["db", "upgrade"])?;
    expect_no_changes("at before")?;

    p.write("schema.sql", &after);
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
    let live = p.live_schema(&[&declared])?;
    if live != declared {
        return Err(format!(
            "after downgrade the database is not `before`:\n{live:#?}"
        ));
    }
    run(&["db", "upgrade"])?;
    run(&["db", "check"]).map_err(|e| format!("after upgrading again: {e}"))?;
    Ok(())
}

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

crate::on_each_database!(every_fixture_pair_migrates_upgrades_and_downgrades_through_the_cli);
