//! What differs between the databases mb speaks to: quoting, and (in the submodules)
//! how each schema operation is rendered as SQL for that database.

mod literals;
pub use literals::MysqlTokens;
pub mod mysql;
pub mod postgres;
pub mod sqlite;

use crate::ops::Op;
use crate::schema::Schema;

/// The SQL that performs one schema operation on one database.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    /// Statements to run in order, inside the revision's transaction.
    pub statements: Vec<String>,
    /// The statements rebuild a table (SQLite): run `PRAGMA foreign_keys=OFF` before the
    /// transaction (it has no effect inside one), `PRAGMA foreign_key_check` before the
    /// commit, and restore the previous setting after it.
    pub foreign_keys_off: bool,
    /// Tables that are dropped and created again: their triggers go with them, so read
    /// them (`SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?`)
    /// before the statements and run them again after.
    pub rebuilt_tables: Vec<String>,
}

/// A database family. The same portable revision scripts are rendered for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Sqlite,
    Postgres,
    Mysql,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SQLite",
            Dialect::Postgres => "PostgreSQL",
            Dialect::Mysql => "MySQL",
        }
    }

    /// Whether DDL runs inside a transaction and rolls back with it (MySQL commits each
    /// DDL statement by itself).
    pub fn transactional_ddl(self) -> bool {
        self != Dialect::Mysql
    }

    /// Quotes an identifier so that any name (`user`, `order`, names with quotes,
    /// spaces or semicolons) reaches the database exactly as written.
    pub fn quote_ident(self, name: &str) -> String {
        let q = match self {
            Dialect::Mysql => '`',
            Dialect::Sqlite | Dialect::Postgres => '"',
        };
        let mut out = String::with_capacity(name.len() + 2);
        out.push(q);
        for c in name.chars() {
            if c == q {
                out.push(q);
            }
            out.push(c);
        }
        out.push(q);
        out
    }

    /// Quotes a string literal. MySQL also treats backslash as an escape by default.
    pub fn quote_literal(self, value: &str) -> String {
        let mut out = String::with_capacity(value.len() + 2);
        out.push('\'');
        for c in value.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' if self == Dialect::Mysql => out.push_str("\\\\"),
                _ => out.push(c),
            }
        }
        out.push('\'');
        out
    }

    /// The SQL that performs `op` on this database, given the schema `before` it (which
    /// supplies what the op does not say, such as a rebuilt table's other columns).
    pub fn render(self, op: &Op, before: &Schema) -> crate::Result<Rendered> {
        match self {
            Dialect::Sqlite => sqlite::render(op, before),
            Dialect::Postgres => postgres::render(op, before),
            Dialect::Mysql => mysql::render(op, before),
        }
    }

    /// [`Dialect::render`] against `schema`, then `op` applied to it (MySQL does both in
    /// one pass; see [`mysql::render_applying`]). After an error `schema` may or may not
    /// have the op applied: it is for a plan that stops there.
    pub fn render_applying(self, op: &Op, schema: &mut Schema) -> crate::Result<Rendered> {
        match self {
            Dialect::Mysql => mysql::render_applying(op, schema),
            Dialect::Sqlite | Dialect::Postgres => {
                let rendered = self.render(op, schema)?;
                op.apply(schema)?;
                Ok(rendered)
            }
        }
    }

    /// The sqlparser dialect that splits a revision (portable SQL) to run on this
    /// database: its comments, quoted names and bodies as this database reads them, and
    /// standard string literals everywhere, where a backslash is an ordinary character
    /// (MySQL's `\'` would let a literal's text end it early and run as SQL).
    pub fn parser_dialect(self) -> Box<dyn sqlparser::dialect::Dialect> {
        match self {
            Dialect::Sqlite => Box::new(sqlparser::dialect::SQLiteDialect {}),
            Dialect::Postgres => Box::new(sqlparser::dialect::PostgreSqlDialect {}),
            Dialect::Mysql => Box::new(literals::MYSQL_PORTABLE),
        }
    }

    /// A statement mb runs as written (data changes, triggers, functions) as this
    /// database must receive it to read the portable text's literals unchanged: on
    /// MySQL, where a backslash escapes, each backslash inside a string literal is
    /// doubled; elsewhere the text as it is.
    pub fn verbatim(self, portable: &str) -> std::borrow::Cow<'_, str> {
        match self {
            Dialect::Mysql => literals::backslashes_doubled(portable),
            Dialect::Sqlite | Dialect::Postgres => std::borrow::Cow::Borrowed(portable),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_with_embedded_quotes_doubled() {
        assert_eq!(Dialect::Sqlite.quote_ident("user"), "\"user\"");
        assert_eq!(Dialect::Postgres.quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Mysql.quote_ident("a`b"), "`a``b`");
        assert_eq!(Dialect::Mysql.quote_ident("a\"b"), "`a\"b`");
    }

    #[test]
    fn literals_escape_quotes_and_mysql_backslashes() {
        assert_eq!(Dialect::Sqlite.quote_literal("it's"), "'it''s'");
        assert_eq!(Dialect::Sqlite.quote_literal("a\\b"), "'a\\b'");
        assert_eq!(Dialect::Mysql.quote_literal("a\\b'"), "'a\\\\b'''");
    }
}
