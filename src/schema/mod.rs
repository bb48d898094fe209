//! The neutral schema model: what a database contains, independent of any database.
//!
//! Every source — `schema.sql` ([`parse`]), a live database (introspection) and revision
//! scripts (`crate::ops`) — produces this model, so two schemas compare with `==` no matter
//! where they came from. To make that hold, everything is normalized when it enters:
//!
//! - Unquoted identifiers are folded to lower case (as PostgreSQL does); quoted ones are
//!   kept exactly. `Post` and `post` are one table, `"Post"` is another.
//! - Types are mapped to [`ColumnType`] (`INT` and `INTEGER` are one type); types that
//!   only one database knows pass through as [`ColumnType::Other`].
//! - Expressions (defaults, checks, index expressions and predicates, view queries) are
//!   stored as canonical SQL text: keywords and function names upper case, column names
//!   double-quoted, redundant outer parentheses removed (see [`expr`]).
//! - Unnamed constraints and indexes get the names of [`naming`], so every source names
//!   them alike.
//! - Primary-key columns are NOT NULL, and a single-column INTEGER or BIGINT primary key
//!   is `autoincrement` ([`Table::normalize`]).
//! - Column order is kept for rendering but does not take part in comparison (moving a
//!   column is not a schema change any database can make in place); constraint and index
//!   lists are kept sorted by name.

pub mod declaration;
pub mod exclude;
pub mod expr;
pub mod limits;
pub mod naming;
pub mod parse;
pub mod restate;
pub mod tables;

use std::collections::{BTreeMap, BTreeSet};

use std::fmt;
pub use tables::Tables;

/// A whole database schema: tables and views by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: Tables,
    pub views: BTreeMap<String, View>,
}

/// One table with everything that belongs to it.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub name: String,
    /// In declared order (used when the table is created).
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    /// Sorted by name, like the other lists below.
    pub uniques: Vec<UniqueConstraint>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<Check>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub nullable: bool,
    /// Canonical SQL text of the default expression; `DEFAULT NULL` is `None`.
    pub default: Option<String>,
    /// Derived by [`Table::normalize`]: the column is the table's single-column
    /// INTEGER/BIGINT primary key, whose values the database generates.
    pub autoincrement: bool,
}

/// A normalized column type. The portable types of DESIGN.md have their own variant;
/// anything else is kept as upper-case SQL text in `Other`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    SmallInt,
    Integer,
    BigInt,
    Varchar(Option<u32>),
    Text,
    Boolean,
    Real,
    Double,
    /// `NUMERIC(p)` is stored as `(p, 0)`, as the SQL standard defines it.
    Numeric(Option<(u32, u32)>),
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Blob,
    Json,
    Uuid,
    Other(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrimaryKey {
    pub name: String,
    pub columns: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UniqueConstraint {
    pub name: String,
    pub columns: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub parts: Vec<IndexPart>,
    pub unique: bool,
    /// Canonical SQL text of a partial index's predicate.
    pub where_clause: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexPart {
    pub key: IndexKey,
    pub descending: bool,
}

/// What one index part sorts by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexKey {
    Column(String),
    /// Canonical SQL text of an expression that is not a bare column.
    Expr(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_table: String,
    /// Empty only between parsing and [`Schema::resolve_foreign_key`]: `REFERENCES t`
    /// without columns means t's primary key.
    pub ref_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
}

/// A referential action; `NoAction` is what an omitted clause means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FkAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    /// Canonical SQL text of the condition.
    pub expr: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub name: String,
    /// Canonical SQL text of the query.
    pub definition: String,
}

/// A table constraint, as added or dropped on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Constraint {
    PrimaryKey(PrimaryKey),
    Unique(UniqueConstraint),
    ForeignKey(ForeignKey),
    Check(Check),
}

impl Constraint {
    pub fn name(&self) -> &str {
        match self {
            Constraint::PrimaryKey(c) => &c.name,
            Constraint::Unique(c) => &c.name,
            Constraint::ForeignKey(c) => &c.name,
            Constraint::Check(c) => &c.name,
        }
    }
}

impl PartialEq for Table {
    /// Column order does not count (see the module documentation).
    fn eq(&self, other: &Self) -> bool {
        fn by_name(t: &Table) -> Vec<&Column> {
            let mut columns: Vec<&Column> = t.columns.iter().collect();
            columns.sort_by(|a, b| a.name.cmp(&b.name));
            columns
        }
        self.name == other.name
            && self.primary_key == other.primary_key
            && self.uniques == other.uniques
            && self.indexes == other.indexes
            && self.foreign_keys == other.foreign_keys
            && self.checks == other.checks
            && by_name(self) == by_name(other)
    }
}

impl Eq for Table {}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// The constraint called `name`, if this table has one.
    pub fn constraint(&self, name: &str) -> Option<Constraint> {
        self.constraints().into_iter().find(|c| c.name() == name)
    }

    /// All constraints: primary key, uniques, checks, foreign keys.
    pub fn constraints(&self) -> Vec<Constraint> {
        let pk = self.primary_key.iter().cloned().map(Constraint::PrimaryKey);
        let uniques = self.uniques.iter().cloned().map(Constraint::Unique);
        let checks = self.checks.iter().cloned().map(Constraint::Check);
        let fks = self
            .foreign_keys
            .iter()
            .cloned()
            .map(Constraint::ForeignKey);
        pk.chain(uniques).chain(checks).chain(fks).collect()
    }

    /// Names of this table's constraints and indexes.
    pub fn object_names(&self) -> impl Iterator<Item = &str> {
        let pk = self.primary_key.iter().map(|c| c.name.as_str());
        pk.chain(self.uniques.iter().map(|c| c.name.as_str()))
            .chain(self.indexes.iter().map(|c| c.name.as_str()))
            .chain(self.foreign_keys.iter().map(|c| c.name.as_str()))
            .chain(self.checks.iter().map(|c| c.name.as_str()))
    }

    pub fn add_constraint(&mut self, constraint: Constraint) {
        match constraint {
            Constraint::PrimaryKey(c) => self.primary_key = Some(c),
            Constraint::Unique(c) => self.uniques.push(c),
            Constraint::ForeignKey(c) => self.foreign_keys.push(c),
            Constraint::Check(c) => self.checks.push(c),
        }
        self.normalize();
    }

    /// Removes the constraint called `name`; false if there is none.
    pub fn remove_constraint(&mut self, name: &str) -> bool {
        let before = self.constraints().len();
        if self.primary_key.as_ref().is_some_and(|pk| pk.name == name) {
            self.primary_key = None;
        }
        self.uniques.retain(|c| c.name != name);
        self.foreign_keys.retain(|c| c.name != name);
        self.checks.retain(|c| c.name != name);
        self.normalize();
        self.constraints().len() < before
    }

    /// Re-establishes the derived facts: primary-key columns are NOT NULL, a single-column
    /// integer primary key auto-increments, and constraint lists are sorted by name.
    pub fn normalize(&mut self) {
        let pk_columns: &[String] = self.primary_key.as_ref().map_or(&[], |pk| &pk.columns);
        for column in &mut self.columns {
            let in_pk = pk_columns.contains(&column.name);
            if in_pk {
                column.nullable = false;
            }
            column.autoincrement = in_pk
                && pk_columns.len() == 1
                && matches!(column.ty, ColumnType::Integer | ColumnType::BigInt);
        }
        self.uniques.sort_by(|a, b| a.name.cmp(&b.name));
        self.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        self.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
        self.checks.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// Checks that everything the table declares refers to its own columns.
    pub fn check_own_references(&self) -> Result<(), String> {
        if self.columns.is_empty() {
            return Err(format!(
                "table {} has no columns — a table needs at least one column",
                quoted(&self.name)
            ));
        }
        let mut seen = BTreeSet::new();
        for column in &self.columns {
            if !seen.insert(column.name.as_str()) {
                return Err(format!(
                    "table {} declares column {} twice — remove or rename one",
                    quoted(&self.name),
                    quoted(&column.name)
                ));
            }
        }
        let mut names = BTreeSet::new();
        for name in self.object_names() {
            if !names.insert(name) {
                return Err(format!(
                    "table {} has two constraints or indexes named {} — rename one",
                    quoted(&self.name),
                    quoted(name)
                ));
            }
        }
        for (what, columns) in self.column_uses() {
            for column in columns {
                if self.column(&column).is_none() {
                    return Err(format!(
                        "{what} uses column {} that table {} does not have — fix the column name",
                        quoted(&column),
                        quoted(&self.name)
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every constraint and index with the columns it uses (including columns named in
    /// expressions), for validation and for dropping what depends on a column.
    fn column_uses(&self) -> Vec<(String, Vec<String>)> {
        let mut uses = Vec::new();
        if let Some(pk) = &self.primary_key {
            uses.push((
                format!("primary key {}", quoted(&pk.name)),
                pk.columns.clone(),
            ));
        }
        for c in &self.uniques {
            uses.push((
                format!("unique constraint {}", quoted(&c.name)),
                c.columns.clone(),
            ));
        }
        for c in &self.foreign_keys {
            uses.push((
                format!("foreign key {}", quoted(&c.name)),
                c.columns.clone(),
            ));
        }
        for c in &self.checks {
            uses.push((
                format!("check {}", quoted(&c.name)),
                expr::columns_in(&c.expr),
            ));
        }
        for index in &self.indexes {
            uses.push((
                format!("index {}", quoted(&index.name)),
                index.columns_used(),
            ));
        }
        uses
    }

    /// Whether any constraint or index of this table uses `column`.
    pub fn column_is_used(&self, column: &str) -> bool {
        self.column_uses()
            .iter()
            .any(|(_, columns)| columns.iter().any(|c| c == column))
    }

    /// Removes the constraints and indexes that use `column`, as dropping the column does.
    pub fn remove_uses_of(&mut self, column: &str) {
        let uses = |columns: &[String]| columns.iter().any(|c| c == column);
        if self
            .primary_key
            .as_ref()
            .is_some_and(|pk| uses(&pk.columns))
        {
            self.primary_key = None;
        }
        self.uniques.retain(|c| !uses(&c.columns));
        self.foreign_keys.retain(|c| !uses(&c.columns));
        self.checks.retain(|c| !uses(&expr::columns_in(&c.expr)));
        self.indexes.retain(|i| !uses(&i.columns_used()));
    }
}

impl Index {
    /// Columns the index reads: plain parts, columns in expression parts and predicate.
    pub fn columns_used(&self) -> Vec<String> {
        let mut columns = Vec::new();
        for part in &self.parts {
            match &part.key {
                IndexKey::Column(c) => columns.push(c.clone()),
                IndexKey::Expr(e) => columns.extend(expr::columns_in(e)),
            }
        }
        if let Some(predicate) = &self.where_clause {
            columns.extend(expr::columns_in(predicate));
        }
        columns
    }

    /// The plain columns of a non-partial unique index, which can be a foreign key's target.
    fn key_columns(&self) -> Option<Vec<String>> {
        if !self.unique || self.where_clause.is_some() {
            return None;
        }
        self.parts
            .iter()
            .map(|p| match &p.key {
                IndexKey::Column(c) => Some(c.clone()),
                IndexKey::Expr(_) => None,
            })
            .collect()
    }
}

impl Schema {
    /// The table that owns the index called `name`.
    pub fn index_table(&self, name: &str) -> Option<&Table> {
        self.tables
            .holding_object(name)
            .find(|t| t.index(name).is_some())
    }

    /// Whether a constraint or index anywhere is called `name`. Such names are unique in
    /// the whole schema: PostgreSQL needs that for indexes and the keys behind them, and
    /// `DROP INDEX` finds an index by name alone.
    pub fn object_name_taken(&self, name: &str) -> bool {
        self.tables.object_name_taken(name)
    }

    /// Whether a table or a view is called `name`.
    pub fn relation_exists(&self, name: &str) -> bool {
        self.tables.contains_key(name) || self.views.contains_key(name)
    }

    /// Fills in `REFERENCES t` without columns: t's primary key.
    pub fn resolve_foreign_key(&self, table: &Table, fk: &mut ForeignKey) -> Result<(), String> {
        if !fk.ref_columns.is_empty() {
            return Ok(());
        }
        let target = if fk.ref_table == table.name {
            Some(table)
        } else {
            self.tables.get(&fk.ref_table)
        };
        match target.map(|t| t.primary_key.as_ref()) {
            // A missing table is reported by `check_foreign_key`.
            None => Ok(()),
            Some(Some(pk)) => {
                fk.ref_columns = pk.columns.clone();
                Ok(())
            }
            Some(None) => Err(format!(
                "foreign key {} references {} without naming columns, and that table has no primary key — name the referenced columns",
                quoted(&fk.name),
                quoted(&fk.ref_table)
            )),
        }
    }

    /// Checks that a foreign key of `table` points at an existing key: the referenced
    /// columns must be a primary key, a unique constraint or a plain unique index of the
    /// referenced table (`table` itself for a self-reference), with as many columns.
    pub fn check_foreign_key(&self, table: &Table, fk: &ForeignKey) -> Result<(), String> {
        let target = if fk.ref_table == table.name {
            Some(table)
        } else {
            self.tables.get(&fk.ref_table)
        };
        let Some(target) = target else {
            return Err(format!(
                "foreign key {} references table {}, which does not exist — create it first or fix the name",
                quoted(&fk.name),
                quoted(&fk.ref_table)
            ));
        };
        if fk.columns.len() != fk.ref_columns.len() {
            return Err(format!(
                "foreign key {} has {} columns but references {} — list as many referenced columns as local ones",
                quoted(&fk.name),
                fk.columns.len(),
                fk.ref_columns.len()
            ));
        }
        for column in &fk.ref_columns {
            if target.column(column).is_none() {
                return Err(format!(
                    "foreign key {} references column {} that table {} does not have — fix the column name",
                    quoted(&fk.name),
                    quoted(column),
                    quoted(&target.name)
                ));
            }
        }
        if !target.has_key(&fk.ref_columns) {
            return Err(format!(
                "foreign key {} references {} ({}), which is not a primary key or unique — add a unique constraint on those columns",
                quoted(&fk.name),
                quoted(&target.name),
                fk.ref_columns
                    .iter()
                    .map(|c| quoted(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(())
    }

    /// Checks every foreign key that points at `table` (after `table` changed).
    pub fn check_references_to(&self, table: &str) -> Result<(), String> {
        for t in self.tables.values() {
            for fk in t.foreign_keys.iter().filter(|fk| fk.ref_table == table) {
                self.check_foreign_key(t, fk)
                    .map_err(|e| format!("table {} would break: {e}", quoted(&t.name)))?;
            }
        }
        Ok(())
    }

    /// Views that read `relation`, directly or through other views, ordered so that a
    /// view comes after the views it reads.
    pub fn views_reading(&self, relation: &str) -> Vec<&View> {
        let mut affected: BTreeSet<&str> = BTreeSet::new();
        let mut frontier = vec![relation];
        while let Some(name) = frontier.pop() {
            for view in self.views.values() {
                if !affected.contains(view.name.as_str()) && view.reads().contains(name) {
                    affected.insert(&view.name);
                    frontier.push(&view.name);
                }
            }
        }
        self.views_in_dependency_order(|v| affected.contains(v.name.as_str()))
    }

    /// The views that `keep` selects, each after the views it reads.
    pub fn views_in_dependency_order(&self, keep: impl Fn(&View) -> bool) -> Vec<&View> {
        let selected: Vec<&View> = self.views.values().filter(|v| keep(v)).collect();
        let mut ordered: Vec<&View> = Vec::with_capacity(selected.len());
        let mut placed: BTreeSet<&str> = BTreeSet::new();
        while ordered.len() < selected.len() {
            let ready: Vec<&View> = selected
                .iter()
                .copied()
                .filter(|v| !placed.contains(v.name.as_str()))
                .filter(|v| {
                    v.reads().iter().all(|r| {
                        r == &v.name
                            || placed.contains(r.as_str())
                            || !selected.iter().any(|s| &s.name == r)
                    })
                })
                .collect();
            // A cycle among views cannot be created by any database; place the rest as is.
            let next = if ready.is_empty() {
                selected
                    .iter()
                    .copied()
                    .filter(|v| !placed.contains(v.name.as_str()))
                    .collect()
            } else {
                ready
            };
            for view in next {
                placed.insert(&view.name);
                ordered.push(view);
            }
        }
        ordered
    }
}

impl Table {
    /// Whether `columns` (in any order) are this table's primary key, a unique constraint
    /// or a plain unique index: what a foreign key may reference.
    pub fn has_key(&self, columns: &[String]) -> bool {
        let wanted: BTreeSet<&String> = columns.iter().collect();
        let same = |key: &[String]| {
            key.len() == columns.len() && key.iter().collect::<BTreeSet<_>>() == wanted
        };
        self.primary_key
            .as_ref()
            .is_some_and(|pk| same(&pk.columns))
            || self.uniques.iter().any(|u| same(&u.columns))
            || self
                .indexes
                .iter()
                .filter_map(Index::key_columns)
                .any(|k| same(&k))
    }
}

impl View {
    /// Names of the tables and views the query reads.
    pub fn reads(&self) -> BTreeSet<String> {
        expr::relations_in_query(&self.definition)
    }
}

impl ColumnType {
    /// Whether changing a column from `self` to `to` can lose or reject existing values.
    pub fn narrows_to(&self, to: &ColumnType) -> bool {
        use ColumnType::*;
        let int_rank = |t: &ColumnType| match t {
            SmallInt => Some(1),
            Integer => Some(2),
            BigInt => Some(3),
            _ => None,
        };
        match (self, to) {
            (a, b) if a == b => false,
            (a, b) if int_rank(a).is_some() && int_rank(b).is_some() => int_rank(a) > int_rank(b),
            (SmallInt | Integer | BigInt, Numeric(None) | Double) => false,
            (Real, Double) => false,
            // Every value but a binary one has a text form that reads back the same.
            (Blob, _) => true,
            (_, Text | Varchar(None)) => false,
            (Varchar(Some(a)), Varchar(Some(b))) => b < a,
            (Numeric(Some(_)), Numeric(None)) => false,
            (Numeric(Some((p1, s1))), Numeric(Some((p2, s2)))) => {
                let integer_digits = |p: &u32, s: &u32| i64::from(*p) - i64::from(*s);
                integer_digits(p2, s2) < integer_digits(p1, s1) || s2 < s1
            }
            _ => true,
        }
    }
}

impl fmt::Display for ColumnType {
    /// The portable spelling, which parses back to the same type.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::SmallInt => f.write_str("SMALLINT"),
            ColumnType::Integer => f.write_str("INTEGER"),
            ColumnType::BigInt => f.write_str("BIGINT"),
            ColumnType::Varchar(None) => f.write_str("VARCHAR"),
            ColumnType::Varchar(Some(n)) => write!(f, "VARCHAR({n})"),
            ColumnType::Text => f.write_str("TEXT"),
            ColumnType::Boolean => f.write_str("BOOLEAN"),
            ColumnType::Real => f.write_str("REAL"),
            ColumnType::Double => f.write_str("DOUBLE PRECISION"),
            ColumnType::Numeric(None) => f.write_str("NUMERIC"),
            ColumnType::Numeric(Some((p, s))) => write!(f, "NUMERIC({p}, {s})"),
            ColumnType::Date => f.write_str("DATE"),
            ColumnType::Time => f.write_str("TIME"),
            ColumnType::Timestamp => f.write_str("TIMESTAMP"),
            ColumnType::TimestampTz => f.write_str("TIMESTAMP WITH TIME ZONE"),
            ColumnType::Blob => f.write_str("BLOB"),
            ColumnType::Json => f.write_str("JSON"),
            ColumnType::Uuid => f.write_str("UUID"),
            ColumnType::Other(text) => f.write_str(text),
        }
    }
}

impl FkAction {
    /// The SQL words, or `None` for the default `NO ACTION`, which is never written.
    pub fn sql(self) -> Option<&'static str> {
        match self {
            FkAction::NoAction => None,
            FkAction::Restrict => Some("RESTRICT"),
            FkAction::Cascade => Some("CASCADE"),
            FkAction::SetNull => Some("SET NULL"),
            FkAction::SetDefault => Some("SET DEFAULT"),
        }
    }
}

/// A name in double quotes, for messages and portable SQL.
pub fn quoted(name: &str) -> String {
    crate::dialect::Dialect::Postgres.quote_ident(name)
}
