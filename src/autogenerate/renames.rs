//! Renames in generated revisions: from the hints in schema.sql, or confirmed when
//! `migrate` asks about a likely one.
//!
//! A rename is an op that keeps the rows ([`Op::RenameTable`], [`Op::RenameColumn`]).
//! [`diff_renaming`] puts the renames first (after dropping the views that read what is
//! renamed), then diffs the renamed schema with the target as usual. So everything else
//! about the renamed table is compared by name as always: a constraint or index named
//! by the convention after the old table name (`pk_post`) is dropped and created under
//! the name the declaration gives it (`pk_article`), exactly as the database will then
//! read back; one named explicitly in schema.sql keeps its name.
//!
//! A hint is resolved against the schema the database has:
//!
//! | old name | new name | meaning |
//! | --- | --- | --- |
//! | exists | missing | rename it |
//! | missing | exists | already renamed: nothing to do, the hint may stay |
//! | exists | exists | error: both are there, the hint cannot be right |
//! | missing | missing | error: the old name is probably misspelt |

use crate::Error;
use crate::ops::Op;
use crate::schema::declaration::Declaration;
use crate::schema::{Schema, quoted};

/// Renames between two schemas: tables first, then columns (under the new table name).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Renames {
    pub tables: Vec<TableRename>,
    pub columns: Vec<ColumnRename>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRename {
    pub from: String,
    pub to: String,
}

/// A column rename in `table`, named as the table is after the table renames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnRename {
    pub table: String,
    pub from: String,
    pub to: String,
}

/// A rename nothing declared but the two schemas suggest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Candidate {
    Table(TableRename),
    Column(ColumnRename),
}

impl Renames {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty()
    }

    pub fn add(&mut self, candidate: Candidate) {
        match candidate {
            Candidate::Table(rename) => self.tables.push(rename),
            Candidate::Column(rename) => self.columns.push(rename),
        }
    }

    /// The rename ops from the old schema to the new one.
    pub fn ops(&self) -> Vec<Op> {
        let tables = self.tables.iter().map(|r| Op::RenameTable {
            from: r.from.clone(),
            to: r.to.clone(),
        });
        let columns = self.columns.iter().map(|r| Op::RenameColumn {
            table: r.table.clone(),
            from: r.from.clone(),
            to: r.to.clone(),
        });
        tables.chain(columns).collect()
    }

    /// The rename ops back from the new schema to the old one: columns first, while
    /// their table still has its new name.
    pub fn reverse_ops(&self) -> Vec<Op> {
        let columns = self.columns.iter().rev().map(|r| Op::RenameColumn {
            table: r.table.clone(),
            from: r.to.clone(),
            to: r.from.clone(),
        });
        let tables = self.tables.iter().rev().map(|r| Op::RenameTable {
            from: r.to.clone(),
            to: r.from.clone(),
        });
        columns.chain(tables).collect()
    }

    /// The name `table` (of the new schema) has in the old one.
    fn old_table_name<'a>(&'a self, table: &'a str) -> &'a str {
        self.tables
            .iter()
            .find(|r| r.to == table)
            .map_or(table, |r| r.from.as_str())
    }
}

/// The table hints of `declaration` that still apply to `live`. `file` names schema.sql
/// in messages.
pub fn table_hints(
    live: &Schema,
    declaration: &Declaration,
    file: &str,
) -> crate::Result<Vec<TableRename>> {
    let mut renames = Vec::new();
    for (name, declared) in &declaration.tables {
        let Some(old) = &declared.renamed_from else {
            continue;
        };
        let what = format!("table {}", quoted(name));
        let at = format!("{file}:{}", declared.line);
        match resolve(
            &what,
            &at,
            old,
            live.tables.contains_key(old),
            live.relation_exists(name),
        )? {
            true => renames.push(TableRename {
                from: old.clone(),
                to: name.clone(),
            }),
            false => continue,
        }
        if declaration.schema.tables.contains_key(old) {
            return Err(Error::schema(format!(
                "{at}: {what} is declared as renamed from {}, but {file} still declares {} too — remove the hint or the old table",
                quoted(old),
                quoted(old)
            )));
        }
    }
    Ok(renames)
}

/// The column hints of `declaration` that still apply to `live`, given the table
/// renames already decided.
pub fn column_hints(
    live: &Schema,
    declaration: &Declaration,
    tables: &Renames,
    file: &str,
) -> crate::Result<Vec<ColumnRename>> {
    let mut renames = Vec::new();
    for ((table, column), declared) in &declaration.columns {
        let Some(old) = &declared.renamed_from else {
            continue;
        };
        let what = format!("column {}.{}", quoted(table), quoted(column));
        let at = format!("{file}:{}", declared.line);
        let Some(live_table) = live.tables.get(tables.old_table_name(table)) else {
            return Err(Error::schema(format!(
                "{at}: {what} is declared as renamed from {}, but table {} is new — remove the hint",
                quoted(old),
                quoted(table)
            )));
        };
        let has = |name: &str| live_table.column(name).is_some();
        if resolve(&what, &at, old, has(old), has(column))? {
            renames.push(ColumnRename {
                table: table.clone(),
                from: old.clone(),
                to: column.clone(),
            });
        }
    }
    Ok(renames)
}

/// Whether a hint is to be carried out (see the table in the module documentation).
fn resolve(
    what: &str,
    at: &str,
    old: &str,
    old_exists: bool,
    new_exists: bool,
) -> crate::Result<bool> {
    match (old_exists, new_exists) {
        (true, false) => Ok(true),
        (false, true) => Ok(false),
        (true, true) => Err(Error::schema(format!(
            "{at}: {what} is declared as renamed from {}, but the database has both — remove the hint, or drop one of them",
            quoted(old)
        ))),
        (false, false) => Err(Error::schema(format!(
            "{at}: {what} is declared as renamed from {}, but the database has neither — fix the old name, or remove the hint",
            quoted(old)
        ))),
    }
}

/// The ops that turn `from` into `to`, renaming first: the views that read a renamed
/// table are dropped before the renames (a database will not rename what a view reads)
/// and created again at the end, like any view of a changed table.
pub fn diff_renaming(from: &Schema, to: &Schema, renames: &[Op]) -> crate::Result<Vec<Op>> {
    let (mut ops, renamed) = apply_renames(from, renames)?;
    ops.extend(super::diff(&renamed, to));
    Ok(ops)
}

/// `from` after `renames`, and the ops that got it there (view drops and renames).
fn apply_renames(from: &Schema, renames: &[Op]) -> crate::Result<(Vec<Op>, Schema)> {
    let mut state = from.clone();
    let mut ops = Vec::new();
    for rename in renames {
        let renamed = match rename {
            Op::RenameTable { from, .. } => Some(from),
            Op::RenameColumn { table, .. } => Some(table),
            _ => None,
        };
        let readers: Vec<String> = renamed
            .map(|table| state.views_reading(table))
            .unwrap_or_default()
            .iter()
            .map(|v| v.name.clone())
            .collect();
        for name in readers.into_iter().rev() {
            let drop = Op::DropView { name };
            drop.apply(&mut state)?;
            ops.push(drop);
        }
        rename.apply(&mut state)?;
        ops.push(rename.clone());
    }
    Ok((ops, state))
}

/// Likely renames that `renames` does not already make: a table that disappears while
/// one with the same columns (names and types) appears, and a table that loses one
/// column and gains one of the same type. Only one-to-one matches count.
pub fn candidates(from: &Schema, to: &Schema, renames: &Renames) -> crate::Result<Vec<Candidate>> {
    let (_, renamed) = apply_renames(from, &renames.ops())?;
    let shape = |t: &crate::schema::Table| {
        let mut columns: Vec<(String, String)> = t
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty.to_string()))
            .collect();
        columns.sort();
        columns
    };
    let dropped: Vec<_> = renamed
        .tables
        .values()
        .filter(|t| !to.tables.contains_key(&t.name))
        .collect();
    let created: Vec<_> = to
        .tables
        .values()
        .filter(|t| !renamed.relation_exists(&t.name))
        .collect();
    let mut found = Vec::new();
    for old in &dropped {
        let matches: Vec<_> = created.iter().filter(|t| shape(t) == shape(old)).collect();
        let rivals = dropped.iter().filter(|t| shape(t) == shape(old)).count();
        if let ([new], 1) = (matches.as_slice(), rivals) {
            found.push(Candidate::Table(TableRename {
                from: old.name.clone(),
                to: new.name.clone(),
            }));
        }
    }
    for old in renamed.tables.values() {
        let Some(new) = to.tables.get(&old.name) else {
            continue;
        };
        let lost: Vec<_> = old
            .columns
            .iter()
            .filter(|c| new.column(&c.name).is_none())
            .collect();
        let gained: Vec<_> = new
            .columns
            .iter()
            .filter(|c| old.column(&c.name).is_none())
            .collect();
        if let ([lost], [gained]) = (lost.as_slice(), gained.as_slice())
            && lost.ty == gained.ty
        {
            found.push(Candidate::Column(ColumnRename {
                table: old.name.clone(),
                from: lost.name.clone(),
                to: gained.name.clone(),
            }));
        }
    }
    Ok(found)
}

/// The renames from `live` that the hints of `declaration` declare (`file` names
/// schema.sql in messages): tables first, then columns under the new table names.
pub fn hinted(live: &Schema, declaration: &Declaration, file: &str) -> crate::Result<Renames> {
    let mut renames = Renames {
        tables: table_hints(live, declaration, file)?,
        ..Renames::default()
    };
    renames.columns = column_hints(live, declaration, &renames, file)?;
    Ok(renames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse::parse_declaration;

    fn declare(sql: &str) -> Declaration {
        parse_declaration(sql, std::path::Path::new("schema.sql")).unwrap()
    }

    fn hinted(live: &Schema, declared: &Declaration) -> crate::Result<Renames> {
        super::hinted(live, declared, "schema.sql")
    }

    /// The first lines of the up statements, after checking that up turns `live` into
    /// the declared schema and down turns it back.
    fn migrate(live: &str, declared: &str) -> Vec<String> {
        let live = declare(live).schema;
        let declared = declare(declared);
        let renames = hinted(&live, &declared).unwrap();
        let up = diff_renaming(&live, &declared.schema, &renames.ops()).unwrap();
        let down = diff_renaming(&declared.schema, &live, &renames.reverse_ops()).unwrap();
        let mut state = live.clone();
        for op in &up {
            assert_eq!(Op::parse(&op.to_sql()).unwrap().as_ref(), Some(op));
            op.apply(&mut state).unwrap();
        }
        assert_eq!(state, declared.schema);
        for op in &down {
            op.apply(&mut state).unwrap();
        }
        assert_eq!(state, live);
        up.iter()
            .map(|op| op.to_sql().lines().next().unwrap().to_string())
            .collect()
    }

    const POST: &str = "CREATE TABLE post (\n id INTEGER PRIMARY KEY,\n body TEXT NOT NULL\n);\nCREATE INDEX ix_post_body ON post (body);\nCREATE VIEW bodies AS SELECT body FROM post";

    #[test]
    fn a_column_hint_renames_the_column_and_its_conventional_index_follows() {
        let declared = "CREATE TABLE post (\n id INTEGER PRIMARY KEY,\n text TEXT NOT NULL -- mb:renamed-from body\n);\nCREATE INDEX ix_post_text ON post (text);\nCREATE VIEW bodies AS SELECT text FROM post";
        assert_eq!(
            migrate(POST, declared),
            [
                r#"DROP VIEW "bodies""#,
                r#"ALTER TABLE "post" RENAME COLUMN "body" TO "text""#,
                r#"DROP INDEX "ix_post_body""#,
                r#"CREATE INDEX "ix_post_text" ON "post" ("text")"#,
                r#"CREATE VIEW "bodies" AS SELECT "text" FROM "post""#,
            ]
        );
    }

    #[test]
    fn a_table_hint_renames_the_table_and_a_column_hint_in_it_follows() {
        let declared = "CREATE TABLE article ( -- mb:renamed-from post\n id INTEGER PRIMARY KEY,\n text TEXT NOT NULL -- mb:renamed-from body\n);\nCREATE INDEX ix_post_body ON article (text);\nCREATE TABLE c (p INT REFERENCES article)";
        let live = format!("{POST};\nCREATE TABLE c (p INT REFERENCES post)");
        assert_eq!(
            migrate(&live, declared),
            [
                r#"DROP VIEW "bodies""#,
                r#"ALTER TABLE "post" RENAME TO "article""#,
                r#"ALTER TABLE "article" RENAME COLUMN "body" TO "text""#,
                r#"ALTER TABLE "c" DROP CONSTRAINT "fk_c_p_post""#,
                r#"ALTER TABLE "article" DROP CONSTRAINT "pk_post""#,
                r#"ALTER TABLE "article" ADD CONSTRAINT "pk_article" PRIMARY KEY ("id")"#,
                r#"ALTER TABLE "c" ADD CONSTRAINT "fk_c_p_article" FOREIGN KEY ("p") REFERENCES "article" ("id")"#,
            ]
        );
    }

    #[test]
    fn applied_hints_are_no_ops_and_wrong_ones_errors() {
        let declared = declare(
            "CREATE TABLE article ( -- mb:renamed-from post\n id INTEGER PRIMARY KEY,\n text TEXT -- mb:renamed-from body\n)",
        );
        assert!(hinted(&declared.schema, &declared).unwrap().is_empty());
        let error = |live: &str| {
            hinted(&declare(live).schema, &declared)
                .unwrap_err()
                .message
        };
        assert_eq!(
            error("CREATE TABLE other (id INT)"),
            "schema.sql:1: table \"article\" is declared as renamed from \"post\", but the database has neither — fix the old name, or remove the hint"
        );
        assert!(
            error("CREATE TABLE post (id INT); CREATE TABLE article (id INT)")
                .contains("the database has both")
        );
        assert_eq!(
            error("CREATE TABLE article (id INT, body TEXT, text TEXT)"),
            "schema.sql:3: column \"article\".\"text\" is declared as renamed from \"body\", but the database has both — remove the hint, or drop one of them"
        );
        assert!(error("CREATE TABLE article (id INT)").contains("has neither"));
    }

    #[test]
    fn likely_renames_are_one_to_one_matches() {
        let candidates = |from: &str, to: &str| {
            candidates(
                &declare(from).schema,
                &declare(to).schema,
                &Renames::default(),
            )
            .unwrap()
        };
        assert_eq!(
            candidates(
                "CREATE TABLE t (a INT, b TEXT)",
                "CREATE TABLE t (a INT, c TEXT)"
            ),
            [Candidate::Column(ColumnRename {
                table: "t".into(),
                from: "b".into(),
                to: "c".into()
            })]
        );
        assert!(
            candidates(
                "CREATE TABLE t (a INT, b TEXT)",
                "CREATE TABLE t (a INT, c INT)"
            )
            .is_empty()
        );
        assert!(
            candidates(
                "CREATE TABLE t (a INT, b TEXT, c TEXT)",
                "CREATE TABLE t (a INT, d TEXT)"
            )
            .is_empty()
        );
        assert_eq!(
            candidates("CREATE TABLE t (a INT)", "CREATE TABLE u (a INT)"),
            [Candidate::Table(TableRename {
                from: "t".into(),
                to: "u".into()
            })]
        );
        assert!(
            candidates(
                "CREATE TABLE t (a INT); CREATE TABLE s (a INT)",
                "CREATE TABLE u (a INT)"
            )
            .is_empty()
        );
    }
}
