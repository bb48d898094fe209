//! Reads a MySQL or MariaDB database's schema (the connection's current database) from
//! `information_schema` into the model, normalized so that a schema mb created reads
//! back as it was declared.
//!
//! - Types map back as `crate::dialect::mysql` writes them: `TINYINT(1)` is BOOLEAN,
//!   `DATETIME(6)` TIMESTAMP, `TIMESTAMP(6)` TIMESTAMP WITH TIME ZONE, `TIME(6)` TIME,
//!   `LONGTEXT` and `TEXT` are TEXT, `LONGBLOB` and `BLOB` BLOB, `DECIMAL(65,30)` NUMERIC
//!   without precision, `CHAR(36)` in the `ascii` character set (and MariaDB's `UUID`)
//!   UUID. MariaDB's JSON is `LONGTEXT` with a `json_valid` check named after the
//!   column: it reads as JSON, without the check. Anything else is read as its SQL type,
//!   display widths of integers left out (`int(11)` is INTEGER, `tinyint(4)` TINYINT).
//! - Defaults: MariaDB's `current_timestamp(6)`, `curdate()`, `curtime()` are
//!   CURRENT_TIMESTAMP, CURRENT_DATE and CURRENT_TIME; `1`/`0` on a BOOLEAN are TRUE and
//!   FALSE; MySQL 8 writes literals unquoted and marks expressions `DEFAULT_GENERATED`.
//! - A primary key is `pk_<table>` unless its comment keeps another name; a unique index
//!   is a unique constraint unless its comment says it was made by `CREATE UNIQUE INDEX`,
//!   it has a descending part, or a known schema declares it as a unique index. The indexes InnoDB keeps for foreign keys (named after
//!   the foreign key, on its columns) are left out. `RESTRICT`, which MariaDB reports for
//!   an omitted action, is `NO ACTION`: InnoDB treats them alike.
//! - mb's own tables (`mb_*`) are skipped.
//! - What the model has no place for is left out and returned beside the schema by name
//!   ([`Unmanaged`]): a generated column, a column `ON UPDATE CURRENT_TIMESTAMP` (left
//!   out whole: an `ALTER TABLE … MODIFY` from a model without the clause would drop it),
//!   a FULLTEXT or SPATIAL index, an index on an expression or a column prefix (and the
//!   keys and indexes that use what is left out); triggers, functions, procedures and
//!   events.
//!
//! MySQL rewrites view queries and check expressions (`length` becomes `octet_length`,
//! names get qualified and aliased) and stores defaults its own way (`0.00` for `0` on a
//! DECIMAL(10,2)). They are read into portable SQL as well as possible, and
//! [`introspect`] compares like with like for the objects of `known` schemas (the
//! declared schema, the schema the migrations built): it creates each differing one
//! under a scratch name (`mb_tmp_…`) in the database, reads it back, drops it, and where
//! the database stores both alike the live object takes the known one's portable text.
//! `mb db migrate` and `mb db check` therefore need the privileges to create and drop
//! tables and views.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use ::mysql::prelude::Queryable;
use ::mysql::{Conn, Params, Value};
use sqlparser::ast::{Expr, ObjectNamePart, Statement, visit_expressions_mut, visit_relations_mut};
use sqlparser::dialect::MySqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::mysql::text;
use super::{Introspected, Unmanaged};
use crate::dialect::mysql::{
    PRIMARY_KEY_NAME_COMMENT, UNBOUNDED_NUMERIC, UNIQUE_INDEX_COMMENT, column_definition,
    mysql_text,
};
use crate::dialect::{Dialect, MysqlTokens};
use crate::nesting;
use crate::schema::expr::{normalize_expr, normalize_query};
use crate::schema::parse::column_type;
use crate::schema::{
    Check, Column, ColumnType, FkAction, ForeignKey, Index, IndexKey, IndexPart, PrimaryKey,
    Schema, Table, UniqueConstraint, View, naming, quoted,
};
use crate::{Error, Result};

/// MySQL's errors for a missing privilege: database, table, and command denied.
const ACCESS_DENIED: [u16; 3] = [1044, 1142, 1227];

/// Tables that are not the application's: mb's own, and the scratch objects of a
/// comparison that was interrupted.
const IGNORED_PREFIX: &str = "mb_";

/// The live schema; objects of `known` that the database stores exactly like the live
/// ones lend them their portable text (see the module documentation).
pub fn introspect(conn: &mut Conn, known: &[&Schema]) -> Result<Introspected> {
    let mut catalog = Catalog::open(conn)?;
    let mut read = catalog.read(None)?;
    read.unmanaged.extend(catalog.other_objects()?);
    let mut tables = read.tables;
    for (name, table) in &mut tables {
        for candidate in known.iter().filter_map(|k| k.tables.get(name)) {
            catalog.recognize_table(table, candidate)?;
        }
        table.normalize();
    }
    let mut schema = Schema {
        tables: tables.into(),
        views: read
            .views
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect(),
    };
    for (name, (view, raw)) in &read.views {
        let candidates = known.iter().filter_map(|k| k.views.get(name));
        for candidate in candidates.filter(|c| c.definition != view.definition) {
            if catalog.stored_view_sql(&candidate.definition)?.as_ref() == Some(raw) {
                schema.views.insert(name.clone(), candidate.clone());
                break;
            }
        }
    }
    super::resolved(schema, read.unmanaged, &catalog.database)
}

/// What the catalog holds: tables, views with the query text as MySQL stores it, and
/// what the model has no place for.
struct Read {
    tables: BTreeMap<String, Table>,
    views: BTreeMap<String, (View, String)>,
    unmanaged: Vec<Unmanaged>,
}

/// Triggers, routines and events, as rows of kind, name, table and why.
const OTHER_OBJECTS: &str = "\
    SELECT 'trigger', TRIGGER_NAME, EVENT_OBJECT_TABLE, CONCAT('runs ', ACTION_TIMING, ' ', EVENT_MANIPULATION) \
    FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() \
    UNION ALL \
    SELECT LOWER(ROUTINE_TYPE), ROUTINE_NAME, NULL, CONCAT('is a stored ', LOWER(ROUTINE_TYPE)) \
    FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() \
    UNION ALL \
    SELECT 'event', EVENT_NAME, NULL, 'is a scheduled event' \
    FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()";

type Rows = Vec<Vec<Option<String>>>;

struct Catalog<'a> {
    conn: &'a mut Conn,
    mariadb: bool,
    database: String,
    /// Numbers the scratch objects of this connection.
    scratch: usize,
}

impl<'a> Catalog<'a> {
    fn open(conn: &'a mut Conn) -> Result<Self> {
        let mut catalog = Catalog {
            conn,
            mariadb: false,
            database: String::new(),
            scratch: 0,
        };
        let row = catalog.rows("SELECT VERSION(), DATABASE()", Vec::new())?;
        let value = |i: usize| row.first().and_then(|r| r[i].clone()).unwrap_or_default();
        catalog.mariadb = value(0).contains("MariaDB");
        catalog.database = value(1);
        Ok(catalog)
    }

    fn rows(&mut self, sql: &str, params: Vec<Value>) -> Result<Rows> {
        let params = if params.is_empty() {
            Params::Empty
        } else {
            Params::Positional(params)
        };
        let rows: Vec<::mysql::Row> = self.conn.exec(sql, params).map_err(|e| {
            Error::database(format!(
                "cannot read the schema of MySQL database {}: {}",
                self.database,
                super::mysql::message(&e)
            ))
        })?;
        Ok(rows
            .into_iter()
            .map(|row| row.unwrap().into_iter().map(text).collect())
            .collect())
    }

    fn other_objects(&mut self) -> Result<Vec<Unmanaged>> {
        let rows = self.rows(OTHER_OBJECTS, Vec::new())?;
        Ok(rows
            .iter()
            .map(|row| {
                let table = row[2].as_deref();
                Unmanaged::new(&field(row, 0), &field(row, 1), table, field(row, 3))
            })
            .collect())
    }

    /// Reads every table and view, or only the table or view called `only`.
    fn read(&mut self, only: Option<&str>) -> Result<Read> {
        let filter = |column: &str| match only {
            Some(_) => format!(" AND {column} = ?"),
            None => String::new(),
        };
        let params = || only.map(|name| vec![Value::from(name)]).unwrap_or_default();
        let skipped = |name: &str| only.is_none() && name.starts_with(IGNORED_PREFIX);

        let mut tables: BTreeMap<String, Table> = BTreeMap::new();
        let mut unmanaged = Vec::new();
        let sql = format!(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'{}",
            filter("TABLE_NAME")
        );
        for row in self.rows(&sql, params())? {
            let name = field(&row, 0);
            if !skipped(&name) {
                tables.insert(
                    name.clone(),
                    Table {
                        name,
                        ..Table::default()
                    },
                );
            }
        }

        let sql = format!(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, CHARACTER_SET_NAME, GENERATION_EXPRESSION \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE(){} ORDER BY TABLE_NAME, ORDINAL_POSITION",
            filter("TABLE_NAME")
        );
        // The MySQL type of each column, for the JSON columns of MariaDB below.
        let mut raw_types: BTreeMap<(String, String), String> = BTreeMap::new();
        for row in self.rows(&sql, params())? {
            let Some(table) = tables.get_mut(&field(&row, 0)) else {
                continue;
            };
            let column = match self.column(&row) {
                Ok(column) => column,
                Err(why) => {
                    let name = field(&row, 1);
                    unmanaged.push(Unmanaged::new("column", &name, Some(&table.name), why));
                    continue;
                }
            };
            raw_types.insert(
                (table.name.clone(), column.name.clone()),
                field(&row, 2).to_ascii_lowercase(),
            );
            table.columns.push(column);
        }

        let sql = if self.mariadb {
            format!(
                "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL FROM information_schema.CHECK_CONSTRAINTS \
                 WHERE CONSTRAINT_SCHEMA = DATABASE(){} ORDER BY TABLE_NAME, CONSTRAINT_NAME",
                filter("TABLE_NAME")
            )
        } else {
            format!(
                "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, 'Table' \
                 FROM information_schema.TABLE_CONSTRAINTS tc JOIN information_schema.CHECK_CONSTRAINTS cc \
                 ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
                 WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE = 'CHECK'{} ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME",
                filter("tc.TABLE_NAME")
            )
        };
        for row in self.rows(&sql, params())? {
            let Some(table) = tables.get_mut(&field(&row, 0)) else {
                continue;
            };
            let name = field(&row, 1);
            let expr = match expression(&field(&row, 2)) {
                Ok(expr) => expr,
                Err(why) => {
                    let why = format!("has an expression mb cannot read ({why})");
                    unmanaged.push(Unmanaged::new("check", &name, Some(&table.name), why));
                    continue;
                }
            };
            // MariaDB's JSON: LONGTEXT with `CHECK (json_valid(column))` named after it.
            let json_column = table.columns.iter_mut().find(|c| {
                field(&row, 3) == "Column"
                    && c.name == name
                    && raw_types
                        .get(&(table.name.clone(), c.name.clone()))
                        .map(String::as_str)
                        == Some("longtext")
                    && expr == format!("JSON_VALID({})", quoted(&c.name))
            });
            match json_column {
                Some(column) => column.ty = ColumnType::Json,
                None => table.checks.push(Check { name, expr }),
            }
        }

        let sql = format!(
            "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, COLLATION, SUB_PART, INDEX_TYPE, INDEX_COMMENT \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE(){} ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
            filter("TABLE_NAME")
        );
        let mut indexes: BTreeMap<(String, String), Vec<Vec<Option<String>>>> = BTreeMap::new();
        for row in self.rows(&sql, params())? {
            indexes
                .entry((field(&row, 0), field(&row, 1)))
                .or_default()
                .push(row);
        }

        let sql = format!(
            "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, \
             k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE \
             FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
             ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
             WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL{} \
             ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
            filter("k.TABLE_NAME")
        );
        for row in self.rows(&sql, params())? {
            let Some(table) = tables.get_mut(&field(&row, 0)) else {
                continue;
            };
            let name = field(&row, 1);
            if field(&row, 3) != self.database {
                let why = format!("references table {}.{}", field(&row, 3), field(&row, 4));
                unmanaged.push(Unmanaged::new("foreign key", &name, Some(&table.name), why));
                continue;
            }
            match table.foreign_keys.iter_mut().find(|fk| fk.name == name) {
                Some(fk) => {
                    fk.columns.push(field(&row, 2));
                    fk.ref_columns.push(field(&row, 5));
                }
                None => table.foreign_keys.push(ForeignKey {
                    name,
                    columns: vec![field(&row, 2)],
                    ref_table: field(&row, 4),
                    ref_columns: vec![field(&row, 5)],
                    on_delete: action(&field(&row, 6)),
                    on_update: action(&field(&row, 7)),
                }),
            }
        }

        for ((table_name, index_name), rows) in indexes {
            if let Some(table) = tables.get_mut(&table_name)
                && let Err(why) = add_index(table, &index_name, &rows)
            {
                unmanaged.push(Unmanaged::new("index", &index_name, Some(&table_name), why));
            }
        }
        for table in tables.values_mut() {
            table.normalize();
        }

        let mut views = BTreeMap::new();
        let sql = format!(
            "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE(){}",
            filter("TABLE_NAME")
        );
        for row in self.rows(&sql, params())? {
            let name = field(&row, 0);
            if skipped(&name) {
                continue;
            }
            let raw = field(&row, 1);
            if raw.is_empty() {
                return Err(Error::database(format!(
                    "cannot read view {} of MySQL database {}: MySQL shows a view's query only to its definer and to users with the SHOW VIEW privilege — grant SHOW VIEW on the database",
                    quoted(&name),
                    self.database
                )));
            }
            match self.view_query(&raw) {
                Ok(definition) => {
                    views.insert(name.clone(), (View { name, definition }, raw));
                }
                Err(why) => unmanaged.push(Unmanaged::new(
                    "view",
                    &name,
                    None,
                    format!("has a query mb cannot read ({why})"),
                )),
            }
        }
        Ok(Read {
            tables,
            views,
            unmanaged,
        })
    }

    /// One row of `information_schema.COLUMNS` (see the query in [`Catalog::read`]);
    /// one the model cannot hold is why.
    fn column(&self, row: &[Option<String>]) -> std::result::Result<Column, String> {
        let name = field(row, 1);
        let extra = field(row, 5).to_ascii_lowercase();
        if row[7].as_deref().is_some_and(|e| !e.is_empty()) {
            return Err("is a generated column".into());
        }
        if let Some(on_update) = extra.find("on update") {
            return Err(format!(
                "changes itself on every update ({})",
                field(row, 5)[on_update..].to_uppercase()
            ));
        }
        let ty = portable_type(&field(row, 2), row[6].as_deref());
        let default = match &row[4] {
            None => None,
            Some(raw) => self
                .default(raw, &extra, &ty)
                .map_err(|why| format!("has a default mb cannot read ({raw}: {why})"))?,
        };
        Ok(Column {
            name,
            ty,
            nullable: field(row, 3) == "YES",
            default,
            autoincrement: false,
        })
    }

    /// A default as MariaDB (an SQL expression) or MySQL 8 (a literal value, or an
    /// expression marked DEFAULT_GENERATED) reports it, as canonical portable SQL.
    fn default(
        &self,
        raw: &str,
        extra: &str,
        ty: &ColumnType,
    ) -> std::result::Result<Option<String>, String> {
        let expression_text = if self.mariadb {
            if raw == "NULL" {
                return Ok(None);
            }
            raw.to_string()
        } else if extra.contains("default_generated") {
            raw.replace("\\'", "'")
        } else if is_numeric(ty) {
            raw.to_string()
        } else {
            Dialect::Mysql.quote_literal(raw)
        };
        let text = expression(&expression_text)?;
        Ok(Some(match (current_time_alias(&text), ty, text.as_str()) {
            (Some(alias), _, _) => alias.to_string(),
            (None, ColumnType::Boolean, "1") => "true".into(),
            (None, ColumnType::Boolean, "0") => "false".into(),
            _ => text,
        }))
    }

    /// A view's query as MySQL stores it (names qualified with the database), as portable
    /// SQL without the database's name.
    fn view_query(&self, raw: &str) -> std::result::Result<String, String> {
        let statements = nesting::parser(&CATALOG, raw)
            .and_then(|mut parser| parser.parse_statements())
            .map_err(|e| e.to_string())?;
        let [Statement::Query(query)] = statements.as_slice() else {
            return Err("its query is not a single SELECT".into());
        };
        let mut query = (**query).clone();
        let database = self.database.as_str();
        let _ = visit_relations_mut(&mut query, |name| {
            if let [ObjectNamePart::Identifier(db), _] = name.0.as_slice()
                && db.value == database
            {
                name.0.remove(0);
            }
            ControlFlow::<()>::Continue(())
        });
        let _ = visit_expressions_mut(&mut query, |expr| {
            if let Expr::CompoundIdentifier(idents) = expr
                && idents.len() == 3
                && idents[0].value == database
            {
                idents.remove(0);
            }
            ControlFlow::<()>::Continue(())
        });
        Ok(normalize_query(query))
    }

    /// A name for a scratch table or view that no one else uses.
    fn scratch_name(&mut self) -> String {
        self.scratch += 1;
        let mut random = [0u8; 4];
        // Unique enough without randomness: the process id and a counter.
        let _ = getrandom::fill(&mut random);
        let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
        format!("mb_tmp_{}_{}_{random}", std::process::id(), self.scratch)
    }

    /// How the database stores the view query `definition`: created under a scratch
    /// name, read back, dropped. `None` when the database refuses it.
    fn stored_view_sql(&mut self, definition: &str) -> Result<Option<String>> {
        let name = self.scratch_name();
        let view = Dialect::Mysql.quote_ident(&name);
        let created = self
            .conn
            .query_drop(format!("CREATE VIEW {view} AS {}", mysql_text(definition)));
        if !self.scratch_created(created, "views")? {
            return Ok(None);
        }
        let read = self.rows(
            "SELECT VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
            vec![Value::from(name.as_str())],
        );
        self.drop_scratch("VIEW", &view)?;
        Ok(read?.first().and_then(|row| row[0].clone()))
    }

    /// Gives `live` the portable text of `candidate` (the same table in a known schema)
    /// wherever the database stores both alike: columns (type, nullability, default) and
    /// checks by creating the candidate's under a scratch name and reading them back;
    /// foreign keys whose actions differ only by RESTRICT and NO ACTION directly.
    fn recognize_table(&mut self, live: &mut Table, candidate: &Table) -> Result<()> {
        if live == candidate {
            return Ok(());
        }
        for fk in &mut live.foreign_keys {
            let restrictive = |a: FkAction| match a {
                FkAction::Restrict => FkAction::NoAction,
                other => other,
            };
            if let Some(known) = candidate.foreign_keys.iter().find(|k| {
                let mut same = (*k).clone();
                same.on_delete = restrictive(same.on_delete);
                same.on_update = restrictive(same.on_update);
                same == *fk
            }) {
                *fk = known.clone();
            }
        }
        // MySQL keeps a unique constraint and a unique index alike; one made without mb's
        // comment (by hand, by an ORM) is the unique index the candidate declares when
        // the name and columns are the same.
        live.uniques.retain(|unique| {
            let declared = candidate.index(&unique.name).filter(|index| {
                let columns = index
                    .parts
                    .iter()
                    .map(|part| match (&part.key, part.descending) {
                        (IndexKey::Column(column), false) => Some(column),
                        _ => None,
                    });
                index.unique
                    && index.where_clause.is_none()
                    && columns.eq(unique.columns.iter().map(Some))
            });
            if let Some(index) = declared {
                live.indexes.push(index.clone());
            }
            declared.is_none()
        });
        let columns: Vec<&Column> = candidate
            .columns
            .iter()
            .filter(|c| live.column(&c.name).is_some_and(|l| !same_column(l, c)))
            .collect();
        let checks: Vec<&Check> = candidate
            .checks
            .iter()
            .filter(|c| {
                live.checks
                    .iter()
                    .any(|l| l.name == c.name && l.expr != c.expr)
            })
            .collect();
        if columns.is_empty() && checks.is_empty() {
            return Ok(());
        }
        let Some(scratch) = self.scratch_table(candidate, &checks)? else {
            return Ok(());
        };
        for column in columns {
            let stored = scratch.column(&column.name);
            let was = live.columns.iter_mut().find(|l| l.name == column.name);
            if let (Some(stored), Some(was)) = (stored, was)
                && same_column(stored, was)
            {
                was.ty = column.ty.clone();
                was.default = column.default.clone();
            }
        }
        for (i, check) in checks.into_iter().enumerate() {
            let stored = scratch
                .checks
                .iter()
                .find(|c| c.name == scratch_check_name(&scratch.name, i));
            let was = live.checks.iter_mut().find(|l| l.name == check.name);
            if let (Some(stored), Some(was)) = (stored, was)
                && stored.expr == was.expr
            {
                was.expr = check.expr.clone();
            }
        }
        Ok(())
    }

    /// The columns of `candidate` and the `checks` (under scratch names), created in a
    /// scratch table, read back and dropped. `None` when the database refuses them.
    fn scratch_table(&mut self, candidate: &Table, checks: &[&Check]) -> Result<Option<Table>> {
        let name = self.scratch_name();
        let mut lines = Vec::new();
        for column in &candidate.columns {
            let plain = Column {
                autoincrement: false,
                ..column.clone()
            };
            match column_definition(&plain) {
                Ok(definition) => lines.push(definition),
                Err(_) => return Ok(None),
            }
        }
        for (i, check) in checks.iter().enumerate() {
            lines.push(format!(
                "CONSTRAINT {} CHECK ({})",
                Dialect::Mysql.quote_ident(&scratch_check_name(&name, i)),
                mysql_text(&check.expr)
            ));
        }
        let table = Dialect::Mysql.quote_ident(&name);
        let created = self
            .conn
            .query_drop(format!("CREATE TABLE {table} ({})", lines.join(", ")));
        if !self.scratch_created(created, "tables")? {
            return Ok(None);
        }
        let read = self.read(Some(&name));
        self.drop_scratch("TABLE", &table)?;
        Ok(read?.tables.remove(&name))
    }

    /// Whether a scratch object was created. The database refusing the declared SQL
    /// means it differs; the user lacking the privilege is an error, since comparing
    /// without it would report differences that are not there.
    fn scratch_created(
        &self,
        created: std::result::Result<(), ::mysql::Error>,
        kind: &str,
    ) -> Result<bool> {
        match created {
            Ok(()) => Ok(true),
            Err(::mysql::Error::MySqlError(e)) if ACCESS_DENIED.contains(&e.code) => {
                Err(Error::database(format!(
                    "cannot compare the schema of MySQL database {}: {} — mb creates {kind} under scratch names (mb_tmp_…) to see how MySQL stores the declared ones; grant the user CREATE, CREATE VIEW and DROP on the database",
                    self.database, e.message
                )))
            }
            Err(_) => Ok(false),
        }
    }

    fn drop_scratch(&mut self, kind: &str, quoted_name: &str) -> Result<()> {
        self.conn
            .query_drop(format!("DROP {kind} IF EXISTS {quoted_name}"))
            .map_err(|e| {
                Error::database(format!(
                    "cannot drop the scratch {} {quoted_name} mb created in MySQL database {} to compare the schema: {} — drop it by hand",
                    kind.to_lowercase(),
                    self.database,
                    super::mysql::message(&e)
                ))
            })
    }
}

/// The name of the `i`th check in scratch table `table`. MySQL wants check names unique
/// in the whole database.
fn scratch_check_name(table: &str, i: usize) -> String {
    format!("{table}_{i}")
}

/// Whether two columns read alike (autoincrement is derived from the key, not compared).
fn same_column(a: &Column, b: &Column) -> bool {
    a.ty == b.ty && a.nullable == b.nullable && a.default == b.default
}

/// Adds index `name` of `table` from its rows of `information_schema.STATISTICS`: the
/// primary key, a unique constraint, or an index; an index InnoDB keeps for a foreign key
/// is left out. One the model cannot hold is why.
fn add_index(
    table: &mut Table,
    name: &str,
    rows: &[Vec<Option<String>>],
) -> std::result::Result<(), String> {
    let first = &rows[0];
    let index_type = field(first, 6);
    if index_type != "BTREE" && index_type != "HASH" {
        return Err(format!("is a {index_type} index"));
    }
    let mut parts = Vec::new();
    for row in rows {
        let Some(column) = row[3].clone() else {
            return Err("indexes an expression".into());
        };
        if let Some(length) = &row[5] {
            return Err(format!("indexes a prefix of column {column} ({length})"));
        }
        parts.push(IndexPart {
            key: IndexKey::Column(column),
            descending: field(row, 4) == "D",
        });
    }
    let columns: Vec<String> = parts
        .iter()
        .filter_map(|p| match &p.key {
            IndexKey::Column(c) => Some(c.clone()),
            IndexKey::Expr(_) => None,
        })
        .collect();
    let comment = field(first, 7);
    let unique = field(first, 2) == "0";
    let ascending = parts.iter().all(|p| !p.descending);
    if name == "PRIMARY" {
        let name = comment
            .strip_prefix(PRIMARY_KEY_NAME_COMMENT)
            .map_or_else(|| naming::primary_key(&table.name), str::to_string);
        table.primary_key = Some(PrimaryKey { name, columns });
    } else if unique && ascending && comment != UNIQUE_INDEX_COMMENT {
        table.uniques.push(UniqueConstraint {
            name: name.to_string(),
            columns,
        });
    } else if !unique
        && ascending
        && comment.is_empty()
        && table
            .foreign_keys
            .iter()
            .any(|fk| fk.name == name && fk.columns == columns)
    {
        // The index InnoDB keeps for this foreign key.
    } else {
        table.indexes.push(Index {
            name: name.to_string(),
            parts,
            unique,
            where_clause: None,
        });
    }
    Ok(())
}

/// The portable type of a column, from `COLUMN_TYPE` and its character set.
fn portable_type(column_type_text: &str, charset: Option<&str>) -> ColumnType {
    let lower = column_type_text.to_ascii_lowercase();
    let mapped = match lower.as_str() {
        "tinyint(1)" => Some(ColumnType::Boolean),
        "float" => Some(ColumnType::Real),
        "time(6)" => Some(ColumnType::Time),
        "datetime(6)" => Some(ColumnType::Timestamp),
        "timestamp(6)" => Some(ColumnType::TimestampTz),
        "text" | "longtext" => Some(ColumnType::Text),
        "blob" | "longblob" => Some(ColumnType::Blob),
        "json" => Some(ColumnType::Json),
        "uuid" => Some(ColumnType::Uuid),
        "char(36)" if charset == Some("ascii") => Some(ColumnType::Uuid),
        // Without fractional digits: spelled so that they do not read as TIME or
        // TIMESTAMP, which mb writes with six.
        "time" => Some(ColumnType::Other("TIME(0)".into())),
        "timestamp" => Some(ColumnType::Other("TIMESTAMP(0)".into())),
        _ if lower == UNBOUNDED_NUMERIC.to_ascii_lowercase() => Some(ColumnType::Numeric(None)),
        _ => None,
    };
    if let Some(ty) = mapped {
        return ty;
    }
    // Integer display widths (`int(11)` on MariaDB) are not part of the type.
    let mut text = column_type_text.to_string();
    for integer in ["tinyint", "smallint", "mediumint", "int", "bigint"] {
        if let Some(rest) = lower.strip_prefix(integer)
            && let Some(rest) = rest.strip_prefix('(')
            && let Some(end) = rest.find(')')
            && rest[..end].chars().all(|c| c.is_ascii_digit())
        {
            text = format!("{integer}{}", &rest[end + 1..]);
        }
    }
    let parsed =
        nesting::parser(&MySqlDialect {}, &text).and_then(|mut parser| parser.parse_data_type());
    match parsed {
        Ok(data_type) => column_type(&data_type),
        Err(_) => ColumnType::Other(text.to_uppercase()),
    }
}

fn is_numeric(ty: &ColumnType) -> bool {
    match ty {
        ColumnType::SmallInt
        | ColumnType::Integer
        | ColumnType::BigInt
        | ColumnType::Boolean
        | ColumnType::Real
        | ColumnType::Double
        | ColumnType::Numeric(_) => true,
        ColumnType::Other(text) => [
            "TINYINT",
            "MEDIUMINT",
            "INT",
            "SMALLINT",
            "BIGINT",
            "DECIMAL",
            "FLOAT",
            "DOUBLE",
            "BIT",
        ]
        .iter()
        .any(|t| text.starts_with(t)),
        _ => false,
    }
}

/// MySQL's names for the current time (`current_timestamp(6)`, `now()`, `curdate()`…) as
/// the standard's.
fn current_time_alias(text: &str) -> Option<&'static str> {
    let (name, args) = text.split_once('(').unwrap_or((text, ""));
    let args = args.strip_suffix(')').unwrap_or(args);
    if !args.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    match name {
        "CURRENT_TIMESTAMP" | "NOW" | "LOCALTIMESTAMP" | "LOCALTIME" => Some("CURRENT_TIMESTAMP"),
        "CURDATE" | "CURRENT_DATE" => Some("CURRENT_DATE"),
        "CURTIME" | "CURRENT_TIME" => Some("CURRENT_TIME"),
        _ => None,
    }
}

/// A check, default or index expression as MySQL reports it, as canonical portable SQL.
fn expression(raw: &str) -> std::result::Result<String, String> {
    let cleaned = without_introducers(raw);
    let mut parser = nesting::parser(&CATALOG, &cleaned).map_err(|e| e.to_string())?;
    let expr = parser.parse_expr().map_err(|e| e.to_string())?;
    match parser.peek_token().token {
        Token::EOF => Ok(normalize_expr(expr)),
        other => Err(format!("unexpected {other}")),
    }
}

/// MySQL 8 writes string literals with their character set (`_utf8mb4'a'`).
fn without_introducers(raw: &str) -> String {
    let Ok(tokens) = Tokenizer::new(&CATALOG, raw).tokenize() else {
        return raw.to_string();
    };
    let mut out = String::new();
    for (i, token) in tokens.iter().enumerate() {
        let introducer = matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.starts_with('_'))
            && matches!(tokens.get(i + 1), Some(Token::SingleQuotedString(_)));
        if introducer {
            continue;
        }
        match token {
            Token::SingleQuotedString(s) => out.push_str(&Dialect::Mysql.quote_literal(s)),
            other => out.push_str(&other.to_string()),
        }
    }
    out
}

/// Reads MySQL's own output: identifiers in backticks, or in double quotes as MariaDB
/// prints them under ANSI_QUOTES; backslashes escape in string literals.
const CATALOG: MysqlTokens = MysqlTokens {
    backslash_escapes: true,
};

fn action(rule: &str) -> FkAction {
    match rule {
        "CASCADE" => FkAction::Cascade,
        "SET NULL" => FkAction::SetNull,
        "SET DEFAULT" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

fn field(row: &[Option<String>], i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::parser::Parser;

    #[test]
    fn types_read_back_as_mb_writes_them() {
        use ColumnType::*;
        // The type mb writes, and what MariaDB 10.11 reports for it.
        for (ty, reported, charset) in [
            (SmallInt, "smallint(6)", None),
            (Integer, "int(11)", None),
            (BigInt, "bigint(20)", None),
            (Varchar(Some(20)), "varchar(20)", Some("utf8mb4")),
            (Text, "longtext", Some("utf8mb4")),
            (Boolean, "tinyint(1)", None),
            (Real, "float", None),
            (Double, "double", None),
            (Numeric(None), "decimal(65,30)", None),
            (Numeric(Some((10, 2))), "decimal(10,2)", None),
            (Date, "date", None),
            (Time, "time(6)", None),
            (Timestamp, "datetime(6)", None),
            (TimestampTz, "timestamp(6)", None),
            (Blob, "longblob", None),
            (Json, "json", Some("utf8mb4")),
            (Uuid, "char(36)", Some("ascii")),
            (Other("DATETIME".into()), "datetime", None),
            (Other("TINYINT".into()), "tinyint(4)", None),
            (
                Other("ENUM('Mr', 'it''s')".into()),
                "enum('Mr','it''s')",
                Some("utf8mb4"),
            ),
            (Other("INT UNSIGNED".into()), "int(10) unsigned", None),
        ] {
            let written = crate::dialect::mysql::column_type(&ty).unwrap();
            assert_eq!(portable_type(reported, charset), ty, "{written}");
        }
    }

    #[test]
    fn display_widths_and_precisions_are_read() {
        assert_eq!(portable_type("int(11)", None), ColumnType::Integer);
        assert_eq!(portable_type("bigint(20)", None), ColumnType::BigInt);
        assert_eq!(
            portable_type("int(10) unsigned", None),
            ColumnType::Other("INT UNSIGNED".into())
        );
        assert_eq!(
            portable_type("tinyint(4)", None),
            ColumnType::Other("TINYINT".into())
        );
        assert_eq!(portable_type("longtext", Some("utf8mb4")), ColumnType::Text);
        assert_eq!(
            portable_type("char(36)", Some("utf8mb4")),
            ColumnType::Other("CHAR(36)".into())
        );
        assert_eq!(
            portable_type("time", None),
            ColumnType::Other("TIME(0)".into())
        );
        assert_eq!(
            portable_type("timestamp", None),
            ColumnType::Other("TIMESTAMP(0)".into())
        );
        assert_eq!(
            portable_type("datetime(3)", None),
            ColumnType::Other("DATETIME(3)".into())
        );
    }

    #[test]
    fn mysql_spellings_of_expressions_are_read() {
        assert_eq!(expression("`price` >= 0").unwrap(), "\"price\" >= 0");
        assert_eq!(
            expression("\"qty\" > 0 or \"qty\" is null").unwrap(),
            "\"qty\" > 0 OR \"qty\" IS NULL"
        );
        assert_eq!(
            expression("(`where` <> _utf8mb4'x')").unwrap(),
            "\"where\" <> 'x'"
        );
        assert_eq!(
            expression("'it''s a \\\\ here'").unwrap(),
            "'it''s a \\ here'"
        );
        assert!(expression("1 +").is_err());
    }

    #[test]
    fn current_time_functions_are_the_standard_words() {
        for (mysql, standard) in [
            ("CURRENT_TIMESTAMP(6)", Some("CURRENT_TIMESTAMP")),
            ("CURRENT_TIMESTAMP()", Some("CURRENT_TIMESTAMP")),
            ("NOW()", Some("CURRENT_TIMESTAMP")),
            ("CURDATE()", Some("CURRENT_DATE")),
            ("CURTIME(6)", Some("CURRENT_TIME")),
            ("CURRENT_DATE", Some("CURRENT_DATE")),
            ("NOW() + 1", None),
            ("LOWER('X')", None),
        ] {
            assert_eq!(current_time_alias(mysql), standard, "{mysql}");
        }
    }

    #[test]
    fn a_stored_view_reads_as_portable_sql() {
        // Backticks become double quotes; MySQL's backslash escapes become standard
        // literals, where a backslash is an ordinary character and a quote is doubled.
        let raw = r#"SELECT "a" AS `b``c` FROM "t" WHERE 'x\'\\' = 'y'"#;
        let Statement::Query(query) = Parser::parse_sql(&CATALOG, raw).unwrap().remove(0) else {
            panic!("not a query")
        };
        assert_eq!(
            normalize_query(*query),
            r#"SELECT "a" AS "b`c" FROM "t" WHERE 'x''\' = 'y'"#
        );
    }
}
