//! One set of revision files, three databases: revisions generated once against SQLite
//! upgrade a server database step by step to the schema SQLite has at that step, and
//! downgrade it back to empty.
//!
//! "The same schema" is checked on the models mb reads: the server's schema, compared
//! through the server with the SQLite one (`Backend::introspect_against`, as `mb db
//! check` compares), must equal it, so names, types, nullability, defaults, keys,
//! indexes, foreign keys with their actions, checks and views all take part.

mod common;

use std::path::Path;

use common::{Db, TestProject};
use mb::schema::Schema;

/// Every portable type, index kind, foreign-key action, checks and views, with names
/// that are reserved words or hold spaces, quotes and non-ASCII letters.
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

/// The schema of `p`'s database, compared through it with `model`.
fn read(p: &TestProject, model: &Schema) -> Schema {
    p.live_schema(&[model]).unwrap()
}

/// The revision files of `p`: (file name, text).
fn revision_files(p: &TestProject) -> Vec<(String, String)> {
    let dir = p.path("migrations/versions");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// Runs `files` (revisions `ids`, oldest first) on SQLite and on `db` one step at a time,
/// comparing the two at each step, then downgrades `db` back to empty the same way.
fn replay(db: Db, files: &[(String, String)], ids: &[&str]) {
    let sqlite = TestProject::on(Db::Sqlite);
    let server = TestProject::on(db);
    for p in [&sqlite, &server] {
        for (name, text) in files {
            p.write(&format!("migrations/versions/{name}"), text);
        }
    }
    let mut models = vec![Schema::default()];
    for id in ids {
        sqlite.ok(&["db", "upgrade", id]);
        let model = read(&sqlite, &Schema::default());
        server.ok(&["db", "upgrade", id]);
        assert_eq!(
            read(&server, &model),
            model,
            "{} after upgrading to {id}",
            db.name()
        );
        models.push(model);
    }
    models.pop();
    while let Some(model) = models.pop() {
        server.ok(&["db", "downgrade", "-1"]);
        assert_eq!(
            read(&server, &model),
            model,
            "{} after a downgrade",
            db.name()
        );
    }
    assert!(server.tables().is_empty(), "{:?}", server.tables());
}

fn the_tutorial_revisions_run_unchanged(db: Db) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/versions");
    let files: Vec<(String, String)> = [
        "e517276bb1c2_users_table.sql",
        "780739b227a7_posts_table.sql",
    ]
    .iter()
    .map(|name| {
        (
            name.to_string(),
            std::fs::read_to_string(repo.join(name)).unwrap(),
        )
    })
    .collect();
    replay(db, &files, &["e517276bb1c2", "780739b227a7"]);
    // The tutorial's `user.id` numbers rows by itself on the server too.
    let p = TestProject::on(db);
    for (name, text) in &files {
        p.write(&format!("migrations/versions/{name}"), text);
    }
    p.ok(&["db", "upgrade"]);
    p.execute(
        "INSERT INTO \"user\" (\"username\", \"email\") VALUES ('susan', 's@example.com'), ('bob', 'b@example.com')",
    );
    assert_eq!(
        p.first_column("SELECT \"id\" FROM \"user\" ORDER BY \"id\""),
        ["1", "2"]
    );
}

fn a_rich_schema_generated_on_sqlite_runs_unchanged(db: Db) {
    let sqlite = TestProject::on(Db::Sqlite);
    sqlite.write("schema.sql", RICH);
    sqlite.ok(&["db", "migrate", "-m", "rich", "--rev-id", "aaa111"]);
    sqlite.ok(&["db", "upgrade"]);
    sqlite.write("schema.sql", rich_changed());
    sqlite.ok(&["db", "migrate", "-m", "changed", "--rev-id", "bbb222"]);
    replay(db, &revision_files(&sqlite), &["aaa111", "bbb222"]);

    // The server database also matches schema.sql the way `mb db check` sees it.
    let server = TestProject::on(db);
    server.write("schema.sql", rich_changed());
    for (name, text) in revision_files(&sqlite) {
        server.write(&format!("migrations/versions/{name}"), text);
    }
    server.ok(&["db", "upgrade"]);
    server.ok(&["db", "check"]);
    let again = server.ok(&["db", "migrate", "-m", "nothing"]);
    assert!(
        again.stderr.contains("No changes in schema detected."),
        "{}",
        again.stderr
    );
}

crate::on_each_server!(
    the_tutorial_revisions_run_unchanged,
    a_rich_schema_generated_on_sqlite_runs_unchanged,
);
