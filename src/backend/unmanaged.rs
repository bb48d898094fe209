//! Objects a database has that mb does not model. Introspection reads them by name
//! beside the schema, and every command that reads a live schema (`inspect`,
//! `init --from-database`, `migrate`, `check`) reports each one as a warning and leaves
//! it as it is: one such object never stops the rest of the database from being
//! managed, and none vanishes from `schema.sql` or a baseline without a word.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::dialect::{Dialect, sqlite};
use crate::ops::Op;
use crate::schema::exclude::Exclude;
use crate::schema::{IndexKey, Schema, quoted};
use crate::{Error, Result};

/// One object of the live database that is not in the schema mb read.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unmanaged {
    /// What it is, in the database's words: `index`, `trigger`, `function`, `column`, …
    pub kind: String,
    pub name: String,
    /// The table it belongs to, for the parts of a table.
    pub table: Option<String>,
    /// Why mb leaves it alone: `uses the gist method`, `is a generated column`, …
    pub why: String,
}

impl Unmanaged {
    pub fn new(kind: &str, name: &str, table: Option<&str>, why: impl Into<String>) -> Self {
        Unmanaged {
            kind: kind.to_string(),
            name: name.to_string(),
            table: table.map(str::to_string),
            why: why.into(),
        }
    }

    /// The warning line a command prints for it.
    pub fn warning(&self) -> String {
        format!(
            "warning: {self}, which mb does not manage yet; it is left as it is and is not in schema.sql or the baseline"
        )
    }
}

impl fmt::Display for Unmanaged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, quoted(&self.name))?;
        if let Some(table) = &self.table {
            write!(f, " on {}", quoted(table))?;
        }
        write!(f, " {}", self.why)
    }
}

/// A live schema with what the database has beside it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Introspected {
    pub schema: Schema,
    /// Sorted, each object once.
    pub unmanaged: Vec<Unmanaged>,
    /// The schema mb works in: PostgreSQL's current schema, the MySQL database, `main`.
    pub namespace: String,
}

impl Introspected {
    pub fn new(schema: Schema, mut unmanaged: Vec<Unmanaged>, namespace: &str) -> Self {
        unmanaged.sort();
        unmanaged.dedup();
        Introspected {
            schema,
            unmanaged,
            namespace: namespace.to_string(),
        }
    }

    /// Takes what mb.toml excludes out of the schema and out of the objects beside it;
    /// a key of a kept table that refers to an excluded one is left out with a warning.
    pub fn exclude(&mut self, exclude: &Exclude) {
        if exclude.is_empty() {
            return;
        }
        exclude.apply(Some(&self.namespace), &mut self.schema);
        let excluded = |name: &str| exclude.matching(Some(&self.namespace), name).is_some();
        self.unmanaged
            .retain(|u| !excluded(&u.name) && !u.table.as_deref().is_some_and(excluded));
        leave_out_dependents(&mut self.schema, &mut self.unmanaged);
        self.unmanaged.sort();
    }

    /// Refuses `ops` when, on SQLite, one of them would rebuild a table that has a part
    /// the model leaves out: the 12-step rebuild re-creates the table from the model and
    /// would lose it. (A rebuild keeps the table's triggers.)
    pub fn refuse_losing_parts(&self, ops: &[Op], dialect: Dialect) -> Result<()> {
        if dialect != Dialect::Sqlite {
            return Ok(());
        }
        for op in ops {
            let Some(table) = sqlite::rebuilt_table(op, &self.schema) else {
                continue;
            };
            let part = self
                .unmanaged
                .iter()
                .find(|u| u.table.as_deref() == Some(table) && u.kind != "trigger");
            if let Some(part) = part {
                return Err(Error::safety(format!(
                    "cannot generate a revision that rebuilds table {} on SQLite (to apply: {}): the rebuild re-creates the table from mb's model and would lose {} {}, which mb does not manage — drop or change that by hand first, or make this change by hand",
                    quoted(table),
                    op.summary(),
                    part.kind,
                    quoted(&part.name)
                )));
            }
        }
        Ok(())
    }
}

/// Takes out of `schema` the keys, constraints and indexes that name a column or table
/// left out of it (an index on a generated column, a foreign key to an unmanaged table),
/// reporting each in `unmanaged`: the model never refers to what it does not hold.
pub fn leave_out_dependents(schema: &mut Schema, unmanaged: &mut Vec<Unmanaged>) {
    let columns: BTreeMap<String, BTreeSet<String>> = schema
        .tables
        .iter()
        .map(|(name, t)| {
            (
                name.clone(),
                t.columns.iter().map(|c| c.name.clone()).collect(),
            )
        })
        .collect();
    let has = |table: &str, names: &[String]| {
        columns
            .get(table)
            .is_some_and(|cs| names.iter().all(|n| cs.contains(n)))
    };
    let mut left_out = Vec::new();
    schema.tables.change_each(|name, table| {
        let mut leave = |kind: &str, object: &str| {
            left_out.push(Unmanaged::new(
                kind,
                object,
                Some(name),
                "uses a column or table that mb leaves out",
            ))
        };
        if let Some(pk) = table.primary_key.take_if(|pk| !has(name, &pk.columns)) {
            leave("primary key", &pk.name);
        }
        table.uniques.retain(|u| {
            has(name, &u.columns) || {
                leave("unique constraint", &u.name);
                false
            }
        });
        table.indexes.retain(|i| {
            let used: Vec<String> = i
                .parts
                .iter()
                .filter_map(|p| match &p.key {
                    IndexKey::Column(c) => Some(c.clone()),
                    IndexKey::Expr(_) => None,
                })
                .collect();
            has(name, &used) || {
                leave("index", &i.name);
                false
            }
        });
        table.foreign_keys.retain(|fk| {
            has(name, &fk.columns) && has(&fk.ref_table, &fk.ref_columns) || {
                leave("foreign key", &fk.name);
                false
            }
        });
    });
    unmanaged.extend(left_out);
}

/// Takes out of `schema` each index or unique constraint whose name an earlier table (in
/// name order) already uses, reporting it in `unmanaged`: MySQL and SQLite scope index
/// names to their table, mb's model to the schema.
#[cfg(any(feature = "sqlite", feature = "mysql"))]
pub fn leave_out_reused_names(schema: &mut Schema, unmanaged: &mut Vec<Unmanaged>) {
    let mut first_use: BTreeMap<String, String> = BTreeMap::new();
    let mut left_out = Vec::new();
    schema.tables.change_each(|name, table| {
        for object in table.object_names() {
            first_use
                .entry(object.to_string())
                .or_insert_with(|| name.to_string());
        }
        let mut keep = |object: &str| match first_use.get(object) {
            Some(owner) if owner != name => {
                let why = format!(
                    "has the name of an index or constraint on {}, and mb needs such names to be unique in the schema",
                    quoted(owner)
                );
                left_out.push(Unmanaged::new("index", object, Some(name), why));
                false
            }
            _ => true,
        };
        table.indexes.retain(|i| keep(&i.name));
        table.uniques.retain(|u| keep(&u.name));
    });
    unmanaged.extend(left_out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_names_the_object_its_table_and_why() {
        let index = Unmanaged::new(
            "index",
            "film_fulltext_idx",
            Some("film"),
            "uses the gist method",
        );
        assert_eq!(
            index.warning(),
            "warning: index \"film_fulltext_idx\" on \"film\" uses the gist method, which mb does not manage yet; it is left as it is and is not in schema.sql or the baseline"
        );
    }
}
