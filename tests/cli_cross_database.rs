//! One set of revision files for every database: revisions generated once against
//! SQLite (the repository's tutorial, and `fixtures/cross_database/`: every portable type,
//! the index kinds every database has, foreign-key actions, checks, views, then a change
//! of every kind) upgrade a server's database step by step to a schema whose introspected
//! model equals SQLite's, pass `check`, and downgrade back to an empty database.

mod common;

use std::path::Path;

use common::{Db, TestProject};
use mb::schema::Schema;
use mb::schema::parse::parse_schema_sql;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cross_database");

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn declared(p: &TestProject) -> Schema {
    parse_schema_sql(&p.read("schema.sql"), Path::new("schema.sql")).unwrap()
}

/// Copies `from`'s revisions and schema.sql into `to`.
fn copy_project(from: &TestProject, to: &TestProject) {
    to.write("schema.sql", from.read("schema.sql"));
    let versions = from.path("migrations/versions");
    for entry in std::fs::read_dir(versions).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        to.write(
            &format!("migrations/versions/{name}"),
            std::fs::read(entry.path()).unwrap(),
        );
    }
}

/// Upgrades `server` one revision at a time alongside `sqlite` (both have the same
/// revisions), checking after each step that both read back alike.
fn upgrade_in_step(sqlite: &TestProject, server: &TestProject, steps: usize) {
    for step in 1..=steps {
        sqlite.ok(&["db", "upgrade", "+1"]);
        server.ok(&["db", "upgrade", "+1"]);
        let on_sqlite = sqlite.live_schema(&[]).unwrap();
        // MySQL rewrites view queries and checks; compare them through the database
        // with the schema the revisions build, as `migrate` and `check` do.
        let on_server = server.live_schema(&[&on_sqlite]).unwrap();
        assert_eq!(
            on_server,
            on_sqlite,
            "after step {step} the {} schema differs from SQLite's",
            server.db.name()
        );
    }
    assert_eq!(
        sqlite.live_schema(&[]).unwrap(),
        declared(sqlite),
        "SQLite at head is what schema.sql declares"
    );
    server.ok(&["db", "check"]);
    assert!(
        server
            .ok(&["db", "migrate", "-m", "nothing"])
            .stderr
            .contains("No changes in schema detected."),
        "migrate finds nothing on {}",
        server.db.name()
    );
}

/// Downgrades both `steps` revisions one at a time, checking after each step that both
/// read back alike, down to an empty server database. The rows the tests put in the
/// server database go with their tables and columns (`--allow-data-loss`).
fn downgrade_in_step(sqlite: &TestProject, server: &TestProject, steps: usize) {
    for _ in 0..steps {
        sqlite.ok(&["db", "downgrade", "-1"]);
        server.ok(&["db", "downgrade", "-1", "--allow-data-loss"]);
        let on_sqlite = sqlite.live_schema(&[]).unwrap();
        assert_eq!(server.live_schema(&[&on_sqlite]).unwrap(), on_sqlite);
    }
    assert!(server.tables().is_empty(), "{:?}", server.tables());
}

fn tutorial_revisions_upgrade_and_downgrade_like_on_sqlite(db: Db) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sqlite = TestProject::new();
    sqlite.write("schema.sql", read(&repo.join("schema.sql")));
    for entry in std::fs::read_dir(repo.join("migrations/versions")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        sqlite.write(
            &format!("migrations/versions/{name}"),
            std::fs::read(entry.path()).unwrap(),
        );
    }
    let server = TestProject::on(db);
    copy_project(&sqlite, &server);
    upgrade_in_step(&sqlite, &server, 2);

    server.execute(
        "INSERT INTO \"user\" (\"username\", \"email\") VALUES ('susan', 'susan@example.com')",
    );
    server.execute("INSERT INTO \"post\" (\"body\", \"user_id\") VALUES ('hi', 1)");
    assert_eq!(server.scalar("SELECT \"id\" FROM \"post\""), "1");
    server.ok(&["db", "downgrade", "base", "--allow-data-loss"]);
    assert!(server.tables().is_empty(), "{:?}", server.tables());
    assert_eq!(server.live_schema(&[]).unwrap(), Schema::default());
}

fn every_kind_of_object_and_change_upgrades_and_downgrades_like_on_sqlite(db: Db) {
    let sqlite = TestProject::new();
    sqlite.write("schema.sql", read(&Path::new(FIXTURES).join("schema.sql")));
    sqlite.ok(&["db", "migrate", "-m", "every type", "--rev-id", "aaa111"]);
    sqlite.ok(&["db", "upgrade"]);
    sqlite.write("schema.sql", read(&Path::new(FIXTURES).join("schema2.sql")));
    sqlite.ok(&["db", "migrate", "-m", "every change", "--rev-id", "bbb222"]);
    sqlite.ok(&["db", "downgrade", "base"]);

    let server = TestProject::on(db);
    copy_project(&sqlite, &server);
    upgrade_in_step(&sqlite, &server, 2);

    // Keys auto-increment, defaults fill in, checks and foreign keys hold.
    server.execute("INSERT INTO \"country\" (\"code\", \"name\") VALUES ('NZ', 'New Zealand')");
    server.execute(
        "INSERT INTO \"account\" (\"email\", \"country\", \"settings\") VALUES ('kiri@example.nz', 'NZ', '{\"a\": 1}')",
    );
    server.execute("INSERT INTO \"order\" (\"account_id\") VALUES (1)");
    assert_eq!(
        server.query("SELECT \"id\", \"status\", \"número\" FROM \"order\""),
        [["1", "paid", "6"]]
    );
    let rejected = server
        .server
        .as_ref()
        .unwrap()
        .connect()
        .query("INSERT INTO \"account\" (\"email\", \"level\") VALUES ('x@example.nz', 11)");
    assert!(rejected.is_err(), "the check on level holds");

    // Down again, step by step, alike on both.
    sqlite.ok(&["db", "upgrade"]);
    server.execute("DELETE FROM \"order\"");
    downgrade_in_step(&sqlite, &server, 2);
    assert_eq!(server.live_schema(&[]).unwrap(), Schema::default());
}

/// PostgreSQL also has what MySQL lacks: partial and expression indexes (with every
/// portable type, foreign-key actions, checks and views around them).
const RICH: &str = r#"
CREATE TABLE "user" (
    "id" INTEGER PRIMARY KEY,
    "username" VARCHAR(64) NOT NULL UNIQUE,
    "email" VARCHAR(120),
    "active" BOOLEAN NOT NULL DEFAULT TRUE,
    "score" SMALLINT DEFAULT 0,
    "karma" BIGINT,
    "rating" REAL,
    "balance" DOUBLE PRECISION DEFAULT 0,
    "price" NUMERIC(10, 2) CHECK ("price" >= 0),
    "born" DATE,
    "wakes" TIME,
    "created" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    "seen" TIMESTAMP WITH TIME ZONE,
    "avatar" BLOB,
    "prefs" JSON,
    "token" UUID,
    "bio" TEXT DEFAULT '',
    CHECK ("score" BETWEEN 0 AND 100)
);
CREATE UNIQUE INDEX "ix_user_email_lower" ON "user" (lower("email"));
CREATE INDEX "ix_user_active_created" ON "user" ("created" DESC, "id") WHERE "active";

CREATE TABLE "group" (
    "id" BIGINT PRIMARY KEY,
    "name" TEXT NOT NULL,
    "naïve ""quoted"" name" VARCHAR(10),
    "parent_id" BIGINT REFERENCES "group" ON DELETE SET NULL
);

CREATE TABLE "membership" (
    "user_id" INTEGER NOT NULL REFERENCES "user" ON DELETE CASCADE ON UPDATE CASCADE,
    "group_id" BIGINT NOT NULL REFERENCES "group" ON DELETE RESTRICT,
    "role" VARCHAR(20) NOT NULL DEFAULT 'member',
    PRIMARY KEY ("user_id", "group_id")
);

CREATE TABLE "order" (
    "id" INTEGER PRIMARY KEY,
    "user_id" INTEGER REFERENCES "user" ON DELETE SET DEFAULT,
    "select" VARCHAR(10),
    "total" NUMERIC(12, 2) NOT NULL DEFAULT 0
);

CREATE VIEW "active_users" AS SELECT "id", "username" FROM "user" WHERE "active";
CREATE VIEW "group_sizes" AS
    SELECT g."name", count(*) AS "members"
    FROM "group" AS g JOIN "membership" AS m ON m."group_id" = g."id"
    GROUP BY g."name";
"#;

/// Changes that SQLite makes by rebuilding tables and servers make in place.
fn rich_changed() -> String {
    RICH.replace(
        r#""email" VARCHAR(120),"#,
        r#""email" VARCHAR(200) NOT NULL DEFAULT 'none',"#,
    )
    .replace(
        r#""score" SMALLINT DEFAULT 0,"#,
        r#""score" INTEGER DEFAULT 0,"#,
    )
    .replace(
        r#""bio" TEXT DEFAULT '',"#,
        r#""bio" TEXT DEFAULT '',
    "nickname" VARCHAR(30) NOT NULL DEFAULT 'x',"#,
    )
    .replace(
        r#"CREATE INDEX "ix_user_active_created" ON "user" ("created" DESC, "id") WHERE "active";"#,
        "",
    )
    .replace(
        r#""total" NUMERIC(12, 2) NOT NULL DEFAULT 0"#,
        r#""total" NUMERIC(12, 2) NOT NULL DEFAULT 0,
    CONSTRAINT "positive_total" CHECK ("total" >= 0)"#,
    )
    .replace(
        r#"WHERE "active";"#,
        r#"WHERE "active" AND "nickname" <> 'x';"#,
    )
}

crate::on_each_server!(
    tutorial_revisions_upgrade_and_downgrade_like_on_sqlite,
    every_kind_of_object_and_change_upgrades_and_downgrades_like_on_sqlite,
);

#[test]
fn partial_and_expression_indexes_upgrade_like_on_sqlite_on_postgres() {
    if !Db::Postgres.available(module_path!()) {
        return;
    }
    let sqlite = TestProject::new();
    sqlite.write("schema.sql", RICH);
    sqlite.ok(&["db", "migrate", "-m", "rich", "--rev-id", "aaa111"]);
    sqlite.ok(&["db", "upgrade"]);
    sqlite.write("schema.sql", rich_changed());
    sqlite.ok(&["db", "migrate", "-m", "changed", "--rev-id", "bbb222"]);
    sqlite.ok(&["db", "downgrade", "base"]);

    let server = TestProject::on(Db::Postgres);
    copy_project(&sqlite, &server);
    upgrade_in_step(&sqlite, &server, 2);
    downgrade_in_step(&sqlite, &server, 2);
}
