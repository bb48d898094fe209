//! Running scripts: each revision atomic, statements split correctly, and applied
//! scripts watched by their checksums.

mod common;

use common::{Db, TestProject, fails, fails_after_progress, sha256_hex};

const R1: &str = "migrations/versions/r1_one.sql";
const R2: &str = "migrations/versions/r2_two.sql";

/// A project on `db` whose revision r1 creates `t1` with two rows, and runs `down` to
/// undo it (after `-- mb:allow-data-loss`: the rows are meant to go with the table).
fn project_with_revision_one(db: Db, down: &str) -> TestProject {
    let p = TestProject::on(db);
    p.write_revision(
        "r1",
        "",
        "one",
        "CREATE TABLE \"t1\" (\"id\" INTEGER PRIMARY KEY, \"name\" TEXT);\nINSERT INTO \"t1\" (\"id\", \"name\") VALUES (1, 'a'), (2, 'b');\n",
        &format!("-- mb:allow-data-loss\n{down}"),
    );
    p
}

/// r1 creates `t1` with two rows; r2 creates `t2`, fills it, then inserts into a table
/// that does not exist (line 11 of its file, the statement spanning two lines); r3 would
/// create `t3`.
fn project_with_a_failing_second_revision(db: Db) -> TestProject {
    let p = project_with_revision_one(db, "DROP TABLE \"t1\";\n");
    p.write_revision(
        "r2",
        "r1",
        "two",
        "CREATE TABLE \"t2\" (\"id\" INTEGER);\nINSERT INTO \"t2\" VALUES (1);\n\nINSERT INTO \"missing\"\n    VALUES (1);\nCREATE TABLE \"t2b\" (\"id\" INTEGER);\n",
        "DROP TABLE \"t2\";\n",
    );
    p.table_revision("r3", "r2");
    p
}

fn assert_at_revision_one(p: &TestProject) {
    assert_eq!(p.tables(), ["t1"]);
    assert_eq!(
        p.query("SELECT id, name FROM t1 ORDER BY id"),
        [["1", "a"], ["2", "b"]]
    );
    assert_eq!(p.version_rows(), ["r1"]);
    assert_eq!(p.history_ops(), [("r1".to_string(), "upgrade".to_string())]);
}

/// SQLite and PostgreSQL roll the failing revision back; MySQL, whose DDL commits as it
/// runs, keeps what ran, records it, and resumes after the fix without running it twice.
fn a_failing_statement_leaves_the_database_at_the_previous_revision(db: Db) {
    let p = project_with_a_failing_second_revision(db);
    let outcome = if db == Db::Mysql {
        "MySQL commits DDL as it runs, so revision r2 is partly applied on top of r1 (one): statements 1-2 of 4 ran and stay applied (recorded in mb_progress); fix the statement and run `mb db upgrade --resume`, or undo them by hand and run `mb db resolve undone`"
    } else {
        "revision r2 was rolled back, the database is still at r1 (one)"
    };
    let expected = format!(
        "{R2}:11: {}; the statement was: INSERT INTO \"missing\" VALUES (1); {outcome}",
        p.no_such_table("missing")
    );
    let (progress, message) = fails_after_progress(p.mb().args(["db", "upgrade"]), 6);
    assert_eq!(message, expected);
    assert_eq!(
        progress,
        [
            p.using_line(true),
            "Running upgrade <base> -> r1, one".to_string(),
            "Running upgrade r1 -> r2, two".to_string(),
        ]
    );
    if db == Db::Mysql {
        assert_eq!(p.tables(), ["t1", "t2"]);
        assert_eq!(p.query("SELECT id FROM t2"), [["1"]]);
        assert_eq!(p.version_rows(), ["r1"]);
        let interrupted = format!(
            "is partly applied: its upgrade (started {{}} UTC) stopped after statements 1-2 of 4 ({R2}:9), and statement 3 (line 11) failed: {}",
            p.no_such_table("missing")
        );
        let refusal = p.fails(&["-q", "db", "upgrade"], 8);
        assert_partly_applied(&refusal, "revision r2 (two) ", &interrupted);
        assert!(
            refusal.ends_with("; fix what stopped it and run `mb db upgrade --resume` to run statements 3-4, or finish or undo it by hand and record that with `mb db resolve done` or `mb db resolve undone`"),
            "{refusal}"
        );
        let current = p.ok(&["db", "current"]);
        assert_eq!(current.stdout, "r1\n");
        assert_partly_applied(&current.stderr, "warning: revision r2 (two) ", &interrupted);
    } else {
        assert_at_revision_one(&p);
        // With -q the error is the only line; trying again changes nothing.
        assert_eq!(p.fails(&["-q", "db", "upgrade"], 6), expected);
        assert_at_revision_one(&p);
    }

    // Once the script is fixed, the upgrade goes on from where it stopped.
    p.write(
        R2,
        p.read(R2)
            .replace("INSERT INTO \"missing\"\n    VALUES (1);\n", ""),
    );
    if db == Db::Mysql {
        let resumed = p.ok(&["db", "upgrade", "--resume"]);
        assert_eq!(
            resumed.stderr_lines()[1],
            "Running upgrade r1 -> r2, two (resuming after statement 2 of 3)"
        );
    } else {
        p.ok(&["db", "upgrade"]);
    }
    assert_eq!(p.tables(), ["t1", "t2", "t2b", "t_r3"]);
    assert_eq!(p.query("SELECT id FROM t2"), [["1"]], "nothing ran twice");
    assert_eq!(p.version_rows(), ["r3"]);
    if db == Db::Mysql {
        assert_eq!(p.scalar("SELECT count(*) FROM mb_progress"), "0");
    }
}

/// Asserts that `text` starts with `prefix` and then reads like `pattern`, where `{}`
/// stands for the time the attempt started.
fn assert_partly_applied(text: &str, prefix: &str, pattern: &str) {
    let rest = text
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{text:?} does not start with {prefix:?}"));
    let (before, after) = pattern.split_once("{}").expect("a placeholder");
    let rest = rest
        .strip_prefix(before)
        .unwrap_or_else(|| panic!("{rest:?} does not start with {before:?}"));
    let time = &rest[..19];
    assert!(
        chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S").is_ok(),
        "{rest}"
    );
    assert!(rest[19..].starts_with(after), "{rest}");
}

fn a_failing_downgrade_statement_rolls_that_revision_back(db: Db) {
    let p = project_with_revision_one(db, "DROP TABLE \"t1\";\nDELETE FROM \"nowhere\";\n");
    p.ok(&["db", "upgrade"]);
    let (_, message) = fails_after_progress(p.mb().args(["db", "downgrade"]), 6);
    let outcome = if db == Db::Mysql {
        "MySQL commits DDL as it runs, so revision r1 is partly applied on top of r1 (one): statement 1 of 2 ran and stays applied (recorded in mb_progress); fix the statement and run `mb db downgrade --resume`, or undo them by hand and run `mb db resolve undone`"
    } else {
        "revision r1 was rolled back, the database is still at r1 (one)"
    };
    assert_eq!(
        message,
        format!(
            "{R1}:14: {}; the statement was: DELETE FROM \"nowhere\"; {outcome}",
            p.no_such_table("nowhere")
        )
    );
    if db != Db::Mysql {
        assert_at_revision_one(&p);
        return;
    }
    assert!(p.tables().is_empty());
    assert_eq!(p.version_rows(), ["r1"]);
    // An upgrade cannot resume a downgrade.
    assert_eq!(
        p.fails(&["db", "upgrade", "--resume"], 4),
        "revision r1 stopped part way through a downgrade; resume it with `mb db downgrade --resume`"
    );
    p.write(R1, p.read(R1).replace("DELETE FROM \"nowhere\";\n", ""));
    let resumed = p.ok(&["db", "downgrade", "--resume"]);
    assert!(
        resumed
            .stderr_lines()
            .contains(&"Running downgrade r1 -> <base>, one (resuming after statement 1 of 1)"),
        "{}",
        resumed.stderr
    );
    assert!(p.version_rows().is_empty());
}

/// A revision that runs outside a transaction (on MySQL every revision is like that)
/// stops after two of its statements; the next commands say exactly that, resume refuses
/// changed statements, and `mb db resolve` settles it either way.
fn an_interrupted_revision_is_reported_and_resolved(db: Db) {
    let p = TestProject::on(db);
    p.table_revision("r1", "");
    let up = "CREATE TABLE \"a\" (\"id\" INTEGER PRIMARY KEY);\nINSERT INTO \"a\" (\"id\") VALUES (1);\nINSERT INTO \"nowhere\" (\"id\") VALUES (1);\nCREATE TABLE \"b\" (\"id\" INTEGER PRIMARY KEY);\n";
    let file = p.write_revision(
        "r2",
        "r1",
        "two",
        up,
        "DROP TABLE \"b\";\nDROP TABLE \"a\";\n",
    );
    p.write(
        &file,
        p.read(&file)
            .replace("-- migrate:up\n", "-- mb:no-transaction\n-- migrate:up\n"),
    );
    p.table_revision("r3", "r2");
    let why = match db {
        Db::Mysql => "MySQL commits DDL as it runs",
        _ => "the revision runs outside a transaction (-- mb:no-transaction)",
    };
    let (_, message) = fails_after_progress(p.mb().args(["db", "upgrade"]), 6);
    assert!(
        message.ends_with(&format!("; {why}, so revision r2 is partly applied on top of r1 (create t_r1): statements 1-2 of 4 ran and stay applied (recorded in mb_progress); fix the statement and run `mb db upgrade --resume`, or undo them by hand and run `mb db resolve undone`")),
        "{message}"
    );
    assert_eq!(p.tables(), ["a", "t_r1"]);
    assert_eq!(p.version_rows(), ["r1"]);
    let interrupted = format!(
        "is partly applied: its upgrade (started {{}} UTC) stopped after statements 1-2 of 4 ({file}:10), and statement 3 (line 11) failed: {}",
        p.no_such_table("nowhere")
    );
    for verb in [
        &["db", "upgrade"][..],
        &["db", "downgrade"],
        &["db", "stamp", "head"],
    ] {
        let refusal = fails_after_progress(p.mb().args(verb), 8).1;
        assert_partly_applied(&refusal, "revision r2 (two) ", &interrupted);
    }
    let current = p.ok(&["db", "current"]);
    assert_partly_applied(&current.stderr, "warning: revision r2 (two) ", &interrupted);

    // Resuming would skip SQL that never ran when a statement that ran was changed.
    let original = p.read(&file);
    p.write(
        &file,
        original.replace(
            "VALUES (1);\nINSERT INTO \"nowhere\"",
            "VALUES (2);\nINSERT INTO \"nowhere\"",
        ),
    );
    assert_eq!(
        fails_after_progress(p.mb().args(["db", "upgrade", "--resume"]), 8).1,
        "the statements 1-2 of 4 of revision r2 that already ran changed since; resuming would skip SQL that never ran, so restore them, or finish or undo the revision by hand and run `mb db resolve done` or `mb db resolve undone`"
    );
    p.write(&file, &original);

    // Undone by hand: the attempt is forgotten and the revision runs again from the start.
    p.execute("DROP TABLE \"a\"");
    let resolved = p.ok(&["db", "resolve", "undone"]);
    assert_eq!(
        resolved.stderr_lines().last().copied(),
        Some(
            "Recorded revision r2 as not applied: its partial upgrade is forgotten; no SQL was run; the database is at r1 (create t_r1)."
        )
    );
    let current = p.ok(&["db", "current"]);
    assert!(!current.stderr.contains("warning"), "{}", current.stderr);
    fails_after_progress(p.mb().args(["db", "upgrade"]), 6);
    assert_eq!(p.tables(), ["a", "t_r1"]);

    // Finished by hand: recorded as applied (a stamp in the history), and the upgrade
    // goes on with the next revision.
    p.execute("CREATE TABLE \"b\" (\"id\" INTEGER PRIMARY KEY)");
    let resolved = p.ok(&["db", "resolve", "done"]);
    assert_eq!(
        resolved.stderr_lines().last().copied(),
        Some("Recorded revision r2 as applied; no SQL was run; the database is at r2 (two).")
    );
    assert_eq!(
        p.history_ops().last(),
        Some(&("r2".to_string(), "stamp".to_string()))
    );
    assert_eq!(
        p.fails(&["db", "resolve", "done"], 4),
        "there is nothing to resolve: no revision is partly applied"
    );
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.tables(), ["a", "b", "t_r1", "t_r3"]);
    assert_eq!(p.version_rows(), ["r3"]);
}

/// Tables named by reserved words, and columns with spaces, quotes and non-ASCII
/// letters, written by hand in portable SQL, go up and down on every database.
fn reserved_words_and_odd_identifiers_round_trip(db: Db) {
    let p = TestProject::on(db);
    let tables = ["user", "order", "group", "select"];
    let columns = r#""full name", "it's ""quoted""", "naïve café""#;
    let up: String = tables
        .iter()
        .map(|t| {
            format!(
                "CREATE TABLE \"{t}\" (\"id\" INTEGER PRIMARY KEY, \"full name\" VARCHAR(40), \"it's \"\"quoted\"\"\" VARCHAR(40), \"naïve café\" VARCHAR(40));\n\
                 INSERT INTO \"{t}\" (\"id\", {columns}) VALUES (1, 'Zoë O''Brien', 'say \"hi\"', 'crème brûlée');\n"
            )
        })
        .collect();
    let down: String = tables
        .iter()
        .rev()
        .map(|t| format!("DROP TABLE \"{t}\";\n"))
        .collect();
    let down = format!("-- mb:allow-data-loss\n{down}");
    p.write_revision("r1", "", "reserved words", &up, &down);
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.tables(), ["group", "order", "select", "user"]);
    for table in tables {
        assert_eq!(
            p.columns(table),
            ["id", "full name", "it's \"quoted\"", "naïve café"]
        );
        assert_eq!(
            p.query(&format!("SELECT {columns} FROM \"{table}\"")),
            [["Zoë O'Brien", "say \"hi\"", "crème brûlée"]]
        );
    }
    p.ok(&["db", "downgrade"]);
    assert!(p.tables().is_empty());
    assert!(p.version_rows().is_empty());
}

#[test]
fn resolve_and_resume_without_an_interrupted_revision_are_errors() {
    let p = TestProject::with_chain(Db::Sqlite, &["r1"]);
    assert_eq!(
        p.fails(&["db", "resolve", "undone"], 4),
        "there is nothing to resolve: no revision is partly applied"
    );
    assert!(!p.exists("app.db"), "resolve must not create a database");
    assert_eq!(
        fails(p.mb().args(["db", "upgrade", "--resume"]), 4),
        "there is no partly applied revision to resume; run `mb db upgrade` without --resume"
    );
}

fn a_script_that_cannot_be_split_stops_the_upgrade_before_its_first_revision(db: Db) {
    let p = TestProject::on(db);
    p.table_revision("r1", "");
    p.ok(&["db", "upgrade"]);
    p.table_revision("r2", "r1");
    let broken = p.write_revision("r3", "r2", "broken", "SELECT 1;\nSELECT 'no end;\n", "");
    let (_, message) = fails_after_progress(p.mb().args(["db", "upgrade"]), 4);
    assert_eq!(
        message,
        format!("{}:9: Unterminated string literal", broken)
    );
    assert_eq!(
        p.version_rows(),
        ["r1"],
        "r2 must not run when r3 cannot be read"
    );
    assert_eq!(p.tables(), ["t_r1"]);
}

#[test]
fn triggers_strings_identifiers_and_comments_split_correctly() {
    let p = TestProject::new();
    let up = r#"CREATE TABLE "odd;name" ("id" INTEGER PRIMARY KEY, "note;col" TEXT); -- trailing; comment
CREATE TABLE "log" ("msg" TEXT);
-- a comment; DROP TABLE "log";
CREATE TRIGGER "log_insert" AFTER INSERT ON "odd;name" BEGIN
  INSERT INTO "log" ("msg") VALUES ('inserted; ' || NEW."note;col");
  INSERT INTO "log" ("msg") VALUES ('second; statement');
END;
/* block; comment */
INSERT INTO "odd;name" ("note;col") VALUES ('it''s; fine -- not a comment');
"#;
    let down = "-- mb:allow-data-loss\nDROP TRIGGER \"log_insert\";\nDROP TABLE \"log\";\nDROP TABLE \"odd;name\";\n";
    p.write_revision("r1", "", "tricky", up, down);

    let run = p.ok(&["-v", "db", "upgrade"]);
    let statements: Vec<&str> = run
        .stderr_lines()
        .into_iter()
        .filter_map(|line| line.strip_prefix("  "))
        .filter(|line| !line.starts_with("done in"))
        .collect();
    assert_eq!(
        statements,
        [
            // Schema statements run as rendered for SQLite, the rest as written.
            r#"CREATE TABLE "odd;name" ( "id" INTEGER NOT NULL, "note;col" TEXT, CONSTRAINT "pk_odd;name" PRIMARY KEY ("id") )"#,
            r#"CREATE TABLE "log" ( "msg" TEXT )"#,
            r#"CREATE TRIGGER "log_insert" AFTER INSERT ON "odd;name" BEGIN INSERT INTO "log" ("msg") VALUES ('inserted; ' || NEW."note;col"); INSERT INTO "log" ("msg") VALUES ('second; statement'); END"#,
            r#"INSERT INTO "odd;name" ("note;col") VALUES ('it''s; fine -- not a comment')"#,
        ],
        "{}",
        run.stderr
    );
    assert_eq!(p.tables(), ["log", "odd;name"]);
    assert_eq!(
        p.query(r#"SELECT "id", "note;col" FROM "odd;name""#),
        [["1", "it's; fine -- not a comment"]]
    );
    assert_eq!(
        p.query(r#"SELECT "msg" FROM "log" ORDER BY rowid"#),
        [
            ["inserted; it's; fine -- not a comment"],
            ["second; statement"]
        ]
    );
    assert_eq!(
        p.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"),
        "1"
    );

    p.ok(&["db", "downgrade"]);
    assert!(p.tables().is_empty());
    assert_eq!(
        p.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"),
        "0"
    );
}

fn editing_an_applied_revision_stops_upgrades_and_shows_in_current_verbose(db: Db) {
    let p = TestProject::on(db);
    p.table_revision("r1", "");
    let r2 = p.table_revision("r2", "r1");
    p.ok(&["db", "upgrade", "+1"]);
    let r1 = "migrations/versions/r1_create_t_r1.sql";
    let applied = sha256_hex(&p.read(r1));
    p.write(r1, p.read(r1).replace("VALUES (1);", "VALUES (2);"));
    let now = sha256_hex(&p.read(r1));

    // Editing a revision that is not applied yet is nobody's business.
    p.write(&r2, p.read(&r2).replace("VALUES (1);", "VALUES (3);"));

    let (_, refused) = p.refused(&["db", "upgrade"]);
    assert!(
        refused.starts_with(&format!("{r1} changed since revision r1 was applied")),
        "{refused}"
    );
    assert_eq!(p.version_rows(), ["r1"], "nothing ran");

    // Plain `current` does not checksum the files; `-v` does.
    let current = p.ok(&["db", "current"]);
    assert_eq!(current.stdout, "r1\n");
    assert!(!current.stderr.contains("warning"), "{}", current.stderr);
    let verbose = p.ok(&["db", "current", "-v"]);
    assert!(
        verbose
            .stdout
            .contains(" ms (FILE CHANGED since it was applied)\n"),
        "{}",
        verbose.stdout
    );
    assert_eq!(
        verbose.stderr_lines().last().copied(),
        Some(
            format!(
                "warning: {r1} was edited after revision r1 was applied (checksum {} then, {} now)",
                &applied[..12],
                &now[..12]
            )
            .as_str()
        ),
        "{}",
        verbose.stderr
    );

    let upgrade = p.ok(&["db", "upgrade", "--allow-changed"]);
    let warning = format!(
        "warning: {r1} was edited after revision r1 was applied; the database ran the earlier text"
    );
    // The warning comes once mb holds the lock, after the database it is about.
    assert_eq!(upgrade.stderr_lines()[1], warning, "{}", upgrade.stderr);
    assert_eq!(
        upgrade.stderr.matches("warning").count(),
        1,
        "{}",
        upgrade.stderr
    );
    assert_eq!(p.version_rows(), ["r2"], "--allow-changed goes on");

    p.ok(&["db", "downgrade", "base", "--allow-changed"]);
    p.ok(&["db", "upgrade", "r1"]);
    let verbose = p.ok(&["db", "current", "-v"]);
    assert!(
        !verbose.stderr.contains("warning"),
        "re-applied, so unchanged: {}",
        verbose.stderr
    );
}

fn converting_an_applied_revision_to_crlf_is_not_a_change(db: Db) {
    let p = TestProject::on(db);
    let r1 = p.table_revision("r1", "");
    p.ok(&["db", "upgrade"]);
    let crlf = p.read(&r1).replace('\n', "\r\n");
    p.write(&r1, &crlf);
    assert!(p.read(&r1).contains("\r\n"));

    let upgrade = p.ok(&["db", "upgrade"]);
    assert!(!upgrade.stderr.contains("warning"), "{}", upgrade.stderr);
    let current = p.ok(&["db", "current", "-v"]);
    assert!(!current.stderr.contains("warning"), "{}", current.stderr);
    assert!(
        current.stdout.contains(" ms (file unchanged since)\n"),
        "{}",
        current.stdout
    );
    // And a CRLF file runs like the LF one.
    p.ok(&["db", "downgrade"]);
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.tables(), ["t_r1"]);
}

fn concurrent_upgrades_apply_each_revision_once(db: Db) {
    let p = TestProject::on(db);
    let ids: Vec<String> = (10..40).map(|i| format!("r{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    p.chain(&ids);
    let children: Vec<_> = (0..3)
        .map(|_| {
            p.mb_process(".")
                .args(["db", "upgrade"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn mb")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("wait for mb");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert!(!stderr.contains("error"), "{stderr}");
    }
    let upgraded: Vec<String> = p
        .history_ops()
        .into_iter()
        .map(|(revision, _)| revision)
        .collect();
    assert_eq!(upgraded, ids, "each revision exactly once, in order");
    assert_eq!(p.version_rows(), ["r39"]);
    assert_eq!(p.tables().len(), ids.len());
}

crate::on_each_database!(
    a_failing_statement_leaves_the_database_at_the_previous_revision,
    a_failing_downgrade_statement_rolls_that_revision_back,
    an_interrupted_revision_is_reported_and_resolved,
    reserved_words_and_odd_identifiers_round_trip,
    a_script_that_cannot_be_split_stops_the_upgrade_before_its_first_revision,
    editing_an_applied_revision_stops_upgrades_and_shows_in_current_verbose,
    converting_an_applied_revision_to_crlf_is_not_a_change,
    concurrent_upgrades_apply_each_revision_once,
);
