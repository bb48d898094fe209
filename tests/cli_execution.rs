//! Running scripts: each revision atomic, statements split correctly, and applied
//! scripts watched by their checksums.

mod common;

use common::{TestProject, fails_after_progress, sha256_hex};

const R1: &str = "migrations/versions/r1_one.sql";
const R2: &str = "migrations/versions/r2_two.sql";

/// A project whose revision r1 creates `t1` with two rows, and runs `down` to undo it.
fn project_with_revision_one(down: &str) -> TestProject {
    let p = TestProject::new();
    p.write_revision(
        "r1",
        "",
        "one",
        "CREATE TABLE \"t1\" (\"id\" INTEGER PRIMARY KEY, \"name\" TEXT);\nINSERT INTO \"t1\" (\"name\") VALUES ('a'), ('b');\n",
        down,
    );
    p
}

/// r1 creates `t1` with two rows; r2 creates `t2`, fills it, then inserts into a table
/// that does not exist (line 11 of its file, the statement spanning two lines); r3 would
/// create `t3`.
fn project_with_a_failing_second_revision() -> TestProject {
    let p = project_with_revision_one("DROP TABLE \"t1\";\n");
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

#[test]
fn a_failing_statement_leaves_the_database_at_the_previous_revision() {
    let p = project_with_a_failing_second_revision();
    let expected = format!(
        "{}:11: no such table: missing; the statement was: INSERT INTO \"missing\" VALUES (1); revision r2 was rolled back, the database is still at r1 (one)",
        R2
    );
    let (progress, message) = fails_after_progress(p.mb().args(["db", "upgrade"]), 6);
    assert_eq!(message, expected);
    assert_eq!(
        progress,
        [
            format!("Creating SQLite database {}", p.abs("app.db")),
            "Running upgrade <base> -> r1, one".to_string(),
            "Running upgrade r1 -> r2, two".to_string(),
        ]
    );
    assert_at_revision_one(&p);

    // With -q the error is the only line; trying again changes nothing.
    assert_eq!(p.fails(&["-q", "db", "upgrade"], 6), expected);
    assert_at_revision_one(&p);

    // Once the script is fixed, the upgrade goes on from revision 1.
    p.write(
        R2,
        p.read(R2)
            .replace("INSERT INTO \"missing\"\n    VALUES (1);\n", ""),
    );
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.tables(), ["t1", "t2", "t2b", "t_r3"]);
    assert_eq!(p.version_rows(), ["r3"]);
}

#[test]
fn a_failing_downgrade_statement_rolls_that_revision_back() {
    let p = project_with_revision_one("DROP TABLE \"t1\";\nDELETE FROM \"nowhere\";\n");
    p.ok(&["db", "upgrade"]);
    let (_, message) = fails_after_progress(p.mb().args(["db", "downgrade"]), 6);
    assert_eq!(
        message,
        format!(
            "{}:13: no such table: nowhere; the statement was: DELETE FROM \"nowhere\"; revision r1 was rolled back, the database is still at r1 (one)",
            R1
        )
    );
    assert_at_revision_one(&p);
}

#[test]
fn a_script_that_cannot_be_split_stops_the_upgrade_before_its_first_revision() {
    let p = TestProject::new();
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
    let down = "DROP TRIGGER \"log_insert\";\nDROP TABLE \"log\";\nDROP TABLE \"odd;name\";\n";
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

#[test]
fn editing_an_applied_revision_is_reported_by_upgrade_and_current() {
    let p = TestProject::new();
    p.table_revision("r1", "");
    let r2 = p.table_revision("r2", "r1");
    p.ok(&["db", "upgrade", "+1"]);
    let r1 = "migrations/versions/r1_create_t_r1.sql";
    let applied = sha256_hex(&p.read(r1));
    p.write(r1, p.read(r1).replace("VALUES (1);", "VALUES (2);"));
    let now = sha256_hex(&p.read(r1));

    // Editing a revision that is not applied yet is nobody's business.
    p.write(&r2, p.read(&r2).replace("VALUES (1);", "VALUES (3);"));

    let upgrade = p.ok(&["db", "upgrade"]);
    let warning = format!(
        "warning: {r1} was edited after revision r1 was applied; the database ran the earlier text"
    );
    assert_eq!(upgrade.stderr_lines()[0], warning, "{}", upgrade.stderr);
    assert_eq!(
        upgrade.stderr.matches("warning").count(),
        1,
        "{}",
        upgrade.stderr
    );
    assert_eq!(
        p.version_rows(),
        ["r2"],
        "a warning does not stop the upgrade"
    );

    let current_warning = format!(
        "warning: {r1} was edited after revision r1 was applied (checksum {} then, {} now)",
        &applied[..12],
        &now[..12]
    );
    let current = p.ok(&["db", "current"]);
    assert_eq!(current.stdout, "r2 (head)\n");
    assert_eq!(current.stderr_lines(), [current_warning.as_str()]);

    p.ok(&["db", "downgrade", "base"]);
    p.ok(&["db", "upgrade", "r1"]);
    let verbose = p.ok(&["db", "current", "-v"]);
    assert!(
        !verbose.stderr.contains("warning"),
        "re-applied, so unchanged: {}",
        verbose.stderr
    );
    p.write(r1, p.read(r1).replace("VALUES (2);", "VALUES (1);"));
    let verbose = p.ok(&["db", "current", "-v"]);
    assert!(
        verbose
            .stdout
            .contains(" ms (FILE CHANGED since it was applied)\n"),
        "{}",
        verbose.stdout
    );
    assert_eq!(
        verbose.stderr.matches("warning: ").count(),
        1,
        "{}",
        verbose.stderr
    );
    assert!(
        verbose.stderr.contains(&format!(
            "warning: {r1} was edited after revision r1 was applied"
        )),
        "{}",
        verbose.stderr
    );
}

#[test]
fn converting_an_applied_revision_to_crlf_is_not_a_change() {
    let p = TestProject::new();
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

#[test]
fn concurrent_upgrades_apply_each_revision_once() {
    let p = TestProject::new();
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
