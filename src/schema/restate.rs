//! Comparing a declared schema with a database that rewrites what it stores.
//!
//! PostgreSQL keeps expressions and view queries in its own words (`CHECK (price > 0)`
//! reads back as `"price" > (0)::NUMERIC`), so a declared schema never equals the
//! introspected one text for text. mb does not try to undo the rewriting. It lets the
//! database rewrite the declared schema too (PostgreSQL's `Backend::introspect_against`
//! creates it in a scratch schema, reads it and rolls back) and then knows, object by
//! object, which stored form stands for which declared one. [`restate`] puts the declared form back in
//! place of every live object that reads back exactly like it, so that:
//!
//! - an object that did not change compares equal, and generates nothing;
//! - an object that did change is generated from the declared text (portable SQL, which
//!   every database runs), and its down migration from the text of the schema the
//!   migrations built, when the live object reads back like that one.
//!
//! Only objects the database altered by hand, that match neither, keep the database's
//! own spelling.

use super::{Schema, Table};

/// `live` with every column, check, index and view that equals its counterpart (by
/// table and name) in a read-back schema replaced by the same object of the schema that
/// was read back. `known` pairs a schema with its read-back form; the first match wins.
pub fn restate<'a>(live: &Schema, known: &[(&'a Schema, &'a Schema)]) -> Schema {
    let mut restated = live.clone();
    restated.tables.change_each(|_, table| {
        let pairs: Vec<(&'a Table, &'a Table)> = known
            .iter()
            .filter_map(|(source, read)| {
                Some((
                    source.tables.get(&table.name)?,
                    read.tables.get(&table.name)?,
                ))
            })
            .collect();
        for column in &mut table.columns {
            if let Some(declared) = first_match(&pairs, |t| t.column(&column.name), column) {
                *column = declared.clone();
            }
        }
        for check in &mut table.checks {
            let name = check.name.clone();
            let by_name = |t: &'a Table| t.checks.iter().find(|c| c.name == name);
            if let Some(declared) = first_match(&pairs, by_name, check) {
                *check = declared.clone();
            }
        }
        for index in &mut table.indexes {
            if let Some(declared) = first_match(&pairs, |t| t.index(&index.name), index) {
                *index = declared.clone();
            }
        }
        table.normalize();
    });
    for view in restated.views.values_mut() {
        let declared = known.iter().find_map(|(source, read)| {
            (read.views.get(&view.name) == Some(view))
                .then(|| source.views.get(&view.name))
                .flatten()
        });
        if let Some(declared) = declared {
            *view = declared.clone();
        }
    }
    restated
}

/// `schema` with the columns of each table in the order `live` has them (columns `live`
/// lacks after, in their own order). Column order is no part of the model, but a view
/// that selects `*` lists the columns in table order once the database expands it, so a
/// schema is read back in the live order to compare its views with the live ones.
pub fn in_column_order_of(schema: &Schema, live: &Schema) -> Schema {
    let mut ordered = schema.clone();
    ordered.tables.change_each(|_, table| {
        if let Some(live) = live.tables.get(&table.name) {
            let position = |name: &str| {
                live.columns
                    .iter()
                    .position(|c| c.name == name)
                    .unwrap_or(usize::MAX)
            };
            table.columns.sort_by_key(|c| position(&c.name));
        }
    });
    ordered
}

/// The source's part of the first pair whose read-back part (found by `part`) equals
/// `live`.
fn first_match<'a, T: PartialEq>(
    pairs: &[(&'a Table, &'a Table)],
    part: impl Fn(&'a Table) -> Option<&'a T>,
    live: &T,
) -> Option<&'a T> {
    pairs
        .iter()
        .find(|(_, read)| part(read) == Some(live))
        .and_then(|(source, _)| part(source))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse::parse_schema_sql;

    fn schema(sql: &str) -> Schema {
        parse_schema_sql(sql, std::path::Path::new("schema.sql")).unwrap()
    }

    #[test]
    fn columns_follow_the_live_order() {
        let declared = schema("CREATE TABLE t (a INT, b INT, c INT, d INT)");
        let live = schema("CREATE TABLE t (c INT, a INT)");
        let names: Vec<String> = in_column_order_of(&declared, &live).tables["t"]
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect();
        assert_eq!(names, ["c", "a", "b", "d"]);
    }

    #[test]
    fn objects_that_read_back_alike_take_the_declared_form() {
        let declared = schema(
            "CREATE TABLE t (a NUMERIC(5, 2) DEFAULT 1 CHECK (a > 0), b INT);
             CREATE VIEW v AS SELECT a FROM t;",
        );
        // What a database that rewrites everything would store.
        let stored = schema(
            "CREATE TABLE t (a NUMERIC(5, 2) DEFAULT 1.0 CHECK (a > 0.0), b INT);
             CREATE VIEW v AS SELECT t.a FROM t;",
        );
        assert_eq!(restate(&stored, &[(&declared, &stored)]), declared);

        // The check changed by hand since: it keeps the database's spelling.
        let drifted = schema(
            "CREATE TABLE t (a NUMERIC(5, 2) DEFAULT 1.0 CHECK (a > 1.0), b INT);
             CREATE VIEW v AS SELECT t.a FROM t;",
        );
        let restated = restate(&drifted, &[(&declared, &stored)]);
        assert_eq!(restated.tables["t"].checks, drifted.tables["t"].checks);
        assert_eq!(restated.tables["t"].columns, declared.tables["t"].columns);
        assert_eq!(restated.views, declared.views);
    }
}
