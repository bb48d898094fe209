//! `mb db migrate`, `mb db check` and offline `--sql`, driven like the Flask tutorial:
//! declare in schema.sql, generate, upgrade, check; on every database, except SQLite's
//! table rebuild.

mod common;

use common::{Db, TestProject, fails, fails_after_progress};

const USERS: &str = r#"CREATE TABLE "user" (
    "id" INTEGER PRIMARY KEY,
    "username" VARCHAR(64) NOT NULL,
    "email" VARCHAR(120) NOT NULL,
    "password_hash" VARCHAR(128)
);
CREATE UNIQUE INDEX "ix_user_username" ON "user" ("username");
CREATE UNIQUE INDEX "ix_user_email" ON "user" ("email");
"#;

const POSTS: &str = r#"CREATE TABLE "post" (
    "id" INTEGER PRIMARY KEY,
    "body" VARCHAR(140) NOT NULL,
    "timestamp" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "user_id" INTEGER NOT NULL REFERENCES "user" ("id")
);
CREATE INDEX "ix_post_timestamp" ON "post" ("timestamp");
CREATE INDEX "ix_post_user_id" ON "post" ("user_id");
"#;

/// Runs `migrate` and returns the path of the revision it wrote.
fn migrate(p: &TestProject, message: &str, rev_id: &str) -> String {
    let run = p.ok(&["db", "migrate", "-m", message, "--rev-id", rev_id]);
    let path = run
        .stdout
        .trim()
        .strip_prefix("Generating ")
        .and_then(|rest| rest.strip_suffix(" ... done"))
        .unwrap_or_else(|| panic!("unexpected output: {}", run.stdout))
        .to_string();
    assert!(p.exists(&path), "{path}");
    path
}

fn the_tutorial_flow_users_then_posts(db: Db) {
    let p = TestProject::on(db);
    p.write("schema.sql", USERS);
    let users = migrate(&p, "users table", "e517276bb1c2");
    assert_eq!(users, "migrations/versions/e517276bb1c2_users_table.sql");
    let text = p.read(&users);
    assert!(
        text.contains("-- Revises: \n") || text.contains("-- Revises:\n"),
        "{text}"
    );
    assert!(text.contains("CREATE TABLE \"user\""), "{text}");
    assert!(text.contains("DROP TABLE \"user\""), "{text}");
    if db == Db::Sqlite {
        assert!(
            !p.exists("app.db"),
            "migrate reads; it must not create the database"
        );
    }

    p.ok(&["db", "upgrade"]);
    assert_eq!(p.tables(), ["user"]);
    let again = p.ok(&["db", "migrate", "-m", "nothing"]);
    assert!(
        again.stderr.contains("No changes in schema detected."),
        "{}",
        again.stderr
    );
    assert!(again.stdout.is_empty());
    assert_eq!(p.revision_files().len(), 1, "no file when nothing changed");

    p.write("schema.sql", format!("{USERS}\n{POSTS}"));
    let posts = migrate(&p, "posts table", "780739b227a7");
    let text = p.read(&posts);
    assert!(text.contains("-- Revises: e517276bb1c2"), "{text}");
    assert!(
        !text.contains("CREATE TABLE \"user\""),
        "only the change: {text}"
    );
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.tables(), ["post", "user"]);
    p.ok(&["db", "check"]);
    p.ok(&["db", "check", "--offline"]);

    // The primary key auto-increments: no `NOT NULL constraint failed: user.id`.
    p.execute("INSERT INTO \"user\" (username, email) VALUES ('susan', 'susan@example.com')");
    p.execute("INSERT INTO post (body, user_id) VALUES ('hi', 1)");
    assert_eq!(p.scalar("SELECT id FROM \"user\""), "1");
    assert!(
        !p.scalar("SELECT \"timestamp\" FROM post").is_empty(),
        "the default filled it"
    );

    // The rows above go with their tables: mb refuses unless told.
    let refused = fails_after_progress(p.mb().args(["db", "downgrade", "base"]), 8).1;
    assert!(refused.starts_with("the downgrade would lose the data above (2 findings)"));
    p.ok(&["db", "downgrade", "base", "--allow-data-loss"]);
    assert!(p.tables().is_empty(), "{:?}", p.tables());
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.tables(), ["post", "user"]);
    assert_eq!(p.ok(&["db", "migrate"]).stdout, "");
}

fn migrate_refuses_a_database_that_is_not_at_head(db: Db) {
    let p = TestProject::on(db);
    p.write("schema.sql", USERS);
    migrate(&p, "users table", "aaa111");
    p.write("schema.sql", format!("{USERS}\n{POSTS}"));
    let message = fails(p.mb().args(["db", "migrate", "-m", "posts"]), 4);
    assert_eq!(
        message,
        "Target database is not up to date: 1 revision is not applied (aaa111 (users table)); run `mb db upgrade` first"
    );
    assert_eq!(p.revision_files().len(), 1);
}

fn destructive_changes_are_marked_in_the_script_and_listed(db: Db) {
    let p = TestProject::on(db);
    p.write("schema.sql", format!("{USERS}\n{POSTS}"));
    migrate(&p, "both", "aaa111");
    p.ok(&["db", "upgrade"]);
    p.write(
        "schema.sql",
        USERS.replace(",\n    \"password_hash\" VARCHAR(128)", ""),
    );
    let run = p.ok(&["db", "migrate", "-m", "drop things", "--rev-id", "bbb222"]);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(
        warnings.len(),
        2,
        "a dropped table and a dropped column: {}",
        run.stderr
    );
    let text = p.read("migrations/versions/bbb222_drop_things.sql");
    let up = text.split("-- migrate:down").next().unwrap();
    assert_eq!(up.matches("-- WARNING:").count(), 2, "{text}");
    assert!(up.contains("DROP TABLE \"post\""), "{text}");
}

fn check_reports_drift_with_a_diff_and_exit_code_1(db: Db) {
    let p = TestProject::on(db);
    p.write("schema.sql", USERS);
    migrate(&p, "users", "aaa111");
    p.ok(&["db", "upgrade"]);
    p.ok(&["db", "check"]);

    // A forgotten migrate: schema.sql changed, nothing generated.
    p.write("schema.sql", format!("{USERS}\n{POSTS}"));
    for args in [&["db", "check"][..], &["db", "check", "--offline"][..]] {
        let output = p.mb().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("+CREATE TABLE \"post\""), "{stdout}");
        assert!(
            stdout.contains("`mb db migrate` would generate"),
            "{stdout}"
        );
    }

    // Generated but not applied: offline is satisfied, the database is not.
    migrate(&p, "posts", "bbb222");
    p.ok(&["db", "check", "--offline"]);
    let output = p.mb().args(["db", "check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Target database is not up to date"));

    // A hand-edited database.
    p.ok(&["db", "upgrade"]);
    p.execute("CREATE TABLE sneaky (id INTEGER)");
    let output = p.mb().args(["db", "check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("-CREATE TABLE \"sneaky\""));
}

fn an_unparsable_schema_is_located(db: Db) {
    let p = TestProject::on(db);
    p.write("schema.sql", "CREATE TABLE \"a\" (\"id\" INTEGER PRIMARY KEY);\n\nCREATE TABLE \"b\" (\"id\" INTEGR PRIMARY KEY,);\n");
    let message = fails(p.mb().args(["db", "migrate", "-m", "x"]), 5);
    assert!(message.starts_with("schema.sql:3:"), "{message}");
    let message = fails(p.mb().args(["db", "check", "--offline"]), 5);
    assert!(message.starts_with("schema.sql:3:"), "{message}");
    p.write("schema.sql", "INSERT INTO a VALUES (1);\n");
    let message = fails(p.mb().args(["db", "migrate", "-m", "x"]), 5);
    assert!(message.starts_with("schema.sql:1:1:"), "{message}");
    assert!(!p.exists("app.db"));
}

fn upgrade_sql_prints_without_connecting(db: Db) {
    let p = TestProject::on(db);
    p.write("schema.sql", format!("{USERS}\n{POSTS}"));
    migrate(&p, "both", "aaa111");
    let run = p.ok(&["db", "upgrade", "--sql"]);
    let sql = run.stdout;
    // Identifiers are quoted for the database the project names.
    let q = |name: &str| match db {
        Db::Mysql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    };
    assert!(
        sql.contains(&format!("CREATE TABLE IF NOT EXISTS {}", q("mb_version"))),
        "{sql}"
    );
    assert!(
        sql.contains("-- Running upgrade <base> -> aaa111, both"),
        "{sql}"
    );
    assert!(
        sql.contains(&format!("BEGIN;\nCREATE TABLE {}", q("user"))),
        "{sql}"
    );
    assert!(
        sql.contains(&format!(
            "INSERT INTO {} ({}) VALUES ('aaa111');",
            q("mb_version"),
            q("version_num")
        )),
        "{sql}"
    );
    assert!(sql.trim_end().ends_with("COMMIT;"), "{sql}");
    assert!(!p.exists("app.db"), "offline mode never connects");

    let down = p.ok(&["db", "downgrade", "--sql", "head:base"]).stdout;
    assert!(
        down.contains("-- Running downgrade aaa111 -> <base>, both"),
        "{down}"
    );
    assert!(
        down.contains(&format!("DROP TABLE {};", q("post"))),
        "{down}"
    );
    assert!(
        down.contains(&format!("DELETE FROM {}", q("mb_version"))),
        "{down}"
    );
    let message = fails(p.mb().args(["db", "downgrade", "--sql", "base"]), 4);
    assert!(
        message.starts_with("downgrade --sql needs FROM:TO"),
        "{message}"
    );
    // The printed script is what upgrade runs: applying it by hand gives the same schema.
    p.execute(&sql);
    p.ok(&["db", "check"]);
}

#[test]
fn a_table_rebuild_keeps_rows_indexes_triggers_and_views() {
    let p = TestProject::new();
    let before = r#"CREATE TABLE "item" (
    "id" INTEGER PRIMARY KEY,
    "name" VARCHAR(20),
    "qty" INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX "ix_item_name" ON "item" ("name");
CREATE TABLE "audit" ("id" INTEGER PRIMARY KEY, "note" TEXT);
CREATE VIEW "big_items" AS SELECT "id", "name" FROM "item" WHERE "qty" > 10;
"#;
    p.write("schema.sql", before);
    migrate(&p, "items", "aaa111");
    p.ok(&["db", "upgrade"]);
    // A trigger is not part of the declared schema: a hand-written revision adds it.
    p.write_revision(
        "bbb222",
        "aaa111",
        "audit trigger",
        "CREATE TRIGGER \"item_audit\" AFTER INSERT ON \"item\" BEGIN\n  INSERT INTO \"audit\" (\"note\") VALUES ('added ' || NEW.\"name\");\nEND;\n",
        "DROP TRIGGER \"item_audit\";\n",
    );
    p.ok(&["db", "upgrade"]);
    p.execute("INSERT INTO item (name, qty) VALUES ('bolt', 50), ('nut', 5)");

    // NOT NULL on name and a wider type: SQLite can do neither in place.
    p.write(
        "schema.sql",
        before.replace("\"name\" VARCHAR(20),", "\"name\" VARCHAR(80) NOT NULL,"),
    );
    migrate(&p, "tighten name", "ccc333");
    let run = p.ok(&["-v", "db", "upgrade"]);
    assert!(
        run.stderr.contains("_mb_tmp_item") || run.stderr.to_lowercase().contains("insert into"),
        "a rebuild ran: {}",
        run.stderr
    );
    assert_eq!(
        p.scalar("SELECT group_concat(name, ',') FROM (SELECT name FROM item ORDER BY id)"),
        "bolt,nut"
    );
    assert_eq!(
        p.scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'ix_item_name'"
        ),
        "1"
    );
    assert_eq!(p.scalar("SELECT group_concat(name) FROM big_items"), "bolt");
    p.execute("INSERT INTO item (name, qty) VALUES ('washer', 1)");
    assert_eq!(
        p.scalar("SELECT count(*) FROM audit"),
        "3",
        "the trigger still fires"
    );
    p.ok(&["db", "check"]);

    p.ok(&["db", "downgrade"]);
    assert_eq!(p.scalar("SELECT count(*) FROM item"), "3");
    assert_eq!(
        p.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"),
        "1"
    );
    p.execute("INSERT INTO item (name, qty) VALUES (NULL, 1)");
}

fn passthrough_types_and_reserved_words_round_trip(db: Db) {
    let p = TestProject::on(db);
    // Types only some databases have pass through as written, on a project that says
    // it deploys only there.
    p.deploy_only_here();
    let (a, b) = match db {
        Db::Mysql => ("MEDIUMTEXT", "YEAR"),
        _ => ("JSONB", "INET"),
    };
    p.write(
        "schema.sql",
        format!("CREATE TABLE \"order\" (\"id\" INTEGER PRIMARY KEY, \"group\" VARCHAR(10), \"select\" {a}, \"a b\" {b});\n"),
    );
    migrate(&p, "odd names", "aaa111");
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.tables(), ["order"]);
    assert_eq!(
        p.ok(&["db", "migrate"]).stdout,
        "",
        "no changes after upgrade"
    );
    p.ok(&["db", "check"]);
}

crate::on_each_database!(
    the_tutorial_flow_users_then_posts,
    migrate_refuses_a_database_that_is_not_at_head,
    destructive_changes_are_marked_in_the_script_and_listed,
    check_reports_drift_with_a_diff_and_exit_code_1,
    an_unparsable_schema_is_located,
    upgrade_sql_prints_without_connecting,
    passthrough_types_and_reserved_words_round_trip,
);
