//! The tables of a schema by name, with an index of the constraint and index names
//! they hold. Such names are unique in a whole schema, so every new constraint or index
//! is checked against all of them: without the index, creating N tables in one run
//! compares each new name with every table's (quadratic; 15 % of a 3,000-revision
//! upgrade). Reading goes through `Deref` to the map; every change goes through the
//! methods here (a table changed in place is taken out and inserted again), which keep
//! the index exact.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Deref;

use super::Table;

#[derive(Clone, Default)]
pub struct Tables {
    by_name: BTreeMap<String, Table>,
    /// Each constraint or index name, with the tables that hold an object of that name
    /// (one, unless a schema breaks the rule, which its checks then report).
    object_owners: HashMap<String, Vec<String>>,
}

impl Tables {
    pub fn insert(&mut self, name: String, table: Table) -> Option<Table> {
        self.index(&name, &table);
        let previous = self.by_name.insert(name.clone(), table);
        if let Some(previous) = &previous {
            self.unindex(&name, previous);
        }
        previous
    }

    pub fn remove(&mut self, name: &str) -> Option<Table> {
        let removed = self.by_name.remove(name);
        if let Some(table) = &removed {
            self.unindex(name, table);
        }
        removed
    }

    /// Changes every table with `change`, then indexes them anew.
    pub fn change_each(&mut self, mut change: impl FnMut(&str, &mut Table)) {
        for (name, table) in &mut self.by_name {
            change(name, table);
        }
        self.reindex();
    }

    /// Whether a constraint or index of any table is called `name`.
    pub fn object_name_taken(&self, name: &str) -> bool {
        self.object_owners.contains_key(name)
    }

    /// The tables that hold a constraint or index called `name`.
    pub fn holding_object(&self, name: &str) -> impl Iterator<Item = &Table> {
        let owners = self.object_owners.get(name).into_iter().flatten();
        owners.filter_map(|owner| self.by_name.get(owner))
    }

    fn reindex(&mut self) {
        self.object_owners.clear();
        for (name, table) in &self.by_name {
            index_names(&mut self.object_owners, name, table.object_names());
        }
    }

    fn index(&mut self, name: &str, table: &Table) {
        index_names(&mut self.object_owners, name, table.object_names());
    }

    fn unindex(&mut self, name: &str, table: &Table) {
        unindex_names(&mut self.object_owners, name, table.object_names());
    }
}

fn index_names<'a>(
    owners: &mut HashMap<String, Vec<String>>,
    table: &str,
    names: impl Iterator<Item = &'a str>,
) {
    for object in names {
        owners
            .entry(object.to_string())
            .or_default()
            .push(table.to_string());
    }
}

fn unindex_names<'a>(
    owners: &mut HashMap<String, Vec<String>>,
    table: &str,
    names: impl Iterator<Item = &'a str>,
) {
    for object in names {
        if let Some(tables) = owners.get_mut(object) {
            if let Some(at) = tables.iter().position(|t| t == table) {
                tables.swap_remove(at);
            }
            if tables.is_empty() {
                owners.remove(object);
            }
        }
    }
}

impl Deref for Tables {
    type Target = BTreeMap<String, Table>;

    fn deref(&self) -> &Self::Target {
        &self.by_name
    }
}

impl<'a> IntoIterator for &'a Tables {
    type Item = (&'a String, &'a Table);
    type IntoIter = std::collections::btree_map::Iter<'a, String, Table>;

    fn into_iter(self) -> Self::IntoIter {
        self.by_name.iter()
    }
}

impl From<BTreeMap<String, Table>> for Tables {
    fn from(by_name: BTreeMap<String, Table>) -> Self {
        let mut tables = Tables {
            by_name,
            object_owners: HashMap::new(),
        };
        tables.reindex();
        tables
    }
}

impl FromIterator<(String, Table)> for Tables {
    fn from_iter<I: IntoIterator<Item = (String, Table)>>(iter: I) -> Self {
        Tables::from(iter.into_iter().collect::<BTreeMap<_, _>>())
    }
}

/// The index is derived from the tables, so only they count.
impl PartialEq for Tables {
    fn eq(&self, other: &Self) -> bool {
        self.by_name == other.by_name
    }
}

impl Eq for Tables {}

impl fmt::Debug for Tables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.by_name.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Index, IndexKey, IndexPart};

    fn table(name: &str, indexes: &[&str]) -> Table {
        Table {
            name: name.into(),
            indexes: indexes
                .iter()
                .map(|i| Index {
                    name: i.to_string(),
                    parts: vec![IndexPart {
                        key: IndexKey::Column("id".into()),
                        descending: false,
                    }],
                    unique: false,
                    where_clause: None,
                })
                .collect(),
            ..Table::default()
        }
    }

    /// The index from scratch, to compare with the one kept up to date.
    fn rebuilt(tables: &Tables) -> Tables {
        tables.by_name.clone().into()
    }

    fn owners(tables: &Tables) -> BTreeMap<String, Vec<String>> {
        let mut owners: BTreeMap<String, Vec<String>> = tables
            .object_owners
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        owners.values_mut().for_each(|v| v.sort());
        owners
    }

    #[test]
    fn the_index_follows_every_kind_of_change() {
        let mut tables = Tables::default();
        tables.insert("a".into(), table("a", &["ix_a"]));
        tables.insert("b".into(), table("b", &["ix_b", "ix_b2"]));
        assert!(tables.object_name_taken("ix_b2"));

        // Replacing a table drops the names it no longer has.
        tables.insert("b".into(), table("b", &["ix_b"]));
        assert!(!tables.object_name_taken("ix_b2"));

        // Changes to every table are indexed anew.
        tables.change_each(|name, t| {
            if name == "a" {
                t.indexes = table("a", &["ix_new"]).indexes;
            }
        });
        assert!(!tables.object_name_taken("ix_a"));
        assert_eq!(
            tables
                .holding_object("ix_new")
                .map(|t| &t.name)
                .collect::<Vec<_>>(),
            ["a"]
        );

        tables.change_each(|_, t| t.indexes.retain(|i| i.name != "ix_b"));
        assert!(!tables.object_name_taken("ix_b"));
        assert_eq!(owners(&tables), owners(&rebuilt(&tables)));

        tables.remove("a");
        assert!(!tables.object_name_taken("ix_new"));
        assert_eq!(owners(&tables), owners(&rebuilt(&tables)));
    }

    #[test]
    fn a_name_two_tables_hold_stays_taken_until_both_let_it_go() {
        let mut tables = Tables::default();
        tables.insert("a".into(), table("a", &["ix"]));
        tables.insert("b".into(), table("b", &["ix"]));
        tables.remove("a");
        assert!(tables.object_name_taken("ix"));
        tables.remove("b");
        assert!(!tables.object_name_taken("ix"));
    }
}
