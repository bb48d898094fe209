//! Snapshots of a generated rename on each database: the table and column renames from
//! hints in schema.sql, and what follows them (constraints and indexes named after the
//! old table, the view that reads the renamed table).

mod autogen_common;

use mb::autogenerate::renames::{Renames, column_hints, diff_renaming, table_hints};
use mb::dialect::Dialect;
use mb::schema::Schema;
use mb::schema::parse::parse_declaration;

const BEFORE: &str = r#"
CREATE TABLE "user" (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE post (
    id INTEGER PRIMARY KEY,
    body VARCHAR(140) NOT NULL CHECK (body <> ''),
    user_id INTEGER REFERENCES "user"
);
CREATE INDEX ix_post_user_id ON post (user_id);
CREATE TABLE comment (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES post);
CREATE VIEW bodies AS SELECT body FROM post;
"#;

const AFTER: &str = r#"
CREATE TABLE "user" (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE article ( -- mb:renamed-from post
    id INTEGER PRIMARY KEY,
    text VARCHAR(140) NOT NULL CHECK (text <> ''), -- mb:renamed-from body
    user_id INTEGER REFERENCES "user"
);
CREATE INDEX ix_post_user_id ON article (user_id);
CREATE TABLE comment (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES article);
CREATE VIEW bodies AS SELECT text FROM article;
"#;

/// The up and down statements of the hinted migration BEFORE → AFTER on `dialect`.
fn rendered(dialect: Dialect) -> String {
    let file = std::path::Path::new("schema.sql");
    let before = parse_declaration(BEFORE, file).unwrap().schema;
    let after = parse_declaration(AFTER, file).unwrap();
    let mut renames = Renames {
        tables: table_hints(&before, &after, "schema.sql").unwrap(),
        ..Renames::default()
    };
    renames.columns = column_hints(&before, &after, &renames, "schema.sql").unwrap();
    let up = diff_renaming(&before, &after.schema, &renames.ops()).unwrap();
    let down = diff_renaming(&after.schema, &before, &renames.reverse_ops()).unwrap();
    let render = |from: &Schema, ops: &[mb::ops::Op]| {
        let mut state = from.clone();
        let mut lines = Vec::new();
        for op in ops {
            let rendered = dialect.render(op, &state).unwrap();
            lines.extend(rendered.statements.into_iter().map(|s| format!("{s};")));
            op.apply(&mut state).unwrap();
        }
        lines.join("\n")
    };
    format!(
        "-- up\n{}\n-- down\n{}",
        render(&before, &up),
        render(&after.schema, &down)
    )
}

#[test]
fn renames_on_sqlite() {
    insta::assert_snapshot!(rendered(Dialect::Sqlite));
}

#[test]
fn renames_on_postgres() {
    insta::assert_snapshot!(rendered(Dialect::Postgres));
}

#[test]
fn renames_on_mysql() {
    insta::assert_snapshot!(rendered(Dialect::Mysql));
}
