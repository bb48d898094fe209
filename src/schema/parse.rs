//! SQL to the schema model: `schema.sql` files, and the conversions from sqlparser's
//! syntax tree that revision scripts and introspection share.
//!
//! What mb understands is converted; anything else (an unsupported statement, column
//! option, table option or index option) is an error that says where it is and what to
//! do — nothing is dropped silently.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::path::Path;

use sqlparser::ast::{
    CheckConstraint, ColumnDef, ColumnOption, CreateIndex, CreateTable, CreateTableOptions,
    CreateView, DataType, ExactNumberInfo, Expr, ForeignKeyConstraint, Ident, IndexColumn,
    KeyOrIndexDisplay, NullsDistinctOption, ObjectName, OrderBySort, PrimaryKeyConstraint,
    ReferentialAction, Spanned, Statement, TableConstraint, TimezoneInfo, UniqueConstraint, Value,
    ValueWithSpan, Visit, Visitor, helpers::stmt_create_table::CreateTableBuilder,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::ParserError;
use sqlparser::tokenizer::{Location, Token};

use super::declaration::{self, Declaration, Declared};
use super::expr::{ident_name, normalize_expr, normalize_query, object_name};
use super::{
    Check, Column, ColumnType, Constraint, FkAction, ForeignKey, Index, IndexKey, IndexPart,
    PrimaryKey, Schema, Table, View, naming, quoted,
};
use crate::{Error, Result};

/// Something mb cannot take from the SQL, and where it is. `message` says what is wrong
/// and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: Location,
    pub message: String,
}

impl Problem {
    pub(crate) fn new(at: Location, message: impl Into<String>) -> Self {
        Problem {
            at,
            message: message.into(),
        }
    }
}

/// Parses a `schema.sql` file: `CREATE TABLE`, `CREATE [UNIQUE] INDEX` and `CREATE VIEW`
/// statements, in any order. Errors read `<file>:<line>:<column>: <what> — <how to fix>`.
pub fn parse_schema_sql(text: &str, file: &Path) -> Result<Schema> {
    parse_declaration(text, file).map(|declaration| declaration.schema)
}

/// Parses a `schema.sql` file like [`parse_schema_sql`], keeping where each table and
/// column is declared and the rename hints (see [`super::declaration`]).
pub fn parse_declaration(text: &str, file: &Path) -> Result<Declaration> {
    // Read like a revision file: a byte order mark (some Windows editors start UTF-8
    // files with one) is no SQL, and line endings are LF, also inside a literal, so a
    // string declared over several lines is the one the revision written from it holds.
    let normalized;
    let text = if text.starts_with('\u{feff}') || text.contains('\r') {
        normalized = crate::text::normalize_line_endings(text);
        normalized.as_str()
    } else {
        text
    };
    let located = |at: Location, message: &str| {
        Error::schema(format!(
            "{}:{}:{}: {message}",
            file.display(),
            at.line,
            at.column
        ))
    };
    let from_problem = |p: Problem| located(p.at, &p.message);
    let from_parser = |e: ParserError| {
        let (at, message) = parser_error_parts(&e);
        located(at, &format!("{message} — fix the SQL syntax"))
    };

    refuse_nul(text).map_err(from_problem)?;
    let hints = declaration::hints(text).map_err(from_problem)?;
    let mut schema = Schema::default();
    let mut declared = Declaration::default();
    let mut table_at = std::collections::BTreeMap::new();
    let mut indexes = Vec::new();
    for (at, statement) in statements_with_locations(text).map_err(from_parser)? {
        refuse_nul_in_literals(&statement).map_err(from_problem)?;
        declared.note_names(&statement, at);
        match statement {
            Statement::CreateTable(create) => {
                let table = table_from_ast(&create).map_err(from_problem)?;
                if schema.relation_exists(&table.name) {
                    return Err(located(at, &already_declared("table", &table.name)));
                }
                table_at.insert(table.name.clone(), at);
                declared.note_lines(&table.name, &create);
                schema.tables.insert(table.name.clone(), table);
            }
            Statement::CreateIndex(create) => {
                indexes.push((at, index_from_ast(&create).map_err(from_problem)?));
            }
            Statement::CreateView(create) => {
                let view = view_from_ast(&create).map_err(from_problem)?;
                if schema.relation_exists(&view.name) {
                    return Err(located(at, &already_declared("view", &view.name)));
                }
                schema.views.insert(view.name.clone(), view);
            }
            other => {
                return Err(located(
                    at,
                    &format!(
                        "unsupported statement `{}` — schema.sql declares tables, indexes and views only; put other SQL in a revision script",
                        statement_head(&other)
                    ),
                ));
            }
        }
    }
    for (at, (table_name, index)) in indexes {
        // Names are unique across the schema, which keeps an index of them.
        if schema.object_name_taken(&index.name) {
            return Err(located(
                at,
                &already_declared("index or constraint", &index.name),
            ));
        }
        let Some(mut table) = schema.tables.remove(&table_name) else {
            return Err(located(
                at,
                &format!(
                    "index {} is on table {}, which is not declared — declare the table or fix the name",
                    quoted(&index.name),
                    quoted(&table_name)
                ),
            ));
        };
        table.indexes.push(index);
        table.normalize();
        schema.tables.insert(table_name, table);
    }
    resolve_and_check(&mut schema)
        .map_err(|(table, message)| located(table_at[&table], &message))?;
    declared.attach(hints).map_err(from_problem)?;
    declared.schema = schema;
    Ok(declared)
}

/// A NUL character is not SQL text; in a literal, PostgreSQL could not store it and the
/// revision written from it would fail only when it runs.
fn refuse_nul(text: &str) -> std::result::Result<(), Problem> {
    let Some(offset) = text.find('\0') else {
        return Ok(());
    };
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let at = Location::new(
        before.matches('\n').count() as u64 + 1,
        before[line_start..].chars().count() as u64 + 1,
    );
    Err(Problem::new(
        at,
        "a NUL character (byte 0) is not SQL text (PostgreSQL cannot store one in a string, so a revision holding it would fail there) — remove it",
    ))
}

/// A literal that spells a NUL character with an escape (`U&'\0000'`).
fn refuse_nul_in_literals(statement: &Statement) -> std::result::Result<(), Problem> {
    let found = visit_values(statement, |value| {
        let text = match &value.value {
            Value::SingleQuotedString(s)
            | Value::EscapedStringLiteral(s)
            | Value::UnicodeStringLiteral(s)
            | Value::NationalStringLiteral(s) => s.as_str(),
            Value::DollarQuotedString(d) => d.value.as_str(),
            _ => "",
        };
        if text.contains('\0') {
            ControlFlow::Break(value.span.start)
        } else {
            ControlFlow::Continue(())
        }
    });
    match found {
        ControlFlow::Break(at) => Err(Problem::new(
            at,
            "this string literal holds a NUL character (code 0), which PostgreSQL cannot store in text — remove it (binary data belongs in a BLOB column)",
        )),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// Calls `f` on each literal value of `statement` until it breaks.
fn visit_values<B>(
    statement: &Statement,
    f: impl FnMut(&ValueWithSpan) -> ControlFlow<B>,
) -> ControlFlow<B> {
    struct Values<F>(F);
    impl<B, F: FnMut(&ValueWithSpan) -> ControlFlow<B>> Visitor for Values<F> {
        type Break = B;
        fn pre_visit_value(&mut self, value: &ValueWithSpan) -> ControlFlow<B> {
            (self.0)(value)
        }
    }
    statement.visit(&mut Values(f))
}

impl Declaration {
    /// Records every name `statement` (which starts at `at`) writes, where it is
    /// first written.
    fn note_names(&mut self, statement: &Statement, at: Location) {
        struct Names<'a>(&'a mut BTreeMap<String, Location>, Location);
        impl Visitor for Names<'_> {
            type Break = ();
            fn pre_visit_ident(&mut self, ident: &Ident) -> ControlFlow<()> {
                let start = ident.span.start;
                let at = if start.line == 0 { self.1 } else { start };
                self.0.entry(ident_name(ident)).or_insert(at);
                ControlFlow::Continue(())
            }
        }
        let _ = statement.visit(&mut Names(&mut self.names, at));
    }

    /// Records the lines that name `table` and start each of its columns.
    fn note_lines(&mut self, table: &str, create: &CreateTable) {
        let declared = |line| Declared {
            line,
            renamed_from: None,
        };
        self.tables
            .insert(table.to_string(), declared(create.name.span().start.line));
        for def in &create.columns {
            self.columns.insert(
                (table.to_string(), ident_name(&def.name)),
                declared(def.name.span.start.line),
            );
        }
    }
}

/// Completes foreign keys that reference a primary key implicitly, then checks every
/// table: own references, schema-wide unique names, foreign-key targets.
/// An error names the table it was found in.
pub fn resolve_and_check(schema: &mut Schema) -> std::result::Result<(), (String, String)> {
    let names: Vec<String> = schema.tables.keys().cloned().collect();
    for name in &names {
        let mut table = schema.tables[name].clone();
        let declared = table.clone();
        for fk in &mut table.foreign_keys {
            schema
                .resolve_foreign_key(&declared, fk)
                .map_err(|e| (name.clone(), e))?;
        }
        schema.tables.insert(name.clone(), table);
    }
    let mut seen = BTreeSet::new();
    for table in schema.tables.values() {
        let fail = |message: String| (table.name.clone(), message);
        table.check_own_references().map_err(fail)?;
        for object in table.object_names() {
            if !seen.insert(object.to_string()) {
                return Err(fail(already_declared("index or constraint", object)));
            }
        }
        for fk in &table.foreign_keys {
            schema.check_foreign_key(table, fk).map_err(fail)?;
        }
    }
    Ok(())
}

fn already_declared(what: &str, name: &str) -> String {
    format!(
        "{what} {} is declared twice — remove one or rename it",
        quoted(name)
    )
}

/// Splits and parses SQL text into statements, each with the location it starts at.
fn statements_with_locations(
    text: &str,
) -> std::result::Result<Vec<(Location, Statement)>, ParserError> {
    let dialect = GenericDialect {};
    let mut parser = crate::nesting::parser(&dialect, text)?;
    let mut statements = Vec::new();
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        let next = parser.peek_token();
        if next.token == Token::EOF {
            return Ok(statements);
        }
        let statement = parser.parse_statement()?;
        statements.push((next.span.start, statement));
        let after = parser.peek_token();
        if !matches!(after.token, Token::SemiColon | Token::EOF) {
            return Err(ParserError::ParserError(format!(
                "Expected: end of statement, found: {} at Line: {}, Column: {}",
                after.token, after.span.start.line, after.span.start.column
            )));
        }
    }
}

/// sqlparser's message without its prefix, and the location it ends with.
pub fn parser_error_parts(error: &ParserError) -> (Location, String) {
    let text = match error {
        ParserError::TokenizerError(s) | ParserError::ParserError(s) => s.clone(),
        ParserError::RecursionLimitExceeded => "the SQL is nested too deeply".to_string(),
    };
    let Some(i) = text.rfind(" at Line: ") else {
        return (Location { line: 1, column: 1 }, text);
    };
    let numbers: Vec<u64> = text[i..]
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers.as_slice() {
        [line, column] => (
            Location {
                line: *line,
                column: *column,
            },
            text[..i].to_string(),
        ),
        _ => (Location { line: 1, column: 1 }, text),
    }
}

/// The first words of a statement, for messages.
fn statement_head(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(3).collect();
    format!("{} …", words.join(" "))
}

/// `CREATE TABLE` to a table. Foreign keys written `REFERENCES t` keep empty
/// `ref_columns` until [`Schema::resolve_foreign_key`] sees the referenced table.
pub fn table_from_ast(create: &CreateTable) -> std::result::Result<Table, Problem> {
    let at = create.name.span().start;
    let name = name_of(&create.name, "table")?;
    let plain = CreateTableBuilder::new(create.name.clone())
        .columns(create.columns.clone())
        .constraints(create.constraints.clone())
        .build();
    if *create != plain {
        return Err(Problem::new(
            at,
            format!(
                "table {} uses a table option mb does not support (TEMPORARY, IF NOT EXISTS, AS SELECT, WITHOUT ROWID, …) — declare it as CREATE TABLE name (columns, constraints)",
                quoted(&name)
            ),
        ));
    }
    let mut table = Table {
        name: name.clone(),
        ..Table::default()
    };
    let mut drafts = Vec::new();
    let mut autoincrement_declared = Vec::new();
    for def in &create.columns {
        let (column, column_drafts, autoincrement) = column_with_constraints(def)?;
        if autoincrement {
            autoincrement_declared.push((def.name.span.start, column.name.clone()));
        }
        drafts.extend(column_drafts);
        table.columns.push(column);
    }
    for constraint in &create.constraints {
        drafts.push(table_constraint(constraint, at)?);
    }
    for constraint in name_drafts(&name, drafts)? {
        if matches!(constraint, Constraint::PrimaryKey(_)) && table.primary_key.is_some() {
            return Err(Problem::new(
                at,
                format!(
                    "table {} declares two primary keys — keep one (a composite key is PRIMARY KEY (a, b))",
                    quoted(&name)
                ),
            ));
        }
        table.add_constraint(constraint);
    }
    for (column_at, column) in autoincrement_declared {
        if !table.column(&column).is_some_and(|c| c.autoincrement) {
            return Err(Problem::new(
                column_at,
                format!(
                    "column {} is AUTOINCREMENT but not a single-column INTEGER or BIGINT primary key — remove AUTOINCREMENT, or make it the primary key",
                    quoted(&column)
                ),
            ));
        }
    }
    Ok(table)
}

/// A constraint as declared, before it is named.
struct Draft {
    at: Location,
    name: Option<String>,
    /// The column a column-level constraint is declared on.
    on_column: Option<String>,
    kind: DraftKind,
}

enum DraftKind {
    PrimaryKey(Vec<String>),
    Unique(Vec<String>),
    ForeignKey {
        columns: Vec<String>,
        ref_table: String,
        ref_columns: Vec<String>,
        on_delete: FkAction,
        on_update: FkAction,
    },
    Check(String),
}

/// Names the unnamed constraints by [`naming`]: declared names are reserved first, then
/// unnamed constraints take conventional names in declaration order.
fn name_drafts(table: &str, drafts: Vec<Draft>) -> std::result::Result<Vec<Constraint>, Problem> {
    let mut taken = BTreeSet::new();
    for draft in &drafts {
        if let Some(name) = &draft.name
            && !taken.insert(name.clone())
        {
            return Err(Problem::new(draft.at, already_declared("constraint", name)));
        }
    }
    let mut columnless_checks = 0;
    let mut constraints = Vec::new();
    for draft in drafts {
        if let DraftKind::Check(expr) = &draft.kind
            && draft.on_column.is_none()
            && super::expr::columns_in(expr).is_empty()
        {
            columnless_checks += 1;
        }
        let name = match draft.name {
            Some(name) => name,
            None => {
                let base = conventional_name(
                    table,
                    draft.on_column.as_deref(),
                    &draft.kind,
                    columnless_checks,
                );
                let name = naming::unique_among(base, &taken);
                taken.insert(name.clone());
                name
            }
        };
        constraints.push(draft_to_constraint(name, draft.kind));
    }
    Ok(constraints)
}

fn conventional_name(
    table: &str,
    on_column: Option<&str>,
    kind: &DraftKind,
    ordinal: usize,
) -> String {
    match kind {
        DraftKind::PrimaryKey(_) => naming::primary_key(table),
        DraftKind::Unique(columns) => naming::unique(table, columns),
        DraftKind::ForeignKey {
            columns, ref_table, ..
        } => naming::foreign_key(table, columns, ref_table),
        DraftKind::Check(expr) => match on_column {
            Some(column) => naming::check(table, &[column.to_string()], ordinal),
            None => naming::check(table, &super::expr::columns_in(expr), ordinal),
        },
    }
}

/// The conventional name a constraint gets when written without one at table level
/// (`ordinal` as in [`naming::check`]); `to_sql` leaves such names out.
pub fn table_level_name(table: &str, constraint: &Constraint, ordinal: usize) -> String {
    let kind = match constraint.clone() {
        Constraint::PrimaryKey(c) => DraftKind::PrimaryKey(c.columns),
        Constraint::Unique(c) => DraftKind::Unique(c.columns),
        Constraint::ForeignKey(c) => DraftKind::ForeignKey {
            columns: c.columns,
            ref_table: c.ref_table,
            ref_columns: c.ref_columns,
            on_delete: c.on_delete,
            on_update: c.on_update,
        },
        Constraint::Check(c) => DraftKind::Check(c.expr),
    };
    conventional_name(table, None, &kind, ordinal)
}

fn draft_to_constraint(name: String, kind: DraftKind) -> Constraint {
    match kind {
        DraftKind::PrimaryKey(columns) => Constraint::PrimaryKey(PrimaryKey { name, columns }),
        DraftKind::Unique(columns) => Constraint::Unique(super::UniqueConstraint { name, columns }),
        DraftKind::ForeignKey {
            columns,
            ref_table,
            ref_columns,
            on_delete,
            on_update,
        } => Constraint::ForeignKey(ForeignKey {
            name,
            columns,
            ref_table,
            ref_columns,
            on_delete,
            on_update,
        }),
        DraftKind::Check(expr) => Constraint::Check(Check { name, expr }),
    }
}

/// A column definition without constraints, as `ALTER TABLE … ADD COLUMN` needs it.
pub fn column_from_ast(def: &ColumnDef) -> std::result::Result<Column, Problem> {
    let (column, drafts, autoincrement) = column_with_constraints(def)?;
    if !drafts.is_empty() || autoincrement {
        return Err(Problem::new(
            def.name.span.start,
            format!(
                "column {} is added with a constraint — add the column alone, then the constraint with ALTER TABLE … ADD CONSTRAINT",
                quoted(&column.name)
            ),
        ));
    }
    Ok(column)
}

/// A table constraint as `ALTER TABLE … ADD [CONSTRAINT name] …` declares it; unnamed
/// ones get the conventional name.
pub fn constraint_from_ast(
    table: &str,
    constraint: &TableConstraint,
) -> std::result::Result<Constraint, Problem> {
    let at = Location { line: 1, column: 1 };
    let mut named = name_drafts(table, vec![table_constraint(constraint, at)?])?;
    Ok(named.remove(0))
}

/// A column, the constraints declared on it, and whether it says AUTOINCREMENT.
fn column_with_constraints(
    def: &ColumnDef,
) -> std::result::Result<(Column, Vec<Draft>, bool), Problem> {
    let at = def.name.span.start;
    let name = ident_name(&def.name);
    let unsupported = |what: String| {
        Problem::new(
            at,
            format!(
                "column {}: {what} is not supported — remove it; mb understands NULL, NOT NULL, DEFAULT, PRIMARY KEY, UNIQUE, REFERENCES, CHECK and AUTOINCREMENT",
                quoted(&name)
            ),
        )
    };
    let mut column = Column {
        name: name.clone(),
        ty: column_type(&def.data_type),
        nullable: true,
        default: None,
        autoincrement: false,
    };
    let mut drafts = Vec::new();
    let mut autoincrement = false;
    let mut nullability_given = false;
    for option in &def.options {
        let constraint_name = option.name.as_ref().map(ident_name);
        let draft = |kind| Draft {
            at,
            name: constraint_name.clone(),
            on_column: Some(name.clone()),
            kind,
        };
        match &option.option {
            ColumnOption::Null | ColumnOption::NotNull if constraint_name.is_none() => {
                if nullability_given {
                    return Err(unsupported("a second NULL / NOT NULL".to_string()));
                }
                nullability_given = true;
                column.nullable = matches!(option.option, ColumnOption::Null);
            }
            ColumnOption::Default(expr) if constraint_name.is_none() => {
                column.default = default_text(expr.clone());
            }
            ColumnOption::PrimaryKey(pk) => {
                plain_primary_key(pk).map_err(|_| unsupported(option.option.to_string()))?;
                drafts.push(draft(DraftKind::PrimaryKey(vec![name.clone()])));
            }
            ColumnOption::Unique(unique) => {
                plain_unique(unique).map_err(|_| unsupported(option.option.to_string()))?;
                drafts.push(draft(DraftKind::Unique(vec![name.clone()])));
            }
            ColumnOption::ForeignKey(fk) => {
                let (ref_table, ref_columns, on_delete, on_update) =
                    plain_foreign_key(fk).map_err(|what| Problem::new(at, what))?;
                drafts.push(draft(DraftKind::ForeignKey {
                    columns: vec![name.clone()],
                    ref_table,
                    ref_columns,
                    on_delete,
                    on_update,
                }));
            }
            ColumnOption::Check(check) => {
                let expr =
                    plain_check(check).map_err(|_| unsupported(option.option.to_string()))?;
                drafts.push(draft(DraftKind::Check(expr)));
            }
            ColumnOption::DialectSpecific(tokens)
                if constraint_name.is_none() && is_autoincrement_keyword(tokens) =>
            {
                autoincrement = true;
            }
            other => return Err(unsupported(format!("`{other}`"))),
        }
    }
    Ok((column, drafts, autoincrement))
}

fn is_autoincrement_keyword(tokens: &[Token]) -> bool {
    matches!(tokens, [Token::Word(w)] if matches!(w.keyword, Keyword::AUTOINCREMENT | Keyword::AUTO_INCREMENT))
}

/// A normalized default; `DEFAULT NULL` is no default.
pub fn default_text(expr: Expr) -> Option<String> {
    Some(normalize_expr(expr)).filter(|text| text != "NULL")
}

fn table_constraint(
    constraint: &TableConstraint,
    fallback: Location,
) -> std::result::Result<Draft, Problem> {
    let span = constraint.span();
    let at = if span.start.line == 0 {
        fallback
    } else {
        span.start
    };
    let unsupported = || {
        Problem::new(
            at,
            format!(
                "constraint `{constraint}` is not supported — mb understands PRIMARY KEY, UNIQUE, FOREIGN KEY and CHECK on plain columns; declare indexes with CREATE INDEX"
            ),
        )
    };
    let draft = |name: &Option<Ident>, kind| Draft {
        at,
        name: name.as_ref().map(ident_name),
        on_column: None,
        kind,
    };
    match constraint {
        TableConstraint::PrimaryKey(pk) => {
            let columns = plain_primary_key(pk).map_err(|_| unsupported())?;
            Ok(draft(&pk.name, DraftKind::PrimaryKey(columns)))
        }
        TableConstraint::Unique(unique) => {
            let columns = plain_unique(unique).map_err(|_| unsupported())?;
            Ok(draft(&unique.name, DraftKind::Unique(columns)))
        }
        TableConstraint::ForeignKey(fk) => {
            let (ref_table, ref_columns, on_delete, on_update) =
                plain_foreign_key(fk).map_err(|what| Problem::new(at, what))?;
            Ok(draft(
                &fk.name,
                DraftKind::ForeignKey {
                    columns: fk.columns.iter().map(ident_name).collect(),
                    ref_table,
                    ref_columns,
                    on_delete,
                    on_update,
                },
            ))
        }
        TableConstraint::Check(check) => {
            let expr = plain_check(check).map_err(|_| unsupported())?;
            Ok(draft(&check.name, DraftKind::Check(expr)))
        }
        _ => Err(unsupported()),
    }
}

/// The columns of a PRIMARY KEY without index options; `Err` if it has any.
fn plain_primary_key(pk: &PrimaryKeyConstraint) -> std::result::Result<Vec<String>, ()> {
    let plain = PrimaryKeyConstraint {
        name: pk.name.clone(),
        columns: pk.columns.clone(),
        index_name: None,
        index_type: None,
        include: vec![],
        index_options: vec![],
        characteristics: None,
    };
    if *pk != plain {
        return Err(());
    }
    pk.columns.iter().map(plain_column).collect()
}

fn plain_unique(unique: &UniqueConstraint) -> std::result::Result<Vec<String>, ()> {
    let plain = UniqueConstraint {
        name: unique.name.clone(),
        columns: unique.columns.clone(),
        index_name: None,
        index_type_display: KeyOrIndexDisplay::None,
        index_type: None,
        include: vec![],
        index_options: vec![],
        characteristics: None,
        nulls_distinct: NullsDistinctOption::None,
    };
    if *unique != plain {
        return Err(());
    }
    unique.columns.iter().map(plain_column).collect()
}

/// A key column written as a bare name (no ordering, operator class or expression).
fn plain_column(column: &IndexColumn) -> std::result::Result<String, ()> {
    match (
        &column.column.expr,
        &column.column.options.sort,
        column.column.options.nulls_first,
    ) {
        (Expr::Identifier(ident), None, None)
            if column.operator_class.is_none() && column.column.with_fill.is_none() =>
        {
            Ok(ident_name(ident))
        }
        _ => Err(()),
    }
}

type ForeignKeyTarget = (String, Vec<String>, FkAction, FkAction);

fn plain_foreign_key(fk: &ForeignKeyConstraint) -> std::result::Result<ForeignKeyTarget, String> {
    let plain = ForeignKeyConstraint {
        name: fk.name.clone(),
        columns: fk.columns.clone(),
        foreign_table: fk.foreign_table.clone(),
        referred_columns: fk.referred_columns.clone(),
        on_delete: fk.on_delete,
        on_update: fk.on_update,
        index_name: None,
        match_kind: None,
        characteristics: None,
    };
    if *fk != plain {
        return Err(format!(
            "foreign key `{fk}` uses MATCH, DEFERRABLE or an index name, which mb does not support — remove them"
        ));
    }
    let ref_table = name_of(&fk.foreign_table, "table").map_err(|p| p.message)?;
    Ok((
        ref_table,
        fk.referred_columns.iter().map(ident_name).collect(),
        fk_action(fk.on_delete),
        fk_action(fk.on_update),
    ))
}

fn fk_action(action: Option<ReferentialAction>) -> FkAction {
    match action {
        None | Some(ReferentialAction::NoAction) => FkAction::NoAction,
        Some(ReferentialAction::Restrict) => FkAction::Restrict,
        Some(ReferentialAction::Cascade) => FkAction::Cascade,
        Some(ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ReferentialAction::SetDefault) => FkAction::SetDefault,
    }
}

fn plain_check(check: &CheckConstraint) -> std::result::Result<String, ()> {
    if check.no_inherit || check.enforced.is_some() {
        return Err(());
    }
    Ok(normalize_expr((*check.expr).clone()))
}

/// `CREATE INDEX` to the table it is on and the index.
pub fn index_from_ast(create: &CreateIndex) -> std::result::Result<(String, Index), Problem> {
    let at = create.table_name.span().start;
    let table = name_of(&create.table_name, "table")?;
    let plain = CreateIndex {
        name: create.name.clone(),
        table_name: create.table_name.clone(),
        columns: create.columns.clone(),
        unique: create.unique,
        predicate: create.predicate.clone(),
        using: None,
        concurrently: false,
        r#async: false,
        if_not_exists: false,
        include: vec![],
        nulls_distinct: None,
        with: vec![],
        index_options: vec![],
        alter_options: vec![],
    };
    if *create != plain {
        return Err(Problem::new(
            at,
            format!(
                "index on {} uses an option mb does not support (USING, CONCURRENTLY, IF NOT EXISTS, INCLUDE, WITH, …) — declare it as CREATE [UNIQUE] INDEX name ON table (parts) [WHERE condition]",
                quoted(&table)
            ),
        ));
    }
    let mut parts = Vec::new();
    for column in &create.columns {
        let options = &column.column.options;
        let descending = match options.sort {
            None | Some(OrderBySort::Asc) => false,
            Some(OrderBySort::Desc) => true,
            Some(OrderBySort::Using(_)) => return Err(index_part_problem(at, column)),
        };
        if options.nulls_first.is_some()
            || column.operator_class.is_some()
            || column.column.with_fill.is_some()
        {
            return Err(index_part_problem(at, column));
        }
        let mut expr = &column.column.expr;
        while let Expr::Nested(inner) = expr {
            expr = inner;
        }
        let key = match expr {
            Expr::Identifier(ident) => IndexKey::Column(ident_name(ident)),
            expr => IndexKey::Expr(normalize_expr(expr.clone())),
        };
        parts.push(IndexPart { key, descending });
    }
    let name = match &create.name {
        Some(name) => name_of(name, "index")?,
        None => naming::index(&table, &parts),
    };
    let where_clause = create.predicate.clone().map(normalize_expr);
    Ok((
        table,
        Index {
            name,
            parts,
            unique: create.unique,
            where_clause,
        },
    ))
}

fn index_part_problem(at: Location, column: &IndexColumn) -> Problem {
    Problem::new(
        at,
        format!(
            "index part `{column}` uses NULLS FIRST/LAST, USING or an operator class, which mb does not support — use a column or expression with ASC or DESC"
        ),
    )
}

/// `CREATE VIEW` to a view.
pub fn view_from_ast(create: &CreateView) -> std::result::Result<View, Problem> {
    let at = create.name.span().start;
    let name = name_of(&create.name, "view")?;
    let plain = !create.or_alter
        && !create.or_replace
        && !create.materialized
        && !create.secure
        && create.columns.is_empty()
        && create.options == CreateTableOptions::None
        && create.cluster_by.is_empty()
        && create.comment.is_none()
        && !create.with_no_schema_binding
        && !create.if_not_exists
        && !create.temporary
        && !create.copy_grants
        && create.to.is_none()
        && create.params.is_none();
    if !plain {
        return Err(Problem::new(
            at,
            format!(
                "view {} uses an option mb does not support (OR REPLACE, MATERIALIZED, TEMPORARY, a column list, …) — declare it as CREATE VIEW name AS SELECT …, naming columns with AS",
                quoted(&name)
            ),
        ));
    }
    Ok(View {
        name,
        definition: normalize_query((*create.query).clone()),
    })
}

/// A one-part object name; schema-qualified names are an error.
fn name_of(name: &ObjectName, what: &str) -> std::result::Result<String, Problem> {
    object_name(name).ok_or_else(|| {
        Problem::new(name.span().start, format!(
            "{what} name `{name}` is qualified — mb manages the connection's default schema; use a plain name"
        ))
    })
}

/// The normalized type for a declared SQL type.
pub fn column_type(data_type: &DataType) -> ColumnType {
    let precision = |info: &ExactNumberInfo| match info {
        ExactNumberInfo::None => Some(None),
        ExactNumberInfo::Precision(p) => u32::try_from(*p).ok().map(|p| Some((p, 0))),
        ExactNumberInfo::PrecisionAndScale(p, s) => match (u32::try_from(*p), u32::try_from(*s)) {
            (Ok(p), Ok(s)) => Some(Some((p, s))),
            _ => None,
        },
    };
    let normalized = match data_type {
        DataType::SmallInt(_) | DataType::Int2(_) => Some(ColumnType::SmallInt),
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => Some(ColumnType::Integer),
        DataType::BigInt(_) | DataType::Int8(_) => Some(ColumnType::BigInt),
        DataType::Varchar(length)
        | DataType::CharacterVarying(length)
        | DataType::CharVarying(length) => match length {
            None => Some(ColumnType::Varchar(None)),
            Some(sqlparser::ast::CharacterLength::IntegerLength { length, unit: None }) => {
                u32::try_from(*length)
                    .ok()
                    .map(|n| ColumnType::Varchar(Some(n)))
            }
            Some(_) => None,
        },
        DataType::Text => Some(ColumnType::Text),
        DataType::Boolean | DataType::Bool => Some(ColumnType::Boolean),
        DataType::Real | DataType::Float4 => Some(ColumnType::Real),
        DataType::DoublePrecision | DataType::Float8 | DataType::Double(ExactNumberInfo::None) => {
            Some(ColumnType::Double)
        }
        DataType::Float(ExactNumberInfo::None) => Some(ColumnType::Double),
        DataType::Float(ExactNumberInfo::Precision(p)) => Some(if *p <= 24 {
            ColumnType::Real
        } else {
            ColumnType::Double
        }),
        DataType::Numeric(info) | DataType::Decimal(info) | DataType::Dec(info) => {
            precision(info).map(ColumnType::Numeric)
        }
        DataType::Date => Some(ColumnType::Date),
        DataType::Time(None, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            Some(ColumnType::Time)
        }
        DataType::Timestamp(None, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            Some(ColumnType::Timestamp)
        }
        DataType::Timestamp(None, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => {
            Some(ColumnType::TimestampTz)
        }
        DataType::Blob(None) | DataType::Bytea => Some(ColumnType::Blob),
        DataType::JSON => Some(ColumnType::Json),
        DataType::Uuid => Some(ColumnType::Uuid),
        _ => None,
    };
    normalized.unwrap_or_else(|| {
        let text = data_type.to_string();
        // Quoted type names are case-sensitive; others are not.
        ColumnType::Other(if text.contains('"') {
            text
        } else {
            upper_case_outside_strings(&text)
        })
    })
}

/// `text` in upper case, except its string literals (the values of `ENUM('a', 'b')`).
fn upper_case_outside_strings(text: &str) -> String {
    let mut in_string = false;
    text.chars()
        .flat_map(|c| {
            if c == '\'' {
                in_string = !in_string;
            }
            let upper: Vec<char> = if in_string {
                vec![c]
            } else {
                c.to_uppercase().collect()
            };
            upper
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Schema> {
        parse_schema_sql(text, Path::new("schema.sql"))
    }

    fn table(text: &str) -> Table {
        parse(text).unwrap().tables.values().next().unwrap().clone()
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().message
    }

    #[test]
    fn a_full_table_is_understood() {
        let t = table(
            r#"-- the posts
            CREATE TABLE "post" (
                id integer primary key,
                "body" VARCHAR(140) NOT NULL DEFAULT (''),
                ts TIMESTAMP DEFAULT current_timestamp,
                price numeric(10,2) CHECK (price > 0),
                user_id INTEGER REFERENCES post ON DELETE CASCADE,
                UNIQUE (body, ts)
            );"#,
        );
        assert_eq!(t.name, "post");
        let id = t.column("id").unwrap();
        assert!(id.autoincrement && !id.nullable);
        let body = t.column("body").unwrap();
        assert_eq!(
            (body.ty.clone(), body.nullable, body.default.as_deref()),
            (ColumnType::Varchar(Some(140)), false, Some("''"))
        );
        assert_eq!(
            t.column("ts").unwrap().default.as_deref(),
            Some("CURRENT_TIMESTAMP")
        );
        assert_eq!(t.primary_key.as_ref().unwrap().name, "pk_post");
        assert_eq!(t.uniques[0].name, "uq_post_body_ts");
        assert_eq!(
            t.checks[0],
            Check {
                name: "ck_post_price".into(),
                expr: "\"price\" > 0".into()
            }
        );
        let fk = &t.foreign_keys[0];
        assert_eq!(
            (fk.name.as_str(), fk.ref_columns.clone(), fk.on_delete),
            (
                "fk_post_user_id_post",
                vec!["id".to_string()],
                FkAction::Cascade
            )
        );
    }

    #[test]
    fn type_spellings_are_normalized() {
        let t = table(
            "CREATE TABLE t (a INT, b int8, c CHARACTER VARYING(5), d DECIMAL(8), e FLOAT, f TIMESTAMPTZ, g bytea, h jsonb, i inet, j DOUBLE PRECISION, k TIMESTAMP WITH TIME ZONE)",
        );
        let types: Vec<String> = t.columns.iter().map(|c| c.ty.to_string()).collect();
        assert_eq!(
            types,
            [
                "INTEGER",
                "BIGINT",
                "VARCHAR(5)",
                "NUMERIC(8, 0)",
                "DOUBLE PRECISION",
                "TIMESTAMP WITH TIME ZONE",
                "BLOB",
                "JSONB",
                "INET",
                "DOUBLE PRECISION",
                "TIMESTAMP WITH TIME ZONE"
            ]
        );
        let t = table("CREATE TABLE t (a enum('Mr', 'it''s'), b set('x'))");
        let types: Vec<String> = t.columns.iter().map(|c| c.ty.to_string()).collect();
        assert_eq!(types, ["ENUM('Mr', 'it''s')", "SET('x')"]);
    }

    #[test]
    fn every_portable_type_parses_back_from_its_spelling() {
        use ColumnType::*;
        for ty in [
            SmallInt,
            Integer,
            BigInt,
            Varchar(None),
            Varchar(Some(20)),
            Text,
            Boolean,
            Real,
            Double,
            Numeric(None),
            Numeric(Some((10, 2))),
            Date,
            Time,
            Timestamp,
            TimestampTz,
            Blob,
            Json,
            Uuid,
            Other("JSONB".into()),
        ] {
            let t = table(&format!("CREATE TABLE t (c {ty})"));
            assert_eq!(t.columns[0].ty, ty);
        }
    }

    #[test]
    fn unquoted_names_fold_and_quoted_names_are_kept() {
        let schema =
            parse(r#"CREATE TABLE Post (Id INT); CREATE TABLE "Post" ("Id" INT)"#).unwrap();
        assert_eq!(schema.tables.keys().collect::<Vec<_>>(), ["Post", "post"]);
        assert_eq!(schema.tables["post"].columns[0].name, "id");
        assert_eq!(schema.tables["Post"].columns[0].name, "Id");
    }

    #[test]
    fn spelling_variants_give_equal_schemas() {
        let a = parse("CREATE TABLE t (a TEXT DEFAULT 'x', b INT CHECK (b > 0), PRIMARY KEY (a));")
            .unwrap();
        let b = parse(
            r#"create table "t" ("b" integer, "a" text default ('x') primary key, check ((B>0)))"#,
        )
        .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn indexes_and_views_are_attached() {
        let schema = parse(
            r#"CREATE VIEW v AS SELECT a FROM t WHERE a > 1;
            CREATE UNIQUE INDEX ix_a ON t (lower(a) DESC, b) WHERE b IS NOT NULL;
            CREATE INDEX ON t (b);
            CREATE TABLE t (a TEXT, b INT);"#,
        )
        .unwrap();
        let t = &schema.tables["t"];
        assert_eq!(t.indexes.len(), 2);
        let ix = t.index("ix_a").unwrap();
        assert!(ix.unique && ix.parts[0].descending);
        assert_eq!(ix.parts[0].key, IndexKey::Expr("LOWER(\"a\")".into()));
        assert_eq!(ix.where_clause.as_deref(), Some("\"b\" IS NOT NULL"));
        assert!(t.index("ix_t_b").is_some());
        assert_eq!(
            schema.views["v"].definition,
            "SELECT \"a\" FROM \"t\" WHERE \"a\" > 1"
        );
    }

    #[test]
    fn unnamed_checks_are_named_by_their_columns_or_position() {
        let t = table(
            "CREATE TABLE t (a INT CHECK (a > 0), b INT, CHECK (a < b), CHECK (1 = 1), CHECK (a <> 5), CHECK (2 = 2))",
        );
        let names: Vec<&str> = t.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["ck_t_1", "ck_t_2", "ck_t_a", "ck_t_a_2", "ck_t_a_b"]
        );
    }

    #[test]
    fn errors_point_at_line_and_column() {
        assert_eq!(
            error("CREATE TABLE t (a INT);\n  INSERT INTO t VALUES (1);"),
            "schema.sql:2:3: unsupported statement `INSERT INTO t …` — schema.sql declares tables, indexes and views only; put other SQL in a revision script"
        );
        let syntax = error("CREATE TABLE t (a INT,\n b INT NOT NUL);");
        assert!(syntax.starts_with("schema.sql:2:"), "{syntax}");
        assert!(
            error("CREATE TABLE t (a TEXT COLLATE nocase)")
                .starts_with("schema.sql:1:17: column \"a\": `COLLATE nocase` is not supported")
        );
        assert!(error("CREATE TEMP TABLE t (a INT)").contains("table option"));
        assert!(error("CREATE TABLE t (a INT); CREATE TABLE t (b INT)").contains("declared twice"));
        assert!(
            error("CREATE INDEX i ON t USING gin (a); CREATE TABLE t (a INT)").contains("USING")
        );
        assert!(error("CREATE TABLE t (a INT REFERENCES u)").contains("does not exist"));
        assert!(error("CREATE TABLE u (id INT, x INT PRIMARY KEY); CREATE TABLE t (a INT REFERENCES u (id))").contains("not a primary key or unique"));
        assert!(error("CREATE TABLE t (a INT, UNIQUE (b))").contains("does not have"));
        assert!(error("CREATE TABLE t (a TEXT AUTOINCREMENT)").contains("AUTOINCREMENT"));
        assert!(error("CREATE TABLE s.t (a INT)").contains("qualified"));
        assert!(error("CREATE TABLE t (a INT, PRIMARY KEY (a DESC))").contains("not supported"));
        assert!(error("CREATE TABLE t (a INT) x").contains("end of statement"));
    }

    #[test]
    fn a_nul_spelt_with_an_escape_is_refused_where_it_is() {
        // (sqlparser itself refuses `E'\0'`.)
        let text = r"CREATE TABLE t (s TEXT DEFAULT U&'a\0000b')";
        let error = parse_schema_sql(text, Path::new("schema.sql")).unwrap_err();
        assert!(
            error
                .message
                .starts_with("schema.sql:1:32: this string literal holds a NUL"),
            "{}",
            error.message
        );
    }

    #[test]
    fn autoincrement_is_derived_and_the_keyword_accepted() {
        let t = table("CREATE TABLE t (id BIGINT PRIMARY KEY AUTOINCREMENT, b INT)");
        assert!(t.columns[0].autoincrement);
        let t = table("CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, b))");
        assert!(t.columns.iter().all(|c| !c.autoincrement && !c.nullable));
        let t = table("CREATE TABLE t (a TEXT PRIMARY KEY)");
        assert!(!t.columns[0].autoincrement);
    }
}
