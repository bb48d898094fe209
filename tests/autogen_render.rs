//! Snapshots of the SQL that ops render to on SQLite, in place and by rebuild.

mod autogen_common;

use autogen_common::schema;
use mb::dialect::{Dialect, Rendered};
use mb::ops::Op;
use mb::schema::Schema;

const BLOG: &str = r#"
    CREATE TABLE "user" (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE, bio TEXT);
    CREATE TABLE post (
        id INTEGER PRIMARY KEY,
        user_id BIGINT NOT NULL REFERENCES "user" ON DELETE CASCADE,
        body TEXT DEFAULT '',
        CHECK (length(body) < 1000)
    );
    CREATE INDEX ix_post_user ON post (user_id DESC) WHERE body IS NOT NULL;
    CREATE VIEW recent AS SELECT id, body FROM post WHERE id > 10;"#;

/// The rendering of `statement` on SQLite before `BLOG`, with its flags.
fn render(statement: &str) -> String {
    let before = schema(BLOG).unwrap();
    let op = Op::parse(statement).unwrap().unwrap();
    show(Dialect::Sqlite.render(&op, &before).unwrap())
}

fn show(rendered: Rendered) -> String {
    format!(
        "{};\n-- foreign_keys_off: {}, rebuilt_tables: {:?}",
        rendered.statements.join(";\n"),
        rendered.foreign_keys_off,
        rendered.rebuilt_tables
    )
}

#[test]
fn create_table_names_every_constraint_and_keeps_a_bigint_rowid_key() {
    let blog = schema(BLOG).unwrap();
    let mut post = blog.tables["post"].clone();
    post.indexes.clear();
    let mut before = blog.clone();
    before.tables.remove("post");
    let rendered = Dialect::Sqlite
        .render(&Op::CreateTable(post), &before)
        .unwrap();
    insta::assert_snapshot!(show(rendered), @r#"
        CREATE TABLE "post" (
            "id" INTEGER NOT NULL,
            "user_id" BIGINT NOT NULL,
            "body" TEXT DEFAULT '',
            CONSTRAINT "pk_post" PRIMARY KEY ("id"),
            CONSTRAINT "ck_post_body" CHECK (LENGTH("body") < 1000),
            CONSTRAINT "fk_post_user_id_user" FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE
        );
        -- foreign_keys_off: false, rebuilt_tables: []
        "#);
    let user = Op::CreateTable(blog.tables["user"].clone());
    insta::assert_snapshot!(show(Dialect::Sqlite.render(&user, &Schema::default()).unwrap()), @r#"
        CREATE TABLE "user" (
            "id" INTEGER /* mb:BIGINT */ NOT NULL,
            "name" VARCHAR(40) NOT NULL,
            "bio" TEXT,
            CONSTRAINT "pk_user" PRIMARY KEY ("id"),
            CONSTRAINT "uq_user_name" UNIQUE ("name")
        );
        -- foreign_keys_off: false, rebuilt_tables: []
        "#);
}

#[test]
fn columns_are_added_and_dropped_in_place_when_sqlite_allows() {
    insta::assert_snapshot!(render(r#"ALTER TABLE "user" ADD COLUMN email TEXT DEFAULT 'none' NOT NULL"#), @r#"
        ALTER TABLE "user" ADD COLUMN "email" TEXT NOT NULL DEFAULT 'none';
        -- foreign_keys_off: false, rebuilt_tables: []
        "#);
    insta::assert_snapshot!(render(r#"ALTER TABLE "user" DROP COLUMN bio"#), @r#"
        ALTER TABLE "user" DROP COLUMN "bio";
        -- foreign_keys_off: false, rebuilt_tables: []
        "#);
    assert!(
        render(r#"ALTER TABLE "user" DROP COLUMN name"#).contains("_mb_tmp_user"),
        "a column with a unique constraint is dropped by a rebuild"
    );
}

#[test]
fn a_rebuild_restores_indexes_and_views() {
    insta::assert_snapshot!(render("ALTER TABLE post ADD COLUMN created TIMESTAMP DEFAULT CURRENT_TIMESTAMP"), @r#"
        DROP VIEW "recent";
        CREATE TABLE "_mb_tmp_post" (
            "id" INTEGER NOT NULL,
            "user_id" BIGINT NOT NULL,
            "body" TEXT DEFAULT '',
            "created" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            CONSTRAINT "pk_post" PRIMARY KEY ("id"),
            CONSTRAINT "ck_post_body" CHECK (LENGTH("body") < 1000),
            CONSTRAINT "fk_post_user_id_user" FOREIGN KEY ("user_id") REFERENCES "user" ("id") ON DELETE CASCADE
        );
        INSERT INTO "_mb_tmp_post" ("id", "user_id", "body") SELECT "id", "user_id", "body" FROM "post";
        DROP TABLE "post";
        PRAGMA legacy_alter_table = ON;
        ALTER TABLE "_mb_tmp_post" RENAME TO "post";
        PRAGMA legacy_alter_table = OFF;
        CREATE INDEX "ix_post_user" ON "post" ("user_id" DESC) WHERE "body" IS NOT NULL;
        CREATE VIEW "recent" AS SELECT "id", "body" FROM "post" WHERE "id" > 10;
        -- foreign_keys_off: true, rebuilt_tables: ["post"]
        "#);
}

#[test]
fn altering_a_column_rebuilds_the_table() {
    insta::assert_snapshot!(render(r#"ALTER TABLE "user" ALTER COLUMN name TYPE TEXT, ALTER COLUMN name DROP NOT NULL"#), @r#"
        CREATE TABLE "_mb_tmp_user" (
            "id" INTEGER /* mb:BIGINT */ NOT NULL,
            "name" TEXT,
            "bio" TEXT,
            CONSTRAINT "pk_user" PRIMARY KEY ("id"),
            CONSTRAINT "uq_user_name" UNIQUE ("name")
        );
        INSERT INTO "_mb_tmp_user" ("id", "name", "bio") SELECT "id", "name", "bio" FROM "user";
        DROP TABLE "user";
        PRAGMA legacy_alter_table = ON;
        ALTER TABLE "_mb_tmp_user" RENAME TO "user";
        PRAGMA legacy_alter_table = OFF;
        -- foreign_keys_off: true, rebuilt_tables: ["user"]
        "#);
}

#[test]
fn indexes_views_and_renames_are_in_place() {
    insta::assert_snapshot!(render(r#"CREATE UNIQUE INDEX "ix body" ON post (lower(body), id DESC) WHERE id > 0"#), @r#"
        CREATE UNIQUE INDEX "ix body" ON "post" ((LOWER("body")), "id" DESC) WHERE "id" > 0;
        -- foreign_keys_off: false, rebuilt_tables: []
        "#);
    insta::assert_snapshot!(render("ALTER TABLE post RENAME COLUMN body TO content"), @r#"
        ALTER TABLE "post" RENAME COLUMN "body" TO "content";
        -- foreign_keys_off: false, rebuilt_tables: []
        "#);
    insta::assert_snapshot!(render("DROP INDEX ix_post_user"), @r#"
        DROP INDEX "ix_post_user";
        -- foreign_keys_off: false, rebuilt_tables: []
        "#);
}
