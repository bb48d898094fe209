//! Autogenerate: the ops that turn one schema into another.
//!
//! `diff(from, to)` compares by name (tables, columns, constraints, indexes, views; a
//! rename shows as a drop and an add, as in Alembic, unless [`renames`] says otherwise)
//! and orders the ops so that each one applies to the schema the previous ones left, on
//! every database:
//!
//! 1. drop the views that are removed, changed, or read a table that changes (they are
//!    created again at the end), dependents first;
//! 2. drop foreign keys that are removed or changed, and those whose columns change type
//!    or whose referenced key is dropped (they are added back in step 8);
//! 3. drop removed tables, referencing tables first (a cycle is broken by dropping one
//!    of its foreign keys);
//! 4. drop removed or changed indexes, checks, unique constraints and primary keys;
//! 5. change columns: add, alter (type, NOT NULL, default), drop (last, so a table
//!    whose columns are all replaced never has none);
//! 6. add primary keys, unique constraints, checks and indexes to existing tables;
//! 7. create new tables, referenced tables first, each followed by its indexes (a
//!    foreign key that closes a cycle is added in step 8);
//! 8. add foreign keys;
//! 9. create views, the views they read first.
//!
//! A new primary-key column without a default is added nullable: adding the key makes it
//! NOT NULL, so the column can be added to a table that has rows. Column order is not
//! compared (see [`crate::schema`]).

pub mod renames;

use std::collections::{BTreeSet, HashMap};

use crate::ops::{ColumnChange, Op};
use crate::schema::{Column, Constraint, ForeignKey, Schema, Table};

/// The ops that change `from` into `to`, in an order that applies cleanly.
pub fn diff(from: &Schema, to: &Schema) -> Vec<Op> {
    let kept: Vec<TablePair> = from
        .tables
        .values()
        .filter_map(|old| to.tables.get(&old.name).map(|new| TablePair { old, new }))
        .collect();
    let dropped: Vec<&Table> = from
        .tables
        .values()
        .filter(|t| !to.tables.contains_key(&t.name))
        .collect();
    let created: Vec<&Table> = to
        .tables
        .values()
        .filter(|t| !from.tables.contains_key(&t.name))
        .collect();
    let disturbed = DisturbedForeignKeys::new(&kept);

    let mut ops = Vec::new();
    let (views_to_drop, views_to_create) = views_to_replace(from, to, &kept, &dropped);
    ops.extend(
        views_to_drop
            .into_iter()
            .rev()
            .map(|name| Op::DropView { name }),
    );
    for pair in &kept {
        let (drop, _) = pair.foreign_keys(&disturbed);
        ops.extend(drop.into_iter().map(|fk| pair.drop_constraint(&fk.name)));
    }
    drop_tables(&dropped, &mut ops);
    for pair in &kept {
        let (drop_indexes, _) = changed_by_name(&pair.old.indexes, &pair.new.indexes, |i| &i.name);
        ops.extend(drop_indexes.into_iter().map(|i| Op::DropIndex {
            name: i.name.clone(),
            concurrently: false,
        }));
        let (drop, _) = pair.other_constraints();
        ops.extend(drop.into_iter().map(|c| pair.drop_constraint(c.name())));
    }
    for pair in &kept {
        pair.column_ops(&mut ops);
    }
    for pair in &kept {
        let (_, add) = pair.other_constraints();
        ops.extend(add.into_iter().map(|constraint| Op::AddConstraint {
            table: pair.new.name.clone(),
            constraint,
        }));
        let (_, add_indexes) = changed_by_name(&pair.old.indexes, &pair.new.indexes, |i| &i.name);
        ops.extend(add_indexes.into_iter().map(|index| Op::CreateIndex {
            table: pair.new.name.clone(),
            index: index.clone(),
            concurrently: false,
        }));
    }
    let deferred = create_tables(&created, &mut ops);
    for pair in &kept {
        let (_, add) = pair.foreign_keys(&disturbed);
        ops.extend(add.into_iter().map(|fk| Op::AddConstraint {
            table: pair.new.name.clone(),
            constraint: Constraint::ForeignKey(fk.clone()),
        }));
    }
    ops.extend(deferred);
    ops.extend(
        views_to_create
            .into_iter()
            .map(|name| Op::CreateView(to.views[&name].clone())),
    );
    ops
}

/// `schema` as the `schema.sql` that declares it (`mb db inspect`): the statements that
/// create it from nothing, in a revision's order (referenced tables first, otherwise by
/// name, each followed by its indexes; views after the views they read), except that each
/// table keeps all its foreign keys: `schema.sql` may reference a table declared further
/// down, so a cycle needs no `ALTER TABLE`. Tables and views are separated by a blank line.
pub fn schema_sql(schema: &Schema) -> String {
    let mut text = String::new();
    for op in diff(&Schema::default(), schema) {
        let op = match op {
            Op::CreateTable(table) => Op::CreateTable(Table {
                indexes: Vec::new(),
                ..schema.tables[&table.name].clone()
            }),
            Op::AddConstraint { .. } => continue,
            op => op,
        };
        if !text.is_empty() && matches!(op, Op::CreateTable(_) | Op::CreateView(_)) {
            text.push('\n');
        }
        text.push_str(&op.to_sql());
        text.push_str(";\n");
    }
    text
}

/// A table present on both sides.
struct TablePair<'a> {
    old: &'a Table,
    new: &'a Table,
}

/// Items of `old` that are missing or different in `new` (to drop), and items of `new`
/// that are missing or different in `old` (to add), matched by name.
fn changed_by_name<'a, T: PartialEq>(
    old: &'a [T],
    new: &'a [T],
    name: impl Fn(&T) -> &str,
) -> (Vec<&'a T>, Vec<&'a T>) {
    let same = |a: &T, others: &[T]| others.iter().any(|b| name(b) == name(a) && b == a);
    let drop = old.iter().filter(|a| !same(a, new)).collect();
    let add = new.iter().filter(|b| !same(b, old)).collect();
    (drop, add)
}

impl TablePair<'_> {
    fn drop_constraint(&self, name: &str) -> Op {
        Op::DropConstraint {
            table: self.old.name.clone(),
            name: name.to_string(),
        }
    }

    /// Foreign keys to drop and to add, including unchanged ones that must make way.
    fn foreign_keys(
        &self,
        disturbed: &DisturbedForeignKeys,
    ) -> (Vec<&ForeignKey>, Vec<&ForeignKey>) {
        let (mut drop, mut add) =
            changed_by_name(&self.old.foreign_keys, &self.new.foreign_keys, |fk| {
                &fk.name
            });
        for fk in &self.new.foreign_keys {
            if self.old.foreign_keys.contains(fk) && disturbed.contains(&self.new.name, fk) {
                drop.push(fk);
                add.push(fk);
            }
        }
        drop.sort_by(|a, b| a.name.cmp(&b.name));
        add.sort_by(|a, b| a.name.cmp(&b.name));
        (drop, add)
    }

    /// Primary key, unique constraints and checks to drop (checks, uniques, then the key)
    /// and to add (the key, uniques, then checks).
    fn other_constraints(&self) -> (Vec<Constraint>, Vec<Constraint>) {
        let mut drop = Vec::new();
        let mut add = Vec::new();
        if self.old.primary_key != self.new.primary_key {
            drop.extend(self.old.primary_key.clone().map(Constraint::PrimaryKey));
            add.extend(self.new.primary_key.clone().map(Constraint::PrimaryKey));
        }
        let (drop_uniques, add_uniques) =
            changed_by_name(&self.old.uniques, &self.new.uniques, |c| &c.name);
        let (drop_checks, add_checks) =
            changed_by_name(&self.old.checks, &self.new.checks, |c| &c.name);
        drop.extend(drop_uniques.into_iter().cloned().map(Constraint::Unique));
        drop.extend(drop_checks.into_iter().cloned().map(Constraint::Check));
        add.extend(add_uniques.into_iter().cloned().map(Constraint::Unique));
        add.extend(add_checks.into_iter().cloned().map(Constraint::Check));
        drop.reverse();
        (drop, add)
    }

    /// Whether step 6 adds a primary key, which makes its columns NOT NULL.
    fn adds_primary_key(&self) -> bool {
        self.new.primary_key.is_some() && self.old.primary_key != self.new.primary_key
    }

    fn in_new_primary_key(&self, column: &str) -> bool {
        let pk = self.new.primary_key.as_ref();
        pk.is_some_and(|pk| pk.columns.iter().any(|c| c == column))
    }

    fn column_ops(&self, ops: &mut Vec<Op>) {
        let table = &self.new.name;
        for new in &self.new.columns {
            if self.old.column(&new.name).is_none() {
                let key_makes_not_null =
                    self.in_new_primary_key(&new.name) && new.default.is_none();
                ops.push(Op::AddColumn {
                    table: table.clone(),
                    column: Column {
                        nullable: new.nullable || key_makes_not_null,
                        autoincrement: false,
                        ..new.clone()
                    },
                });
            }
        }
        for new in &self.new.columns {
            let Some(old) = self.old.column(&new.name) else {
                continue;
            };
            // Key columns are NOT NULL; adding the key in step 6 sets that.
            let key_makes_not_null = self.adds_primary_key() && self.in_new_primary_key(&new.name);
            let change = ColumnChange {
                ty: (old.ty != new.ty).then(|| new.ty.clone()),
                nullable: (old.nullable != new.nullable && !key_makes_not_null)
                    .then_some(new.nullable),
                default: (old.default != new.default).then(|| new.default.clone()),
            };
            if !change.is_empty() {
                ops.push(Op::AlterColumn {
                    table: table.clone(),
                    column: new.name.clone(),
                    change,
                });
            }
        }
        for column in &self.old.columns {
            if self.new.column(&column.name).is_none() {
                ops.push(Op::DropColumn {
                    table: table.clone(),
                    column: column.name.clone(),
                });
            }
        }
    }
}

/// Unchanged foreign keys that must be dropped and added back around other changes:
/// PostgreSQL refuses to change the type of a column a foreign key joins on, and to drop
/// the key a foreign key references.
struct DisturbedForeignKeys {
    /// (table, column) whose type changes.
    retyped: BTreeSet<(String, String)>,
    /// (table, sorted key columns) of primary keys, uniques and unique indexes dropped.
    dropped_keys: BTreeSet<(String, Vec<String>)>,
}

impl DisturbedForeignKeys {
    fn new(kept: &[TablePair]) -> Self {
        let mut retyped = BTreeSet::new();
        let mut dropped_keys = BTreeSet::new();
        for pair in kept {
            let table = &pair.old.name;
            for new in &pair.new.columns {
                if pair
                    .old
                    .column(&new.name)
                    .is_some_and(|old| old.ty != new.ty)
                {
                    retyped.insert((table.clone(), new.name.clone()));
                }
            }
            let (drop, _) = pair.other_constraints();
            let (drop_indexes, _) =
                changed_by_name(&pair.old.indexes, &pair.new.indexes, |i| &i.name);
            let key_columns = drop
                .iter()
                .filter_map(|c| match c {
                    Constraint::PrimaryKey(pk) => Some(pk.columns.clone()),
                    Constraint::Unique(u) => Some(u.columns.clone()),
                    _ => None,
                })
                .chain(
                    drop_indexes
                        .iter()
                        .filter(|i| i.unique)
                        .map(|i| i.columns_used()),
                );
            for mut columns in key_columns {
                columns.sort();
                dropped_keys.insert((table.clone(), columns));
            }
        }
        DisturbedForeignKeys {
            retyped,
            dropped_keys,
        }
    }

    fn contains(&self, table: &str, fk: &ForeignKey) -> bool {
        let retyped = |t: &str, columns: &[String]| {
            columns
                .iter()
                .any(|c| self.retyped.contains(&(t.to_string(), c.clone())))
        };
        let mut key = fk.ref_columns.clone();
        key.sort();
        retyped(table, &fk.columns)
            || retyped(&fk.ref_table, &fk.ref_columns)
            || self.dropped_keys.contains(&(fk.ref_table.clone(), key))
    }
}

/// Views to drop (in `from`'s dependency order) and to create (in `to`'s): removed,
/// added and changed views, plus every view that reads a changed table or a replaced view.
fn views_to_replace(
    from: &Schema,
    to: &Schema,
    kept: &[TablePair],
    dropped: &[&Table],
) -> (Vec<String>, Vec<String>) {
    let changed_tables: BTreeSet<&str> = kept
        .iter()
        .filter(|p| p.old != p.new)
        .map(|p| p.old.name.as_str())
        .chain(dropped.iter().map(|t| t.name.as_str()))
        .collect();
    let mut replaced: BTreeSet<String> = from
        .views
        .values()
        .filter(|v| {
            to.views.get(&v.name) != Some(v)
                || v.reads()
                    .iter()
                    .any(|r| changed_tables.contains(r.as_str()))
        })
        .map(|v| v.name.clone())
        .collect();
    loop {
        let readers: Vec<String> = replaced
            .iter()
            .flat_map(|name| from.views_reading(name))
            .map(|v| v.name.clone())
            .filter(|name| !replaced.contains(name))
            .collect();
        if readers.is_empty() {
            break;
        }
        replaced.extend(readers);
    }
    let drop = from
        .views_in_dependency_order(|v| replaced.contains(&v.name))
        .into_iter()
        .map(|v| v.name.clone())
        .collect();
    let create = to
        .views_in_dependency_order(|v| {
            replaced.contains(&v.name) || !from.views.contains_key(&v.name)
        })
        .into_iter()
        .map(|v| v.name.clone())
        .collect();
    (drop, create)
}

/// Drops tables so that no remaining table references one already dropped: layer by
/// layer, each layer the tables nothing remaining references, in name order. Linear in
/// tables and foreign keys, so a long chain of references costs no more than a flat list.
fn drop_tables(dropped: &[&Table], ops: &mut Vec<Op>) {
    let position: HashMap<&str, usize> = dropped
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), i))
        .collect();
    // The foreign keys each table still holds on other dropped tables.
    let mut holds: Vec<Vec<&ForeignKey>> = dropped
        .iter()
        .map(|t| {
            t.foreign_keys
                .iter()
                .filter(|fk| fk.ref_table != t.name && position.contains_key(fk.ref_table.as_str()))
                .collect()
        })
        .collect();
    let mut referenced_by = vec![0usize; dropped.len()];
    for fks in &holds {
        for fk in fks {
            referenced_by[position[fk.ref_table.as_str()]] += 1;
        }
    }
    let mut gone = vec![false; dropped.len()];
    let mut ready: Vec<usize> = (0..dropped.len())
        .filter(|&i| referenced_by[i] == 0)
        .collect();
    let mut left = dropped.len();
    while left > 0 {
        if ready.is_empty() {
            // A cycle: drop the foreign keys that point at one table, then the table.
            let victim = (0..dropped.len())
                .find(|&i| !gone[i])
                .expect("a table is left");
            let name = &dropped[victim].name;
            for (i, fks) in holds
                .iter_mut()
                .enumerate()
                .filter(|(i, _)| !gone[*i] && *i != victim)
            {
                for fk in fks.iter().filter(|fk| &fk.ref_table == name) {
                    ops.push(Op::DropConstraint {
                        table: dropped[i].name.clone(),
                        name: fk.name.clone(),
                    });
                }
                fks.retain(|fk| &fk.ref_table != name);
            }
            ready.push(victim);
        }
        let mut next = Vec::new();
        for &i in &ready {
            ops.push(Op::DropTable {
                name: dropped[i].name.clone(),
            });
            gone[i] = true;
            left -= 1;
            for fk in std::mem::take(&mut holds[i]) {
                let target = position[fk.ref_table.as_str()];
                referenced_by[target] -= 1;
                if referenced_by[target] == 0 && !gone[target] {
                    next.push(target);
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        ready = next;
    }
}

/// Creates tables so that each one's referenced tables exist, each followed by its
/// indexes: layer by layer, each layer the tables whose references all exist, in name
/// order. Returns the foreign keys that close a cycle, to be added afterwards.
fn create_tables(created: &[&Table], ops: &mut Vec<Op>) -> Vec<Op> {
    let position: HashMap<&str, usize> = created
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), i))
        .collect();
    let mut waiting_on = vec![0usize; created.len()];
    let mut waited_by: Vec<Vec<usize>> = vec![Vec::new(); created.len()];
    for (i, table) in created.iter().enumerate() {
        for fk in &table.foreign_keys {
            if let Some(&target) = position.get(fk.ref_table.as_str()).filter(|&&t| t != i) {
                waiting_on[i] += 1;
                waited_by[target].push(i);
            }
        }
    }
    let mut done = vec![false; created.len()];
    let mut deferred = Vec::new();
    let mut ready: Vec<usize> = (0..created.len()).filter(|&i| waiting_on[i] == 0).collect();
    let mut left = created.len();
    while left > 0 {
        if ready.is_empty() {
            // A cycle: create one table now and add its pending foreign keys at the end.
            ready.push(
                (0..created.len())
                    .find(|&i| !done[i])
                    .expect("a table is left"),
            );
        }
        let mut next = Vec::new();
        for &i in &ready {
            let table = created[i];
            let pending = |fk: &ForeignKey| {
                position
                    .get(fk.ref_table.as_str())
                    .is_some_and(|&t| t != i && !done[t])
            };
            let mut definition = table.clone();
            definition.indexes.clear();
            let (later, now): (Vec<ForeignKey>, Vec<ForeignKey>) = definition
                .foreign_keys
                .drain(..)
                .partition(|fk| pending(fk));
            definition.foreign_keys = now;
            deferred.extend(later.into_iter().map(|fk| Op::AddConstraint {
                table: table.name.clone(),
                constraint: Constraint::ForeignKey(fk),
            }));
            ops.push(Op::CreateTable(definition));
            ops.extend(table.indexes.iter().map(|index| Op::CreateIndex {
                table: table.name.clone(),
                index: index.clone(),
                concurrently: false,
            }));
            done[i] = true;
            left -= 1;
            for &waiter in &waited_by[i] {
                waiting_on[waiter] -= 1;
                if waiting_on[waiter] == 0 && !done[waiter] {
                    next.push(waiter);
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        ready = next;
    }
    deferred
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse::parse_schema_sql;

    fn schema(sql: &str) -> Schema {
        parse_schema_sql(sql, std::path::Path::new("schema.sql")).unwrap()
    }

    /// The statements of `diff(a, b)`, after checking that they turn `a` into `b` and
    /// that each reads back as the same op.
    fn migrate(a: &str, b: &str) -> Vec<String> {
        let (a, b) = (schema(a), schema(b));
        let mut state = a.clone();
        let mut statements = Vec::new();
        for op in diff(&a, &b) {
            let sql = op.to_sql();
            assert_eq!(Op::parse(&sql).unwrap().as_ref(), Some(&op), "{sql}");
            op.apply(&mut state).unwrap_or_else(|e| panic!("{e}"));
            statements.push(sql.lines().next().unwrap().to_string());
        }
        assert_eq!(state, b);
        statements
    }

    #[test]
    fn equal_schemas_need_nothing() {
        let sql = "CREATE TABLE t (a INT PRIMARY KEY, b TEXT DEFAULT 'x'); CREATE VIEW v AS SELECT a FROM t";
        assert!(migrate(sql, "create view v as select A from T; create table T (b text default ('x'), a integer primary key)").is_empty());
    }

    #[test]
    fn referenced_tables_are_created_first_and_dropped_last() {
        let shop = r#"CREATE TABLE "order" (id INT PRIMARY KEY, user_id INT REFERENCES "user");
                      CREATE TABLE "user" (id INT PRIMARY KEY, group_id INT REFERENCES "group");
                      CREATE TABLE "group" (id INT PRIMARY KEY);"#;
        assert_eq!(
            migrate("", shop),
            [
                r#"CREATE TABLE "group" ("#,
                r#"CREATE TABLE "user" ("#,
                r#"CREATE TABLE "order" ("#
            ]
        );
        assert_eq!(
            migrate(shop, ""),
            [
                r#"DROP TABLE "order""#,
                r#"DROP TABLE "user""#,
                r#"DROP TABLE "group""#
            ]
        );
    }

    #[test]
    fn foreign_key_cycles_are_broken() {
        let cycle = "CREATE TABLE a (id INT PRIMARY KEY, b_id INT REFERENCES b);
                     CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a);";
        assert_eq!(
            migrate("", cycle),
            [
                r#"CREATE TABLE "a" ("#,
                r#"CREATE TABLE "b" ("#,
                r#"ALTER TABLE "a" ADD CONSTRAINT "fk_a_b_id_b" FOREIGN KEY ("b_id") REFERENCES "b" ("id")"#
            ]
        );
        assert_eq!(
            migrate(cycle, ""),
            [
                r#"ALTER TABLE "b" DROP CONSTRAINT "fk_b_a_id_a""#,
                r#"DROP TABLE "a""#,
                r#"DROP TABLE "b""#
            ]
        );
    }

    #[test]
    fn a_declaration_reads_back_as_its_schema_in_a_fixed_order() {
        let shop = r#"CREATE VIEW big AS SELECT * FROM "order" WHERE total > 100;
                      CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a);
                      CREATE TABLE "order" (id INT PRIMARY KEY, total NUMERIC(10, 2) NOT NULL, b_id INT REFERENCES b);
                      CREATE INDEX ix_order_total ON "order" (total);
                      CREATE TABLE a (id INT PRIMARY KEY, b_id INT REFERENCES b);
                      CREATE VIEW bigger AS SELECT id FROM big;"#;
        let text = schema_sql(&schema(shop));
        assert_eq!(schema(&text), schema(shop));
        insta::assert_snapshot!(text, @r#"
        CREATE TABLE "a" (
            "id" INTEGER PRIMARY KEY,
            "b_id" INTEGER REFERENCES "b" ("id")
        );

        CREATE TABLE "b" (
            "id" INTEGER PRIMARY KEY,
            "a_id" INTEGER REFERENCES "a" ("id")
        );

        CREATE TABLE "order" (
            "id" INTEGER PRIMARY KEY,
            "total" NUMERIC(10, 2) NOT NULL,
            "b_id" INTEGER REFERENCES "b" ("id")
        );
        CREATE INDEX "ix_order_total" ON "order" ("total");

        CREATE VIEW "big" AS SELECT * FROM "order" WHERE "total" > 100;

        CREATE VIEW "bigger" AS SELECT "id" FROM "big";
        "#);
    }

    #[test]
    fn views_make_way_for_the_tables_they_read() {
        let before = "CREATE TABLE t (a INT, b INT); CREATE VIEW v AS SELECT a FROM t; CREATE VIEW w AS SELECT * FROM v; CREATE VIEW other AS SELECT 1";
        let after = "CREATE TABLE t (a BIGINT); CREATE VIEW v AS SELECT a FROM t; CREATE VIEW w AS SELECT * FROM v; CREATE VIEW other AS SELECT 1";
        assert_eq!(
            migrate(before, after),
            [
                r#"DROP VIEW "w""#,
                r#"DROP VIEW "v""#,
                r#"ALTER TABLE "t" ALTER COLUMN "a" TYPE BIGINT"#,
                r#"ALTER TABLE "t" DROP COLUMN "b""#,
                r#"CREATE VIEW "v" AS SELECT "a" FROM "t""#,
                r#"CREATE VIEW "w" AS SELECT * FROM "v""#,
            ]
        );
    }

    #[test]
    fn constraints_are_dropped_before_and_added_after_column_changes() {
        assert_eq!(
            migrate(
                "CREATE TABLE t (a INT, b INT CHECK (b > 0), UNIQUE (a, b)); CREATE INDEX ix ON t (b)",
                "CREATE TABLE t (a INT, c INT CHECK (c > 0), UNIQUE (a, c)); CREATE INDEX ix ON t (c)",
            ),
            [
                r#"DROP INDEX "ix""#,
                r#"ALTER TABLE "t" DROP CONSTRAINT "ck_t_b""#,
                r#"ALTER TABLE "t" DROP CONSTRAINT "uq_t_a_b""#,
                r#"ALTER TABLE "t" ADD COLUMN "c" INTEGER"#,
                r#"ALTER TABLE "t" DROP COLUMN "b""#,
                r#"ALTER TABLE "t" ADD CONSTRAINT "uq_t_a_c" UNIQUE ("a", "c")"#,
                r#"ALTER TABLE "t" ADD CONSTRAINT "ck_t_c" CHECK ("c" > 0)"#,
                r#"CREATE INDEX "ix" ON "t" ("c")"#,
            ]
        );
    }

    #[test]
    fn a_new_key_column_is_added_nullable_and_the_key_makes_it_not_null() {
        assert_eq!(
            migrate(
                "CREATE TABLE t (a TEXT)",
                "CREATE TABLE t (a TEXT NOT NULL, id INTEGER PRIMARY KEY)"
            ),
            [
                r#"ALTER TABLE "t" ADD COLUMN "id" INTEGER"#,
                r#"ALTER TABLE "t" ALTER COLUMN "a" SET NOT NULL"#,
                r#"ALTER TABLE "t" ADD CONSTRAINT "pk_t" PRIMARY KEY ("id")"#,
            ]
        );
        assert_eq!(
            migrate(
                "CREATE TABLE t (a TEXT PRIMARY KEY, b TEXT)",
                "CREATE TABLE t (a TEXT, b TEXT, PRIMARY KEY (a, b))"
            ),
            [
                r#"ALTER TABLE "t" DROP CONSTRAINT "pk_t""#,
                r#"ALTER TABLE "t" ADD CONSTRAINT "pk_t" PRIMARY KEY ("a", "b")"#,
            ]
        );
        assert_eq!(
            migrate(
                "CREATE TABLE t (a TEXT PRIMARY KEY)",
                "CREATE TABLE t (a TEXT)"
            ),
            [
                r#"ALTER TABLE "t" DROP CONSTRAINT "pk_t""#,
                r#"ALTER TABLE "t" ALTER COLUMN "a" DROP NOT NULL"#
            ]
        );
    }

    #[test]
    fn foreign_keys_make_way_for_type_and_key_changes() {
        let before = "CREATE TABLE p (id INT PRIMARY KEY, code TEXT UNIQUE);
                      CREATE TABLE c (p_id INT REFERENCES p, p_code TEXT REFERENCES p (code));";
        let after = "CREATE TABLE p (id BIGINT PRIMARY KEY, code TEXT CONSTRAINT code_key UNIQUE);
                     CREATE TABLE c (p_id BIGINT REFERENCES p, p_code TEXT REFERENCES p (code));";
        assert_eq!(
            migrate(before, after),
            [
                r#"ALTER TABLE "c" DROP CONSTRAINT "fk_c_p_code_p""#,
                r#"ALTER TABLE "c" DROP CONSTRAINT "fk_c_p_id_p""#,
                r#"ALTER TABLE "p" DROP CONSTRAINT "uq_p_code""#,
                r#"ALTER TABLE "c" ALTER COLUMN "p_id" TYPE BIGINT"#,
                r#"ALTER TABLE "p" ALTER COLUMN "id" TYPE BIGINT"#,
                r#"ALTER TABLE "p" ADD CONSTRAINT "code_key" UNIQUE ("code")"#,
                r#"ALTER TABLE "c" ADD CONSTRAINT "fk_c_p_code_p" FOREIGN KEY ("p_code") REFERENCES "p" ("code")"#,
                r#"ALTER TABLE "c" ADD CONSTRAINT "fk_c_p_id_p" FOREIGN KEY ("p_id") REFERENCES "p" ("id")"#,
            ]
        );
    }

    #[test]
    fn new_tables_can_reference_keys_added_to_existing_ones() {
        assert_eq!(
            migrate(
                "CREATE TABLE p (code TEXT)",
                "CREATE TABLE p (code TEXT UNIQUE); CREATE TABLE c (code TEXT REFERENCES p (code)); CREATE INDEX ix_c ON c (code)",
            ),
            [
                r#"ALTER TABLE "p" ADD CONSTRAINT "uq_p_code" UNIQUE ("code")"#,
                r#"CREATE TABLE "c" ("#,
                r#"CREATE INDEX "ix_c" ON "c" ("code")"#,
            ]
        );
    }
}
