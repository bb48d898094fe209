//! Adopting a database that never had migrations: `mb db inspect` writes its schema as
//! schema.sql, and `mb db init --from-database` writes a baseline revision and stamps the
//! database, so `check` is clean and `migrate` works from there, without recreating
//! anything. Each database starts from a schema made the way its users make them, with
//! its own types (PostgreSQL `SERIAL`, `JSONB`, `INET`; MySQL `AUTO_INCREMENT`, `ENUM`).

mod common;

use std::path::Path;

use common::{Db, TestProject};
use mb::schema::Schema;
use mb::schema::parse::parse_schema_sql;

/// A hand-made schema with a row, a foreign-key cycle, a check, a partial or plain index
/// and a view.
fn legacy_schema(db: Db) -> &'static str {
    match db {
        Db::Sqlite => {
            r#"CREATE TABLE user (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(64) NOT NULL UNIQUE,
                   created TIMESTAMP DEFAULT CURRENT_TIMESTAMP, score NUMERIC(10,2) DEFAULT 0,
                   pinned_post_id INTEGER REFERENCES post(id));
               CREATE TABLE post (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                   body TEXT CHECK (length(body) < 1000), at DATETIME DEFAULT (datetime('now')));
               CREATE INDEX ix_post_at ON post(at);
               CREATE UNIQUE INDEX ix_post_user_body ON post(user_id, body) WHERE body IS NOT NULL;
               CREATE VIEW recent AS SELECT p.id, u.name FROM post p JOIN user u ON u.id = p.user_id;
               INSERT INTO user(name) VALUES ('ada');"#
        }
        Db::Postgres => {
            r#"CREATE TABLE "user" (id SERIAL PRIMARY KEY, name VARCHAR(64) NOT NULL UNIQUE,
                   profile JSONB, last_ip INET, created TIMESTAMPTZ DEFAULT now(),
                   score NUMERIC(10,2) DEFAULT 0, active BOOLEAN DEFAULT true);
               CREATE TABLE post (id BIGSERIAL PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
                   body TEXT CHECK (length(body) < 1000), at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
               ALTER TABLE "user" ADD COLUMN pinned_post_id BIGINT,
                   ADD CONSTRAINT fk_pinned FOREIGN KEY (pinned_post_id) REFERENCES post(id);
               CREATE INDEX ix_post_at ON post(at);
               CREATE UNIQUE INDEX ix_post_user_body ON post(user_id, lower(body)) WHERE body IS NOT NULL;
               CREATE VIEW recent AS SELECT p.id, u.name FROM post p JOIN "user" u ON u.id = p.user_id;
               INSERT INTO "user"(name) VALUES ('ada');"#
        }
        Db::Mysql => {
            r#"CREATE TABLE "user" (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL UNIQUE,
                   profile JSON, kind ENUM('admin', 'member') DEFAULT 'member', created TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                   score DECIMAL(10,2) DEFAULT 0, active TINYINT(1) DEFAULT 1, visits BIGINT UNSIGNED);
               CREATE TABLE post (id BIGINT AUTO_INCREMENT PRIMARY KEY, user_id INT NOT NULL, body TEXT, at DATETIME DEFAULT CURRENT_TIMESTAMP,
                   CONSTRAINT fk_post_user FOREIGN KEY (user_id) REFERENCES "user"(id) ON DELETE CASCADE,
                   CONSTRAINT ck_body CHECK (char_length(body) < 1000));
               ALTER TABLE "user" ADD COLUMN pinned_post_id BIGINT,
                   ADD CONSTRAINT fk_pinned FOREIGN KEY (pinned_post_id) REFERENCES post(id);
               CREATE INDEX ix_post_at ON post(at);
               CREATE VIEW recent AS SELECT p.id, u.name FROM post p JOIN "user" u ON u.id = p.user_id;
               INSERT INTO "user"(name) VALUES ('ada');"#
        }
    }
}

/// A directory without mb.toml next to a database made by hand.
fn legacy(db: Db) -> TestProject {
    let p = TestProject::empty_on(db);
    p.execute(legacy_schema(db));
    p
}

/// `mb --database-url URL ARGS` in the project, for directories without mb.toml.
fn with_url<'a>(p: &'a TestProject, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["--database-url", p.database_url()];
    all.extend_from_slice(args);
    all
}

fn declared(p: &TestProject) -> Schema {
    parse_schema_sql(&p.read("schema.sql"), Path::new("schema.sql")).unwrap()
}

fn inspect_prints_a_schema_that_reads_back_as_the_database(db: Db) {
    let p = legacy(db);
    let printed = p.ok(&with_url(&p, &["db", "inspect"])).stdout;
    assert_eq!(
        p.ok(&with_url(&p, &["db", "inspect"])).stdout,
        printed,
        "inspect is deterministic"
    );
    let schema = parse_schema_sql(&printed, Path::new("inspected.sql")).unwrap();
    assert_eq!(
        schema.tables.keys().collect::<Vec<_>>(),
        ["post", "user"],
        "{printed}"
    );
    assert_eq!(p.live_schema(&[&schema]).unwrap(), schema, "{printed}");
    // Referenced tables first (a cycle is broken by name), each with its indexes; views last.
    let heads: Vec<String> = printed
        .lines()
        .filter(|l| l.starts_with("CREATE"))
        .map(|l| l.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .filter(|head| !head.contains("INDEX"))
        .collect();
    assert_eq!(
        heads,
        [
            r#"CREATE TABLE "post""#,
            r#"CREATE TABLE "user""#,
            r#"CREATE VIEW "recent""#
        ],
        "{printed}"
    );
}

fn inspect_writes_a_file_and_replaces_one_only_when_forced(db: Db) {
    let p = legacy(db);
    let printed = p.ok(&with_url(&p, &["db", "inspect"])).stdout;
    let run = p.ok(&with_url(&p, &["db", "inspect", "--output", "legacy.sql"]));
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains("Wrote 2 tables, 1 view") && run.stderr.contains("to legacy.sql"),
        "{}",
        run.stderr
    );
    assert_eq!(p.read("legacy.sql"), printed);
    p.write("legacy.sql", "-- mine\n");
    let error = p.fails(
        &with_url(&p, &["db", "inspect", "--output", "legacy.sql"]),
        8,
    );
    assert_eq!(
        error,
        "legacy.sql already exists; pass --force to replace it, or choose another file with --output"
    );
    assert_eq!(p.read("legacy.sql"), "-- mine\n");
    p.ok(&with_url(
        &p,
        &["db", "inspect", "--output", "legacy.sql", "--force"],
    ));
    assert_eq!(p.read("legacy.sql"), printed);
}

fn init_from_database_adopts_without_recreating_anything(db: Db) {
    let p = legacy(db);
    let run = p.ok(&with_url(&p, &["db", "init", "--from-database"]));
    let files = p.revision_files();
    assert_eq!(files.len(), 1, "{files:?}");
    let id = &files[0][..12];
    assert_eq!(files[0], format!("{id}_baseline.sql"));
    assert_eq!(
        run.stdout,
        format!("Generating migrations/versions/{id}_baseline.sql ... done\n")
    );
    assert!(
        run.stderr.contains(&format!(
            "Stamped the database at {id} (baseline); no SQL was run."
        )),
        "{}",
        run.stderr
    );
    assert!(
        p.read("mb.toml")
            .contains(&format!("database_url = \"{}\"", p.database_url())),
        "mb.toml records the URL given:\n{}",
        p.read("mb.toml")
    );
    // Stamped, not run: the row made by hand is still there.
    assert_eq!(p.version_rows(), [id.to_string()]);
    assert_eq!(p.history_ops(), [(id.to_string(), "stamp".to_string())]);
    assert_eq!(p.scalar(r#"SELECT name FROM "user""#), "ada");

    // From here it is an ordinary project (mb.toml names the database).
    p.ok(&["db", "check"]);
    assert_eq!(
        p.ok(&["db", "inspect"]).stdout,
        p.read("schema.sql"),
        "inspect shows what schema.sql says, without mb's own tables"
    );
    let schema = p.read("schema.sql");
    p.write(
        "schema.sql",
        format!("{schema}\nCREATE TABLE \"tag\" (\"id\" INTEGER PRIMARY KEY, \"label\" VARCHAR(40) NOT NULL);\n"),
    );
    p.ok(&["db", "migrate", "-m", "tags"]);
    p.ok(&["db", "upgrade"]);
    p.ok(&["db", "check"]);
    assert_eq!(p.scalar(r#"SELECT count(*) FROM "tag""#), "0");
    assert_eq!(p.revision_files().len(), 2);
}

/// The baseline creates on an empty database the schema the adopted one has.
fn the_baseline_builds_the_same_schema_on_an_empty_database(db: Db) {
    let adopted = legacy(db);
    adopted.ok(&with_url(&adopted, &["db", "init", "--from-database"]));
    let fresh = TestProject::empty_on(db);
    let fresh_url = match db {
        Db::Sqlite => format!("sqlite:///{}", fresh.path("fresh.db").display()),
        _ => fresh.database_url().to_string(),
    };
    adopted.ok(&["--database-url", &fresh_url, "db", "upgrade"]);
    adopted.ok(&["--database-url", &fresh_url, "db", "check"]);
    let declared = declared(&adopted);
    let url = mb::config::DatabaseUrl::parse(&fresh_url, adopted.root()).unwrap();
    let mut connected = mb::backend::connect(&url, mb::backend::OpenMode::Read).unwrap();
    let built = connected
        .backend
        .introspect_against(&[&declared])
        .unwrap()
        .schema;
    assert_eq!(built, adopted.live_schema(&[&declared]).unwrap());
    assert_eq!(built, declared);
    // And the baseline's down section takes it all away again.
    adopted.ok(&["--database-url", &fresh_url, "db", "downgrade", "base"]);
    let empty = connected.backend.introspect().unwrap();
    assert_eq!(empty.schema, Schema::default());
}

/// A project that deleted its migrations keeps a schema.sql that agrees with the
/// database; the old revision recorded in the version table is forgotten.
fn a_project_that_lost_its_migrations_starts_again(db: Db) {
    let p = legacy(db);
    p.ok(&with_url(&p, &["db", "init", "--from-database"]));
    let old = p.version_rows();
    let schema = p.read("schema.sql");
    std::fs::remove_dir_all(p.path("migrations")).unwrap();
    p.ok(&["db", "init", "--from-database", "-m", "start again"]);
    let files = p.revision_files();
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with("_start_again.sql"), "{files:?}");
    assert_ne!(p.version_rows(), old);
    assert_eq!(p.version_rows(), [files[0][..12].to_string()]);
    assert_eq!(p.read("schema.sql"), schema, "schema.sql is kept");
    p.ok(&["db", "check"]);
}

fn init_from_database_refuses_what_it_cannot_adopt(db: Db) {
    // Revisions already there.
    let p = legacy(db);
    p.ok(&with_url(&p, &["db", "init", "--from-database"]));
    let error = p.fails(&["db", "init", "--from-database"], 4);
    assert_eq!(
        error,
        "migrations already has 1 revision; --from-database starts a project that has none (to record that a database already has them, use `mb db stamp head`)"
    );

    // A schema.sql that declares something else: nothing is written.
    std::fs::remove_dir_all(p.path("migrations")).unwrap();
    p.write(
        "schema.sql",
        "CREATE TABLE \"other\" (\"id\" INTEGER PRIMARY KEY);\n",
    );
    let error = p.fails(&["db", "init", "--from-database"], 8);
    assert!(
        error.starts_with("schema.sql declares a schema that differs from the database ("),
        "{error}"
    );
    assert!(
        error.ends_with(
            "move it away to have mb write the database's schema there, or make the two agree first"
        ),
        "{error}"
    );
    assert!(!p.exists("migrations"));

    // A database without tables.
    let empty = TestProject::empty_on(db);
    if db == Db::Sqlite {
        empty.execute("CREATE TABLE mb_version (version_num VARCHAR(32) PRIMARY KEY)");
    }
    let error = empty.fails(&with_url(&empty, &["db", "init", "--from-database"]), 4);
    assert!(
        error.ends_with("has no tables or views to adopt; start with `mb db init` instead"),
        "{error}"
    );
    assert!(!empty.exists("mb.toml") && !empty.exists("migrations"));
}

on_each_database!(
    inspect_prints_a_schema_that_reads_back_as_the_database,
    inspect_writes_a_file_and_replaces_one_only_when_forced,
    init_from_database_adopts_without_recreating_anything,
    the_baseline_builds_the_same_schema_on_an_empty_database,
    a_project_that_lost_its_migrations_starts_again,
    init_from_database_refuses_what_it_cannot_adopt,
);

#[test]
fn inspect_refuses_a_missing_sqlite_file() {
    let p = TestProject::empty();
    let error = p.fails(
        &["--database-url", "sqlite:///nowhere.db", "db", "inspect"],
        6,
    );
    assert_eq!(
        error,
        format!(
            "there is no database at sqlite:///{} (from --database-url); check the URL",
            p.abs("nowhere.db")
        )
    );
    assert!(!p.exists("nowhere.db"));
}

#[test]
fn a_message_needs_from_database() {
    let p = TestProject::empty();
    let output = p
        .mb()
        .args(["db", "init", "-m", "baseline"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!p.exists("mb.toml"));
}
