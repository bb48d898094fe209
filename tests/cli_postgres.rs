//! PostgreSQL's schema side through the CLI: what it reads from a database mb did not
//! create, identity keys on tables with rows, casts, schemas other than `public`, and
//! what it refuses.

mod common;

use common::{Db, TestProject};

/// A project on its own PostgreSQL database, or `None` (the test is skipped loudly).
fn project(test: &str) -> Option<TestProject> {
    Db::Postgres
        .available(test)
        .then(|| TestProject::on(Db::Postgres))
}

fn no_changes(p: &TestProject) {
    let run = p.ok(&["db", "migrate", "-m", "nothing"]);
    assert!(
        run.stderr.contains("No changes in schema detected."),
        "{}",
        run.stderr
    );
    p.ok(&["db", "check"]);
}

#[test]
fn a_hand_made_database_reads_like_its_portable_declaration() {
    let Some(p) = project("cli_postgres::a_hand_made_database") else {
        return;
    };
    // Written the PostgreSQL way: serial keys, casts, type aliases, PostgreSQL's spelling.
    p.execute(
        "CREATE TABLE legacy (id serial PRIMARY KEY, name character varying(20) DEFAULT 'x'::character varying NOT NULL, \
         price numeric(8,2) CONSTRAINT legacy_price CHECK (price > 0::numeric), at timestamptz DEFAULT now(), big int8);
         CREATE INDEX legacy_lower ON legacy (lower((name)::text)) WHERE (price > 10);
         CREATE VIEW cheap AS SELECT legacy.id, legacy.name FROM legacy WHERE legacy.price < 5;",
    );
    p.write(
        "schema.sql",
        r#"CREATE TABLE "legacy" (
    "id" INTEGER,
    "name" VARCHAR(20) NOT NULL DEFAULT 'x',
    "price" NUMERIC(8, 2),
    "at" TIMESTAMP WITH TIME ZONE DEFAULT now(),
    "big" BIGINT,
    CONSTRAINT "legacy_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "legacy_price" CHECK ("price" > 0)
);
CREATE INDEX "legacy_lower" ON "legacy" (lower("name")) WHERE "price" > 10;
CREATE VIEW "cheap" AS SELECT "id", "name" FROM "legacy" WHERE "price" < 5;
"#,
    );
    // No revision made them: adopting writes what PostgreSQL stores like the declaration
    // in the declaration's portable words.
    p.ok(&["db", "adopt", "-m", "legacy"]);
    let adopted = p.read(&format!("migrations/versions/{}", p.revision_files()[0]));
    assert!(
        adopted.contains("CONSTRAINT \"legacy_price\" CHECK (\"price\" > 0)")
            && adopted.contains("WHERE \"price\" < 5")
            && !adopted.contains("::"),
        "{adopted}"
    );
    no_changes(&p);
    // A change is generated in portable SQL, whatever PostgreSQL's spelling.
    p.write(
        "schema.sql",
        p.read("schema.sql")
            .replace("\"price\" > 0)", "\"price\" >= 1)"),
    );
    p.ok(&["db", "migrate", "-m", "price", "--rev-id", "aaa111"]);
    let text = p.read("migrations/versions/aaa111_price.sql");
    assert!(
        text.contains(
            "ALTER TABLE \"legacy\" ADD CONSTRAINT \"legacy_price\" CHECK (\"price\" >= 1);"
        ),
        "{text}"
    );
    // The serial sequence still numbers rows.
    p.execute("INSERT INTO legacy (name, price) VALUES ('a', 1)");
    assert_eq!(p.scalar("SELECT id FROM legacy"), "1");
}

#[test]
fn keys_made_later_number_rows_after_the_existing_ones() {
    let Some(p) = project("cli_postgres::keys_made_later") else {
        return;
    };
    p.write(
        "schema.sql",
        "CREATE TABLE item (id INTEGER NOT NULL, code TEXT);\n",
    );
    p.ok(&["db", "migrate", "-m", "items", "--rev-id", "aaa111"]);
    p.ok(&["db", "upgrade"]);
    p.execute("INSERT INTO item (id, code) VALUES (1, '10'), (7, '20')");
    // A key, and a text column that becomes an integer: PostgreSQL needs USING for that.
    p.write(
        "schema.sql",
        "CREATE TABLE item (id INTEGER PRIMARY KEY, code INTEGER);\n",
    );
    p.ok(&["db", "migrate", "-m", "key", "--rev-id", "bbb222"]);
    let sql = p.ok(&["db", "upgrade", "--sql", "aaa111:bbb222"]).stdout;
    assert!(
        sql.contains(
            "ALTER TABLE \"item\" ALTER COLUMN \"code\" TYPE INTEGER USING \"code\"::INTEGER;"
        ),
        "{sql}"
    );
    // mb cannot tell whether every text converts: the one who knows says so.
    let refused = common::fails_after_progress(p.mb().args(["db", "upgrade"]), 8).1;
    assert!(
        refused.starts_with("the upgrade would lose the data above"),
        "{refused}"
    );
    p.ok(&["db", "upgrade", "--allow-data-loss"]);
    p.execute("INSERT INTO item (code) VALUES (30)");
    assert_eq!(
        p.first_column("SELECT id || ':' || code FROM item ORDER BY id"),
        ["1:10", "7:20", "8:30"]
    );
    no_changes(&p);
    // Down again: the identity goes with the key, and the values turn back into text.
    p.ok(&["db", "downgrade"]);
    assert_eq!(
        p.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'item' AND is_identity = 'YES'"),
        "0"
    );
    assert_eq!(
        p.scalar("SELECT data_type FROM information_schema.columns WHERE table_name = 'item' AND column_name = 'code'"),
        "text"
    );
}

#[test]
fn a_schema_of_its_own_is_compared_on_its_own() {
    let Some(p) = project("cli_postgres::a_schema_of_its_own") else {
        return;
    };
    // The same table name in public must not leak into the tenant's schema.
    p.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, other TEXT)");
    let tenant = format!(
        "{}?schema=tenant%20one",
        p.server.as_ref().expect("a server database").url
    );
    p.set_config_url(Some(&tenant));
    p.write(
        "schema.sql",
        "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT CHECK (length(name) > 1));\nCREATE VIEW names AS SELECT name FROM item;\n",
    );
    p.ok(&["db", "migrate", "-m", "items", "--rev-id", "aaa111"]);
    p.ok(&["db", "upgrade"]);
    no_changes(&p);
    assert_eq!(
        p.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'tenant one'"
        ),
        "4",
        "item, names, mb_version and mb_history"
    );
    assert_eq!(
        p.scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'mb_scratch%'"),
        "0",
        "the scratch schema is rolled back"
    );
}

#[test]
fn what_the_model_cannot_hold_is_named_and_left_alone() {
    let Some(p) = project("cli_postgres::what_the_model_cannot_hold") else {
        return;
    };
    p.execute(
        "CREATE TYPE mood AS ENUM ('sad', 'ok');
         CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
         CREATE SEQUENCE tickets;
         CREATE TABLE box (id INTEGER PRIMARY KEY, w INTEGER, area INTEGER GENERATED ALWAYS AS (w * w) STORED,
             during tsrange, EXCLUDE USING gist (during WITH &&));
         CREATE INDEX box_area ON box (area);
         CREATE TABLE tags (id INTEGER PRIMARY KEY, t TEXT, box_id INTEGER,
             CONSTRAINT tags_box FOREIGN KEY (box_id) REFERENCES box (id) DEFERRABLE INITIALLY DEFERRED);
         CREATE INDEX tags_t ON tags USING hash (t);
         CREATE INDEX tags_covering ON tags (id) INCLUDE (t);
         COMMENT ON TABLE tags IS 'labels';
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
         CREATE TRIGGER tags_touch BEFORE UPDATE ON tags FOR EACH ROW EXECUTE FUNCTION touch();
         CREATE MATERIALIZED VIEW tag_count AS SELECT count(*) AS n FROM tags;
         CREATE TABLE event (at date NOT NULL, what TEXT) PARTITION BY RANGE (at);
         CREATE TABLE event_2024 PARTITION OF event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');",
    );
    p.write(
        "schema.sql",
        "CREATE TABLE box (id INTEGER, w INTEGER, during TSRANGE, CONSTRAINT box_pkey PRIMARY KEY (id));
         CREATE TABLE tags (id INTEGER, t TEXT, box_id INTEGER, CONSTRAINT tags_pkey PRIMARY KEY (id));
         CREATE TABLE event (at DATE NOT NULL, what TEXT);\n",
    );
    let warnings = [
        "column \"area\" on \"box\" is a generated column",
        "comment on table \"tags\" says 'labels'",
        "domain \"positive\" is over integer",
        "enum type \"mood\" has the values 'sad', 'ok'",
        "exclusion constraint \"box_during_excl\" on \"box\" is an exclusion constraint",
        "foreign key \"tags_box\" on \"tags\" is DEFERRABLE",
        "function \"touch\" takes ()",
        "index \"box_area\" on \"box\" uses a column or table that mb leaves out",
        "index \"tags_covering\" on \"tags\" has INCLUDE columns",
        "index \"tags_t\" on \"tags\" uses the hash method",
        "materialized view \"tag_count\" is a materialized view",
        "partition \"event_2024\" on \"event\" is a partition (FOR VALUES FROM ('2024-01-01') TO ('2025-01-01'))",
        "sequence \"tickets\" is not owned by a serial or identity column",
        "table \"event\" is PARTITION BY RANGE (at), read as a plain table: the partitioning",
        "trigger \"tags_touch\" on \"tags\" runs touch()",
    ];
    // TSRANGE ties the project to PostgreSQL; no revision made the tables, so they are
    // adopted first (docs/drift.md), without the parts mb leaves out.
    p.deploy_only_here();
    common::assert_left_alone_by_every_command(&p, &warnings);
    assert_eq!(p.columns("box"), ["id", "w", "area", "during"]);
}
