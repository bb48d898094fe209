//! Renames in `mb db migrate`: hints in schema.sql, the question at a terminal, and the
//! hint line without one; rows survive the rename and come back on downgrade, on every
//! database.

mod common;

use common::{Db, Run, TestProject, fails, ok};

const BLOG: &str = r#"CREATE TABLE "user" (
    "id" INTEGER PRIMARY KEY,
    "name" VARCHAR(40) NOT NULL
);
CREATE TABLE "post" (
    "id" INTEGER PRIMARY KEY,
    "body" VARCHAR(140) NOT NULL CHECK ("body" <> ''),
    "user_id" INTEGER REFERENCES "user"
);
CREATE INDEX "ix_post_body" ON "post" ("body");
CREATE TABLE "comment" (
    "id" INTEGER PRIMARY KEY,
    "post_id" INTEGER REFERENCES "post"
);
CREATE VIEW "bodies" AS SELECT "body" FROM "post";
"#;

/// BLOG with post renamed to article and its body to text, both hinted.
const RENAMED: &str = r#"CREATE TABLE "user" (
    "id" INTEGER PRIMARY KEY,
    "name" VARCHAR(40) NOT NULL
);
CREATE TABLE "article" ( -- mb:renamed-from post
    "id" INTEGER PRIMARY KEY,
    "text" VARCHAR(140) NOT NULL CHECK ("text" <> ''), -- mb:renamed-from body
    "user_id" INTEGER REFERENCES "user"
);
CREATE INDEX "ix_post_body" ON "article" ("text");
CREATE TABLE "comment" (
    "id" INTEGER PRIMARY KEY,
    "post_id" INTEGER REFERENCES "article"
);
CREATE VIEW "bodies" AS SELECT "text" FROM "article";
"#;

/// A project on `db` at a first revision of BLOG, with rows.
fn blog(db: Db) -> TestProject {
    let p = TestProject::on(db);
    p.write("schema.sql", BLOG);
    p.ok(&["db", "migrate", "-m", "blog", "--rev-id", "aaa111"]);
    p.ok(&["db", "upgrade"]);
    p.execute(r#"INSERT INTO "user" ("id", "name") VALUES (1, 'susan')"#);
    p.execute(
        r#"INSERT INTO "post" ("id", "body", "user_id") VALUES (1, 'hello', 1), (2, 'world', 1)"#,
    );
    p.execute(r#"INSERT INTO "comment" ("id", "post_id") VALUES (1, 2)"#);
    p
}

/// `migrate` without a terminal (stdin is empty, not a terminal).
fn migrate(p: &TestProject, rev_id: &str) -> Run {
    ok(p.mb()
        .args(["db", "migrate", "-m", "rename", "--rev-id", rev_id])
        .write_stdin(""))
}

fn revision(p: &TestProject, rev_id: &str) -> String {
    p.read(&format!("migrations/versions/{rev_id}_rename.sql"))
}

fn hinted_renames_keep_the_rows_both_ways(db: Db) {
    let p = blog(db);
    p.write("schema.sql", RENAMED);
    let run = migrate(&p, "bbb222");
    assert!(
        run.stderr
            .contains("Detected renamed table \"post\" to \"article\""),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let text = revision(&p, "bbb222");
    let up = text.split("-- migrate:down").next().unwrap();
    assert!(
        up.contains("ALTER TABLE \"post\" RENAME TO \"article\";\nALTER TABLE \"article\" RENAME COLUMN \"body\" TO \"text\";"),
        "{text}"
    );
    assert!(
        !text.contains("DROP TABLE") && !text.contains("DROP COLUMN"),
        "{text}"
    );

    p.ok(&["db", "upgrade"]);
    let rows = || p.query(r#"SELECT "id", "text", "user_id" FROM "article" ORDER BY "id""#);
    assert_eq!(rows(), [["1", "hello", "1"], ["2", "world", "1"]]);
    assert_eq!(p.scalar(r#"SELECT COUNT(*) FROM "bodies""#), "2");
    p.ok(&["db", "check"]);
    p.ok(&["db", "check", "--offline"]);
    // The hints stay in schema.sql: already applied, they ask for nothing.
    let again = migrate(&p, "ccc333");
    assert!(
        again.stderr.contains("No changes in schema detected."),
        "{}",
        again.stderr
    );
    // The foreign keys follow the renamed table and still hold.
    p.execute(r#"INSERT INTO "comment" ("id", "post_id") VALUES (2, 1)"#);

    p.ok(&["db", "downgrade"]);
    assert_eq!(
        p.query(r#"SELECT "id", "body", "user_id" FROM "post" ORDER BY "id""#),
        [["1", "hello", "1"], ["2", "world", "1"]]
    );
    assert!(!p.tables().contains(&"article".to_string()));
    p.ok(&["db", "upgrade"]);
    assert_eq!(rows().len(), 2);
    p.ok(&["db", "check"]);
}

fn without_a_terminal_a_likely_rename_is_drop_and_add_with_a_hint(db: Db) {
    let p = TestProject::on(db);
    p.write(
        "schema.sql",
        "CREATE TABLE \"post\" (\n    \"id\" INTEGER PRIMARY KEY,\n    \"body\" TEXT\n);\n",
    );
    p.ok(&["db", "migrate", "-m", "post", "--rev-id", "aaa111"]);
    p.ok(&["db", "upgrade"]);
    p.write(
        "schema.sql",
        "CREATE TABLE \"post\" (\n    \"id\" INTEGER PRIMARY KEY,\n    \"text\" TEXT\n);\n",
    );
    let run = migrate(&p, "bbb222");
    assert!(
        run.stderr.lines().any(|l| l == "hint: to keep the data of \"post\".\"body\", write \"-- mb:renamed-from body\" after the column \"text\" in schema.sql:3 (this revision drops the column and adds a new one)"),
        "{}",
        run.stderr
    );
    let text = revision(&p, "bbb222");
    assert!(
        text.contains("DROP COLUMN \"body\"") && text.contains("ADD COLUMN \"text\""),
        "{text}"
    );

    p.write(
        "schema.sql",
        "CREATE TABLE \"article\" (\n    \"id\" INTEGER PRIMARY KEY,\n    \"body\" TEXT\n);\n",
    );
    std::fs::remove_file(p.path("migrations/versions/bbb222_rename.sql")).unwrap();
    let run = migrate(&p, "bbb222");
    assert!(
        run.stderr.lines().any(|l| l == "hint: to keep the rows of table \"post\", write \"-- mb:renamed-from post\" after CREATE TABLE \"article\" in schema.sql:1 (this revision drops the table and creates a new one)"),
        "{}",
        run.stderr
    );
}

/// Runs `mb ARGS` in a pseudo-terminal (util-linux `script`) with `answers` typed in;
/// returns what the terminal showed.
fn at_a_terminal(p: &TestProject, args: &str, answers: &str) -> String {
    let mb = env!("CARGO_BIN_EXE_mb");
    let output = std::process::Command::new("script")
        .args(["-qec", &format!("'{mb}' {args}"), "/dev/null"])
        .current_dir(p.root())
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(answers.as_bytes())?;
            child.wait_with_output()
        })
        .expect("run mb under script(1) from util-linux");
    let shown = String::from_utf8_lossy(&output.stdout).replace('\r', "");
    assert!(output.status.success(), "{shown}");
    shown
}

fn at_a_terminal_migrate_asks_and_follows_the_answer(db: Db) {
    let p = blog(db);
    // post becomes article (same columns) and user.name becomes login: two questions.
    let unhinted = RENAMED
        .replace(" -- mb:renamed-from post", "")
        .replace(
            r#""text" VARCHAR(140) NOT NULL CHECK ("text" <> ''), -- mb:renamed-from body"#,
            r#""body" VARCHAR(140) NOT NULL CHECK ("body" <> ''),"#,
        )
        .replace(r#"("text")"#, r#"("body")"#)
        .replace(r#"SELECT "text""#, r#"SELECT "body""#)
        .replace(r#""name" VARCHAR(40)"#, r#""login" VARCHAR(40)"#);
    p.write("schema.sql", &unhinted);
    let shown = at_a_terminal(&p, "db migrate -m yes --rev-id bbb222", "y\ny\n");
    assert!(
        shown.contains("Did you rename table \"post\" to \"article\"? [y/N]"),
        "{shown}"
    );
    assert!(
        shown.contains("Did you rename \"user\".\"name\" to \"user\".\"login\"? [y/N]"),
        "{shown}"
    );
    assert!(
        !shown.contains("hint:") && !shown.contains("warning:"),
        "{shown}"
    );
    let text = p.read("migrations/versions/bbb222_yes.sql");
    assert!(
        text.contains("RENAME TO \"article\"")
            && text.contains("RENAME COLUMN \"name\" TO \"login\""),
        "{text}"
    );
    p.ok(&["db", "upgrade"]);
    assert_eq!(
        p.scalar(r#"SELECT "body" FROM "article" WHERE "id" = 2"#),
        "world"
    );
    assert_eq!(p.scalar(r#"SELECT "login" FROM "user""#), "susan");
    p.ok(&["db", "check"]);
    p.ok(&["db", "downgrade"]);
    std::fs::remove_file(p.path("migrations/versions/bbb222_yes.sql")).unwrap();

    // No, and no: drop and add, with the hint lines.
    let shown = at_a_terminal(&p, "db migrate -m no --rev-id ccc333", "n\n\n");
    assert!(
        shown.contains("Did you rename table \"post\" to \"article\"? [y/N]"),
        "{shown}"
    );
    assert!(
        shown.contains("hint: to keep the rows of table \"post\""),
        "{shown}"
    );
    assert!(
        shown.contains("hint: to keep the data of \"user\".\"name\""),
        "{shown}"
    );
    let text = p.read("migrations/versions/ccc333_no.sql");
    assert!(
        text.contains("DROP TABLE \"post\"") && !text.contains("RENAME"),
        "{text}"
    );
}

fn a_hint_that_fits_nothing_is_an_error_and_nothing_is_written(db: Db) {
    let p = blog(db);
    p.write(
        "schema.sql",
        RENAMED.replace("renamed-from post", "renamed-from posts"),
    );
    let message = fails(
        p.mb()
            .args(["db", "migrate", "-m", "rename"])
            .write_stdin(""),
        5,
    );
    assert_eq!(
        message,
        "schema.sql:5: table \"article\" is declared as renamed from \"posts\", but the database has neither — fix the old name, or remove the hint"
    );
    let message = fails(p.mb().args(["db", "check"]), 5);
    assert!(message.contains("has neither"), "{message}");
    assert_eq!(
        std::fs::read_dir(p.path("migrations/versions"))
            .unwrap()
            .count(),
        1
    );
}

on_each_database!(
    hinted_renames_keep_the_rows_both_ways,
    without_a_terminal_a_likely_rename_is_drop_and_add_with_a_hint,
    at_a_terminal_migrate_asks_and_follows_the_answer,
    a_hint_that_fits_nothing_is_an_error_and_nothing_is_written,
);
