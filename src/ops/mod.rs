//! Schema operations: what a revision script does to a schema, one statement each.
//!
//! An [`Op`] carries exactly what its portable SQL statement says ([`Op::to_sql`] and
//! [`Op::parse`] are inverse), so facts that the statement does not state — the table a
//! `DROP TABLE` removes, the type an `ALTER COLUMN … TYPE` replaces — come from the
//! schema the op is applied to. [`Op::apply`] is the simulation: it changes a [`Schema`]
//! the way the database would, and refuses what a strict database (PostgreSQL) would
//! refuse, so a script that applies cleanly here runs on every database.

mod sql;

pub use sql::{
    column_definition, constraint_clause, create_index_sql, create_index_statement, standard_sql,
};

use crate::schema::{
    Column, ColumnType, Constraint, ForeignKey, Index, IndexKey, Schema, Table, View, expr, quoted,
};
use crate::{Error, Result};

/// One schema operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Creates a table with its constraints. Indexes are created by [`Op::CreateIndex`].
    CreateTable(Table),
    DropTable {
        name: String,
    },
    RenameTable {
        from: String,
        to: String,
    },
    AddColumn {
        table: String,
        column: Column,
    },
    DropColumn {
        table: String,
        column: String,
    },
    AlterColumn {
        table: String,
        column: String,
        change: ColumnChange,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// `concurrently`: PostgreSQL builds the index without locking out writes (which it
    /// only does outside a transaction: `-- mb:no-transaction`); other databases build it
    /// the ordinary way.
    CreateIndex {
        table: String,
        index: Index,
        concurrently: bool,
    },
    /// Index names are unique in a schema, so the name finds the table. `concurrently`
    /// as for [`Op::CreateIndex`].
    DropIndex {
        name: String,
        concurrently: bool,
    },
    AddConstraint {
        table: String,
        constraint: Constraint,
    },
    DropConstraint {
        table: String,
        name: String,
    },
    CreateView(View),
    DropView {
        name: String,
    },
}

/// What an `ALTER COLUMN` changes; `None` leaves that property as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnChange {
    pub ty: Option<ColumnType>,
    pub nullable: Option<bool>,
    /// `Some(None)` drops the default.
    pub default: Option<Option<String>>,
}

impl ColumnChange {
    pub fn is_empty(&self) -> bool {
        self.ty.is_none() && self.nullable.is_none() && self.default.is_none()
    }

    /// `type to TEXT, NOT NULL, default to 0`: what the change sets.
    pub fn describe(&self) -> String {
        let mut what = Vec::new();
        if let Some(ty) = &self.ty {
            what.push(format!("type to {ty}"));
        }
        if let Some(nullable) = self.nullable {
            what.push(if nullable { "nullable" } else { "NOT NULL" }.to_string());
        }
        if let Some(default) = &self.default {
            what.push(match default {
                Some(value) => format!("default to {value}"),
                None => "no default".to_string(),
            });
        }
        what.join(", ")
    }

    /// Changes `column` of `table` (if it has one) and normalizes the table.
    pub fn apply_to(&self, table: &mut Table, column: &str) {
        if let Some(c) = table.columns.iter_mut().find(|c| c.name == column) {
            if let Some(ty) = &self.ty {
                c.ty = ty.clone();
            }
            if let Some(nullable) = self.nullable {
                c.nullable = nullable;
            }
            if let Some(default) = &self.default {
                c.default = default.clone();
            }
        }
        table.normalize();
    }
}

impl Op {
    /// Changes `schema` as running this op changes a database. Fails, leaving `schema`
    /// as it was, when the op does not fit (a missing table, a name already taken, a
    /// drop that would break a foreign key or a view, …).
    pub fn apply(&self, schema: &mut Schema) -> Result<()> {
        self.try_apply(schema).map_err(|reason| {
            let statement = self.to_sql();
            let first_line = statement.lines().next().unwrap_or_default();
            Error::script(format!("cannot apply `{first_line}`: {reason}"))
        })
    }

    fn try_apply(&self, schema: &mut Schema) -> std::result::Result<(), String> {
        match self {
            Op::CreateTable(table) => create_table(schema, table),
            Op::DropTable { name } => {
                existing(schema, name)?;
                refuse_foreign_keys(schema, "dropping the table", |owner, fk| {
                    &fk.ref_table == name && &owner.name != name
                })?;
                refuse_if_viewed(schema, name, "dropping the table")?;
                schema.tables.remove(name);
                Ok(())
            }
            Op::RenameTable { from, to } => {
                let mut table = existing(schema, from)?.clone();
                if schema.relation_exists(to) {
                    return Err(format!(
                        "a table or view named {} already exists",
                        quoted(to)
                    ));
                }
                refuse_if_viewed(schema, from, "renaming the table")?;
                schema.tables.remove(from);
                table.name = to.clone();
                schema.tables.insert(to.clone(), table);
                schema.tables.change_each(|_, t| {
                    for fk in t.foreign_keys.iter_mut().filter(|fk| &fk.ref_table == from) {
                        fk.ref_table = to.clone();
                    }
                });
                Ok(())
            }
            Op::AddColumn { table, column } => {
                let mut changed = existing(schema, table)?.clone();
                if changed.column(&column.name).is_some() {
                    return Err(format!(
                        "table {} already has a column {}",
                        quoted(table),
                        quoted(&column.name)
                    ));
                }
                changed.columns.push(column.clone());
                changed.normalize();
                schema.tables.insert(table.clone(), changed);
                Ok(())
            }
            Op::DropColumn { table, column } => {
                let mut changed = existing_column(schema, table, column)?.clone();
                if changed.columns.len() == 1 {
                    return Err(format!(
                        "{} is the only column of {} — drop the table instead",
                        quoted(column),
                        quoted(table)
                    ));
                }
                // A foreign key of this table on the column goes with it; others must go first.
                refuse_foreign_keys(schema, "dropping the column", |owner, fk| {
                    &fk.ref_table == table
                        && fk.ref_columns.contains(column)
                        && !(&owner.name == table && fk.columns.contains(column))
                })?;
                refuse_if_viewed(schema, table, "dropping the column")?;
                // As in PostgreSQL, the table's own constraints and indexes on the column go with it.
                changed.remove_uses_of(column);
                changed.columns.retain(|c| &c.name != column);
                changed.normalize();
                schema.tables.insert(table.clone(), changed);
                Ok(())
            }
            Op::AlterColumn {
                table,
                column,
                change,
            } => alter_column(schema, table, column, change),
            Op::RenameColumn { table, from, to } => rename_column(schema, table, from, to),
            Op::CreateIndex { table, index, .. } => {
                let mut changed = existing(schema, table)?.clone();
                refuse_taken_name(schema, &index.name)?;
                changed.indexes.push(index.clone());
                changed.normalize();
                changed.check_own_references()?;
                schema.tables.insert(table.clone(), changed);
                Ok(())
            }
            Op::DropIndex { name, .. } => {
                let Some(owner) = schema.index_table(name) else {
                    return Err(format!("there is no index {} — fix the name", quoted(name)));
                };
                let mut changed = owner.clone();
                changed.indexes.retain(|i| &i.name != name);
                replace_checking_references(schema, changed)
            }
            Op::AddConstraint { table, constraint } => add_constraint(schema, table, constraint),
            Op::DropConstraint { table, name } => {
                let mut changed = existing(schema, table)?.clone();
                if !changed.remove_constraint(name) {
                    return Err(format!(
                        "table {} has no constraint {} — fix the name",
                        quoted(table),
                        quoted(name)
                    ));
                }
                replace_checking_references(schema, changed)
            }
            Op::CreateView(view) => {
                if schema.relation_exists(&view.name) {
                    return Err(format!(
                        "a table or view named {} already exists",
                        quoted(&view.name)
                    ));
                }
                schema.views.insert(view.name.clone(), view.clone());
                Ok(())
            }
            Op::DropView { name } => {
                if !schema.views.contains_key(name) {
                    return Err(format!("there is no view {} — fix the name", quoted(name)));
                }
                refuse_if_viewed(schema, name, "dropping this view")?;
                schema.views.remove(name);
                Ok(())
            }
        }
    }

    /// What the op does, in words, for `Detected …` lines.
    pub fn summary(&self) -> String {
        let q = |name: &str| quoted(name);
        let column = |table: &str, column: &str| format!("{}.{}", quoted(table), quoted(column));
        match self {
            Op::CreateTable(table) => format!("added table {}", q(&table.name)),
            Op::DropTable { name } => format!("removed table {}", q(name)),
            Op::RenameTable { from, to } => format!("renamed table {} to {}", q(from), q(to)),
            Op::AddColumn { table, column: c } => {
                format!("added column {}", column(table, &c.name))
            }
            Op::DropColumn { table, column: c } => format!("removed column {}", column(table, c)),
            Op::AlterColumn {
                table,
                column: c,
                change,
            } => format!("changed column {}: {}", column(table, c), change.describe()),
            Op::RenameColumn { table, from, to } => {
                format!("renamed column {} to {}", column(table, from), q(to))
            }
            Op::CreateIndex { table, index, .. } => format!(
                "added {}index {} on {}",
                if index.unique { "unique " } else { "" },
                q(&index.name),
                q(table)
            ),
            Op::DropIndex { name, .. } => format!("removed index {}", q(name)),
            Op::AddConstraint { table, constraint } => {
                format!("added constraint {} on {}", q(constraint.name()), q(table))
            }
            Op::DropConstraint { table, name } => {
                format!("removed constraint {} on {}", q(name), q(table))
            }
            Op::CreateView(view) => format!("added view {}", q(&view.name)),
            Op::DropView { name } => format!("removed view {}", q(name)),
        }
    }

    /// What the op can destroy: a dropped table or column, or a column changed to a type
    /// that cannot hold every value of its current type. `before` is the schema the op
    /// applies to, which knows the current type.
    pub fn data_at_risk(&self, before: &Schema) -> Option<DataAtRisk> {
        let (table, column, loss) = match self {
            Op::DropTable { name } => (name, None, Loss::DropTable),
            Op::DropColumn { table, column } => (table, Some(column), Loss::DropColumn),
            Op::AlterColumn {
                table,
                column,
                change: ColumnChange { ty: Some(to), .. },
            } => {
                let from = &before.tables.get(table)?.column(column)?.ty;
                if !from.narrows_to(to) {
                    return None;
                }
                let loss = Loss::Narrow {
                    from: from.clone(),
                    to: to.clone(),
                };
                (table, Some(column), loss)
            }
            _ => return None,
        };
        Some(DataAtRisk {
            table: table.clone(),
            column: column.cloned(),
            loss,
        })
    }
}

/// Data an op can destroy (see [`Op::data_at_risk`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataAtRisk {
    pub table: String,
    /// The column, unless the whole table goes.
    pub column: Option<String>,
    pub loss: Loss,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Loss {
    DropTable,
    DropColumn,
    /// A change to a type that cannot hold every value of the current one.
    Narrow {
        from: ColumnType,
        to: ColumnType,
    },
}

impl DataAtRisk {
    /// `"t"` or `"t"."c"`.
    pub fn target(&self) -> String {
        match &self.column {
            Some(column) => format!("{}.{}", quoted(&self.table), quoted(column)),
            None => quoted(&self.table),
        }
    }

    /// What is lost, without knowing the rows (for generated scripts and offline SQL).
    pub fn warning(&self) -> String {
        let target = self.target();
        match &self.loss {
            Loss::DropTable => format!("drops table {target} and all its rows"),
            Loss::DropColumn => format!("drops column {target} and its values"),
            Loss::Narrow { from, to } => format!(
                "changes {target} from {from} to {to}, which can truncate or reject existing values"
            ),
        }
    }
}

fn existing<'a>(schema: &'a Schema, table: &str) -> std::result::Result<&'a Table, String> {
    schema.tables.get(table).ok_or_else(|| {
        format!(
            "there is no table {} — create it first or fix the name",
            quoted(table)
        )
    })
}

fn existing_column<'a>(
    schema: &'a Schema,
    table: &str,
    column: &str,
) -> std::result::Result<&'a Table, String> {
    let t = existing(schema, table)?;
    match t.column(column) {
        Some(_) => Ok(t),
        None => Err(format!(
            "table {} has no column {} — fix the name",
            quoted(table),
            quoted(column)
        )),
    }
}

fn refuse_taken_name(schema: &Schema, name: &str) -> std::result::Result<(), String> {
    if schema.object_name_taken(name) {
        return Err(format!(
            "the name {} is already used by a constraint or index — choose another name",
            quoted(name)
        ));
    }
    Ok(())
}

/// Refuses when a foreign key that `blocks` selects (given its table) would be broken.
fn refuse_foreign_keys(
    schema: &Schema,
    doing: &str,
    blocks: impl Fn(&Table, &ForeignKey) -> bool,
) -> std::result::Result<(), String> {
    for owner in schema.tables.values() {
        if let Some(fk) = owner.foreign_keys.iter().find(|fk| blocks(owner, fk)) {
            return Err(format!(
                "foreign key {} of table {} references it — drop that foreign key before {doing}",
                quoted(&fk.name),
                quoted(&owner.name)
            ));
        }
    }
    Ok(())
}

/// Refuses when a view reads `relation`: PostgreSQL will not drop or change what a view
/// depends on.
fn refuse_if_viewed(
    schema: &Schema,
    relation: &str,
    doing: &str,
) -> std::result::Result<(), String> {
    match schema.views_reading(relation).first() {
        Some(view) => Err(format!(
            "view {} reads {} — drop the view before {doing} and create it again after",
            quoted(&view.name),
            quoted(relation)
        )),
        None => Ok(()),
    }
}

/// Stores a changed table unless that breaks a foreign key pointing at it.
fn replace_checking_references(
    schema: &mut Schema,
    table: Table,
) -> std::result::Result<(), String> {
    let name = table.name.clone();
    let previous = schema.tables.insert(name.clone(), table);
    if let Err(reason) = schema.check_references_to(&name) {
        if let Some(previous) = previous {
            schema.tables.insert(name, previous);
        }
        return Err(reason);
    }
    Ok(())
}

fn create_table(schema: &mut Schema, table: &Table) -> std::result::Result<(), String> {
    if schema.relation_exists(&table.name) {
        return Err(format!(
            "a table or view named {} already exists",
            quoted(&table.name)
        ));
    }
    if let Some(index) = table.indexes.first() {
        return Err(format!(
            "CREATE TABLE cannot create index {} — create it with CREATE INDEX",
            quoted(&index.name)
        ));
    }
    let mut created = table.clone();
    created.normalize();
    created.check_own_references()?;
    for name in created.object_names() {
        refuse_taken_name(schema, name)?;
    }
    let declared = created.clone();
    for fk in &mut created.foreign_keys {
        schema.resolve_foreign_key(&declared, fk)?;
    }
    for fk in &created.foreign_keys {
        schema.check_foreign_key(&created, fk)?;
    }
    schema.tables.insert(created.name.clone(), created);
    Ok(())
}

fn alter_column(
    schema: &mut Schema,
    table: &str,
    column: &str,
    change: &ColumnChange,
) -> std::result::Result<(), String> {
    let mut changed = existing_column(schema, table, column)?.clone();
    if change.is_empty() {
        return Err("the statement changes nothing — say what to change".to_string());
    }
    if change.ty.is_some() {
        refuse_if_viewed(schema, table, "changing the column's type")?;
    }
    let in_primary_key = changed
        .primary_key
        .as_ref()
        .is_some_and(|pk| pk.columns.iter().any(|c| c == column));
    if change.nullable == Some(true) && in_primary_key {
        return Err(format!(
            "{} is part of the primary key, which cannot hold NULL — drop the primary key first",
            quoted(column)
        ));
    }
    change.apply_to(&mut changed, column);
    schema.tables.insert(table.to_string(), changed);
    Ok(())
}

fn rename_column(
    schema: &mut Schema,
    table: &str,
    from: &str,
    to: &str,
) -> std::result::Result<(), String> {
    let mut changed = existing_column(schema, table, from)?.clone();
    if changed.column(to).is_some() {
        return Err(format!(
            "table {} already has a column {}",
            quoted(table),
            quoted(to)
        ));
    }
    refuse_if_viewed(schema, table, "renaming the column")?;
    let rename = |names: &mut Vec<String>| {
        for name in names.iter_mut().filter(|n| *n == from) {
            *name = to.to_string();
        }
    };
    for c in changed.columns.iter_mut().filter(|c| c.name == from) {
        c.name = to.to_string();
    }
    if let Some(pk) = &mut changed.primary_key {
        rename(&mut pk.columns);
    }
    changed
        .uniques
        .iter_mut()
        .for_each(|u| rename(&mut u.columns));
    changed
        .foreign_keys
        .iter_mut()
        .for_each(|fk| rename(&mut fk.columns));
    for check in &mut changed.checks {
        check.expr = expr::rename_column_in(&check.expr, from, to);
    }
    for index in &mut changed.indexes {
        for part in &mut index.parts {
            match &mut part.key {
                IndexKey::Column(c) if c == from => *c = to.to_string(),
                IndexKey::Column(_) => {}
                IndexKey::Expr(e) => *e = expr::rename_column_in(e, from, to),
            }
        }
        if let Some(predicate) = &mut index.where_clause {
            *predicate = expr::rename_column_in(predicate, from, to);
        }
    }
    schema.tables.insert(table.to_string(), changed);
    schema.tables.change_each(|_, t| {
        t.foreign_keys
            .iter_mut()
            .filter(|fk| fk.ref_table == table)
            .for_each(|fk| rename(&mut fk.ref_columns));
    });
    Ok(())
}

fn add_constraint(
    schema: &mut Schema,
    table: &str,
    constraint: &Constraint,
) -> std::result::Result<(), String> {
    let mut changed = existing(schema, table)?.clone();
    if let (Constraint::PrimaryKey(_), Some(pk)) = (constraint, &changed.primary_key) {
        return Err(format!(
            "table {} already has primary key {} — drop it first",
            quoted(table),
            quoted(&pk.name)
        ));
    }
    refuse_taken_name(schema, constraint.name())?;
    let mut constraint = constraint.clone();
    if let Constraint::ForeignKey(fk) = &mut constraint {
        schema.resolve_foreign_key(&changed, fk)?;
    }
    changed.add_constraint(constraint.clone());
    changed.check_own_references()?;
    if let Constraint::ForeignKey(fk) = &constraint {
        schema.check_foreign_key(&changed, fk)?;
    }
    schema.tables.insert(table.to_string(), changed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse::parse_schema_sql;

    fn schema(sql: &str) -> Schema {
        parse_schema_sql(sql, std::path::Path::new("schema.sql")).unwrap()
    }

    fn op(sql: &str) -> Op {
        Op::parse(sql).unwrap().unwrap()
    }

    /// Applies `sql` and returns the error message, checking the schema is unchanged.
    fn refused(s: &Schema, sql: &str) -> String {
        let mut changed = s.clone();
        let message = op(sql).apply(&mut changed).unwrap_err().message;
        assert_eq!(&changed, s, "a refused op must not change the schema");
        message
    }

    const SHOP: &str = r#"
        CREATE TABLE "user" (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);
        CREATE TABLE "order" (
            id INTEGER PRIMARY KEY,
            user_email TEXT REFERENCES "user" (email),
            parent INTEGER REFERENCES "order" (id),
            total NUMERIC(10, 2) CHECK (total >= 0)
        );
        CREATE INDEX ix_order_total ON "order" (total) WHERE total > 0;
        CREATE VIEW big AS SELECT id FROM "order" WHERE total > 100;"#;

    #[test]
    fn applying_the_ops_of_a_schema_builds_it() {
        let target = schema(SHOP);
        let mut built = Schema::default();
        let user = target.tables["user"].clone();
        let mut order = target.tables["order"].clone();
        let index = order.indexes.pop().unwrap();
        for op in [
            Op::CreateTable(user),
            Op::CreateTable(order),
            Op::CreateIndex {
                table: "order".into(),
                index,
                concurrently: false,
            },
            Op::CreateView(target.views["big"].clone()),
        ] {
            op.apply(&mut built).unwrap();
        }
        assert_eq!(built, target);
    }

    #[test]
    fn drops_that_would_break_something_are_refused() {
        let s = schema(SHOP);
        assert!(
            refused(&s, r#"DROP TABLE "user""#)
                .contains("foreign key \"fk_order_user_email_user\"")
        );
        assert!(refused(&s, r#"DROP TABLE "order""#).contains("view \"big\" reads"));
        assert!(refused(&s, r#"ALTER TABLE "user" DROP COLUMN email"#).contains("foreign key"));
        assert!(
            refused(&s, r#"ALTER TABLE "user" DROP CONSTRAINT uq_user_email"#)
                .contains("not a primary key or unique")
        );
        assert!(refused(&s, "DROP TABLE nothing").contains("no table"));
        assert!(refused(&s, "DROP INDEX nothing").contains("no index"));
        assert!(
            refused(&s, r#"ALTER TABLE "user" ADD PRIMARY KEY (email)"#)
                .contains("already has primary key")
        );
        assert!(
            refused(&s, r#"ALTER TABLE "user" ALTER COLUMN id DROP NOT NULL"#)
                .contains("primary key")
        );
        assert!(
            refused(
                &s,
                r#"ALTER TABLE "user" ADD CONSTRAINT ix_order_total UNIQUE (name)"#
            )
            .contains("already used")
        );
        assert!(refused(&s, r#"CREATE TABLE "order" (a INT)"#).contains("already exists"));
        assert!(
            refused(
                &s,
                r#"ALTER TABLE "user" ADD FOREIGN KEY (name) REFERENCES "order" (total)"#
            )
            .contains("not a primary key or unique")
        );
    }

    #[test]
    fn dropping_a_column_takes_its_own_constraints_and_indexes_along() {
        let mut s = schema(SHOP);
        op("DROP VIEW big").apply(&mut s).unwrap();
        op(r#"ALTER TABLE "order" DROP COLUMN total"#)
            .apply(&mut s)
            .unwrap();
        let order = &s.tables["order"];
        assert!(order.checks.is_empty() && order.indexes.is_empty());
        op(r#"ALTER TABLE "order" DROP COLUMN parent"#)
            .apply(&mut s)
            .unwrap();
        assert_eq!(s.tables["order"].foreign_keys.len(), 1);
    }

    #[test]
    fn renaming_a_column_follows_every_reference() {
        let mut s = schema(SHOP);
        op("DROP VIEW big").apply(&mut s).unwrap();
        op(r#"ALTER TABLE "order" RENAME COLUMN total TO amount"#)
            .apply(&mut s)
            .unwrap();
        op(r#"ALTER TABLE "user" RENAME COLUMN email TO mail"#)
            .apply(&mut s)
            .unwrap();
        let order = &s.tables["order"];
        assert_eq!(order.checks[0].expr, "\"amount\" >= 0");
        assert_eq!(
            order.indexes[0].where_clause.as_deref(),
            Some("\"amount\" > 0")
        );
        assert_eq!(
            order.indexes[0].parts[0].key,
            IndexKey::Column("amount".into())
        );
        assert_eq!(order.foreign_keys[1].ref_columns, ["mail"]);
        assert_eq!(s.tables["user"].uniques[0].columns, ["mail"]);
    }

    #[test]
    fn renaming_a_table_follows_foreign_keys() {
        let mut s = schema(SHOP);
        op("DROP VIEW big").apply(&mut s).unwrap();
        op(r#"ALTER TABLE "order" RENAME TO purchase"#)
            .apply(&mut s)
            .unwrap();
        op(r#"ALTER TABLE "user" RENAME TO person"#)
            .apply(&mut s)
            .unwrap();
        let fks = &s.tables["purchase"].foreign_keys;
        assert_eq!(
            fks.iter()
                .map(|fk| fk.ref_table.as_str())
                .collect::<Vec<_>>(),
            ["purchase", "person"]
        );
    }

    #[test]
    fn constraints_keep_primary_key_columns_not_null() {
        let mut s = schema("CREATE TABLE t (a INT, b INT)");
        op("ALTER TABLE t ADD PRIMARY KEY (a)")
            .apply(&mut s)
            .unwrap();
        let a = s.tables["t"].column("a").unwrap();
        assert!(!a.nullable && a.autoincrement);
        op("ALTER TABLE t DROP CONSTRAINT pk_t")
            .apply(&mut s)
            .unwrap();
        let a = s.tables["t"].column("a").unwrap();
        assert!(!a.nullable && !a.autoincrement);
    }

    #[test]
    fn destructive_ops_are_called_out() {
        let s = schema("CREATE TABLE t (a VARCHAR(100), b INT)");
        let warning = |sql: &str| op(sql).data_at_risk(&s).map(|risk| risk.warning());
        assert!(warning("DROP TABLE t").unwrap().contains("all its rows"));
        assert!(warning("ALTER TABLE t DROP COLUMN a").is_some());
        assert!(
            warning("ALTER TABLE t ALTER COLUMN a TYPE VARCHAR(20)")
                .unwrap()
                .contains("from VARCHAR(100) to VARCHAR(20)")
        );
        assert!(warning("ALTER TABLE t ALTER COLUMN a TYPE TEXT").is_none());
        assert!(warning("ALTER TABLE t ALTER COLUMN b TYPE BIGINT").is_none());
        assert!(warning("ALTER TABLE t ALTER COLUMN b TYPE SMALLINT").is_some());
        assert!(warning("ALTER TABLE t ALTER COLUMN b TYPE TEXT").is_none());
        assert!(warning("ALTER TABLE t ALTER COLUMN a TYPE INTEGER").is_some());
        assert!(warning("ALTER TABLE t ADD COLUMN c INT").is_none());
    }
}
