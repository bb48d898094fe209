//! Canonical text for SQL expressions and view queries, so that equal SQL compares equal.
//!
//! An expression is parsed with sqlparser and printed back after three rewrites:
//! unquoted column names are folded to lower case and double-quoted (`Price` and
//! `"price"` are one column), unquoted function names are upper-cased
//! (`current_timestamp` is `CURRENT_TIMESTAMP`), and parentheses around a single value
//! or around the whole expression are dropped (`('a')` is `'a'`). sqlparser prints
//! keywords in upper case and spaces tokens one way, which does the rest. Printing the
//! canonical text and normalizing it again gives the same text.
//!
//! String literals and quoted names are written by mb, never by sqlparser's printer:
//! that printer leaves a quote after a backslash undoubled and copies two quotes in a
//! row as they are, so `'x\''` would come out as `'x\'` and end the literal early. Portable
//! SQL has standard literals: a quote is doubled, a backslash is an ordinary character.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArguments, Ident, ObjectName, ObjectNamePart, Query, UnaryOperator, Value,
    ValueWithSpan, VisitMut, VisitorMut, visit_expressions, visit_expressions_mut, visit_relations,
    visit_relations_mut,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::Token;

use crate::dialect::Dialect;

/// Portable SQL quotes as the SQL standard does, as PostgreSQL and SQLite read it.
const PORTABLE: Dialect = Dialect::Postgres;

/// The name an identifier denotes: quoted names exactly, unquoted ones in lower case.
pub fn ident_name(ident: &Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

/// The name of a table, view or index; `None` for a schema-qualified name, which mb
/// does not support (objects live in the connection's default schema).
pub fn object_name(name: &ObjectName) -> Option<String> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => Some(ident_name(ident)),
        _ => None,
    }
}

/// Canonical text of a parsed expression.
pub fn normalize_expr(mut expr: Expr) -> String {
    let _ = visit_expressions_mut(&mut expr, |e| {
        canonicalize(e);
        ControlFlow::<()>::Continue(())
    });
    while let Expr::Nested(inner) = expr {
        expr = *inner;
    }
    portable_text(expr)
}

/// Canonical text of a view's query.
pub fn normalize_query(mut query: Query) -> String {
    let _ = visit_expressions_mut(&mut query, |e| {
        canonicalize(e);
        ControlFlow::<()>::Continue(())
    });
    let _ = visit_relations_mut(&mut query, |name| {
        for part in &mut name.0 {
            if let ObjectNamePart::Identifier(ident) = part {
                quote_folded(ident);
            }
        }
        ControlFlow::<()>::Continue(())
    });
    portable_text(query)
}

/// The portable SQL text of a parsed node, with every string literal and quoted name
/// written by [`Dialect::quote_literal`] and [`Dialect::quote_ident`] rather than by
/// sqlparser (see the module's comment). The node is spent: its literals become
/// pre-written text.
fn portable_text<T: VisitMut + std::fmt::Display>(mut node: T) -> String {
    let _ = node.visit(&mut PortableQuoting);
    node.to_string()
}

/// Replaces string literals and quoted names by their portable spelling, which
/// sqlparser then prints as it is.
struct PortableQuoting;

impl VisitorMut for PortableQuoting {
    type Break = ();

    fn post_visit_value(&mut self, value: &mut ValueWithSpan) -> ControlFlow<()> {
        let written = match &value.value {
            Value::SingleQuotedString(s) => PORTABLE.quote_literal(s),
            Value::NationalStringLiteral(s) => format!("N{}", PORTABLE.quote_literal(s)),
            _ => return ControlFlow::Continue(()),
        };
        value.value = Value::Placeholder(written);
        ControlFlow::Continue(())
    }

    fn post_visit_ident(&mut self, ident: &mut Ident) -> ControlFlow<()> {
        // `[name]` (SQL Server) has no escape to get wrong; `"` and `` ` `` both become
        // the standard double quotes.
        if matches!(ident.quote_style, Some('"' | '`')) {
            ident.value = PORTABLE.quote_ident(&ident.value);
            ident.quote_style = None;
        }
        ControlFlow::Continue(())
    }
}

fn canonicalize(expr: &mut Expr) {
    match expr {
        Expr::Identifier(ident) => quote_folded(ident),
        Expr::CompoundIdentifier(idents) => idents.iter_mut().for_each(quote_folded),
        Expr::Function(function) => {
            for part in &mut function.name.0 {
                if let ObjectNamePart::Identifier(ident) = part
                    && ident.quote_style.is_none()
                {
                    ident.value = ident.value.to_uppercase();
                }
            }
        }
        Expr::Nested(inner) if is_single_value(inner) => {
            let inner = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
            *expr = inner;
        }
        _ => {}
    }
}

/// Expressions whose parentheses never change the meaning.
fn is_single_value(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Identifier(_)
            | Expr::CompoundIdentifier(_)
            | Expr::Value(_)
            | Expr::Function(_)
            | Expr::Nested(_)
            | Expr::Cast { .. }
    )
}

fn quote_folded(ident: &mut Ident) {
    ident.value = ident_name(ident);
    ident.quote_style = Some('"');
}

/// Parses one expression written in portable SQL.
pub fn parse_expr(text: &str) -> Result<Expr, String> {
    let dialect = GenericDialect {};
    let mut parser = crate::nesting::parser(&dialect, text).map_err(|e| e.to_string())?;
    let expr = parser.parse_expr().map_err(|e| e.to_string())?;
    match parser.peek_token().token {
        Token::EOF => Ok(expr),
        other => Err(format!("unexpected {other} after the expression")),
    }
}

/// The columns an expression names, in order of first appearance. Canonical text always
/// parses; anything else yields no columns.
pub fn columns_in(text: &str) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    if let Ok(expr) = parse_expr(text) {
        let _ = visit_expressions(&expr, |e| {
            let name = match e {
                Expr::Identifier(ident) => Some(ident_name(ident)),
                Expr::CompoundIdentifier(idents) => idents.last().map(ident_name),
                _ => None,
            };
            if let Some(name) = name
                && !columns.contains(&name)
            {
                columns.push(name);
            }
            ControlFlow::<()>::Continue(())
        });
    }
    columns
}

/// The expression with every reference to column `from` renamed to `to`.
pub fn rename_column_in(text: &str, from: &str, to: &str) -> String {
    let Ok(mut expr) = parse_expr(text) else {
        return text.to_string();
    };
    let _ = visit_expressions_mut(&mut expr, |e| {
        let ident = match e {
            Expr::Identifier(ident) => Some(ident),
            Expr::CompoundIdentifier(idents) => idents.last_mut(),
            _ => None,
        };
        if let Some(ident) = ident
            && ident_name(ident) == from
        {
            *ident = Ident::with_quote('"', to);
        }
        ControlFlow::<()>::Continue(())
    });
    normalize_expr(expr)
}

/// The tables and views a canonical query reads (CTE names included, harmlessly).
pub fn relations_in_query(definition: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let parsed = crate::nesting::parser(&GenericDialect {}, definition)
        .and_then(|mut parser| parser.parse_statements());
    if let Ok(statements) = parsed {
        let _ = visit_relations(&statements, |name: &ObjectName| {
            if let Some(ObjectNamePart::Identifier(ident)) = name.0.last() {
                names.insert(ident_name(ident));
            }
            ControlFlow::<()>::Continue(())
        });
    }
    names
}

/// How a default value is written, which decides how databases accept it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultKind {
    /// A number, string, boolean, NULL or blob literal, possibly signed.
    Literal,
    /// `CURRENT_TIMESTAMP`, `CURRENT_DATE` or `CURRENT_TIME`.
    CurrentTime,
    /// Anything else, which SQLite only accepts in parentheses.
    Expression,
}

pub fn default_kind(text: &str) -> DefaultKind {
    match parse_expr(text) {
        Ok(Expr::Value(_)) => DefaultKind::Literal,
        Ok(Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        }) if matches!(*expr, Expr::Value(_)) => DefaultKind::Literal,
        Ok(Expr::Function(f))
            if matches!(f.args, FunctionArguments::None)
                && ["CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"]
                    .contains(&f.name.to_string().as_str()) =>
        {
            DefaultKind::CurrentTime
        }
        _ => DefaultKind::Expression,
    }
}

/// A default as written after `DEFAULT`: literals bare, expressions in parentheses (which
/// every database accepts, and SQLite requires).
pub fn default_sql(text: &str) -> String {
    match default_kind(text) {
        DefaultKind::Literal | DefaultKind::CurrentTime => text.to_string(),
        DefaultKind::Expression => format!("({text})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::parser::Parser;

    fn norm(text: &str) -> String {
        normalize_expr(parse_expr(text).unwrap())
    }

    #[test]
    fn spelling_variants_of_one_expression_are_equal() {
        assert_eq!(norm("'a'"), norm("('a')"));
        assert_eq!(norm("CURRENT_TIMESTAMP"), norm("current_timestamp"));
        assert_eq!(norm("price>0"), norm("(\"price\" > 0)"));
        assert_eq!(norm("Price > 0"), "\"price\" > 0");
        assert_eq!(norm("lower(Name)"), "LOWER(\"name\")");
        assert_eq!(norm("a in (1,2)"), "\"a\" IN (1, 2)");
    }

    #[test]
    fn different_expressions_stay_different() {
        assert_ne!(norm("\"Price\" > 0"), norm("price > 0"));
        assert_ne!(norm("(a + b) * c"), norm("a + b * c"));
        assert_ne!(norm("'A'"), norm("'a'"));
    }

    #[test]
    fn canonical_text_is_a_fixed_point() {
        for text in [
            "(1 + 2)",
            "-1",
            "'it''s'",
            "CASE WHEN a > 1 THEN 'x' ELSE NULL END",
            "CAST(a AS VARCHAR(10))",
            "a IS NOT NULL AND (b < 3 OR c LIKE 'x%')",
            "\"we\"\"ird col\" BETWEEN 1 AND 2",
            "x'00ff'",
            "TRUE",
        ] {
            let once = norm(text);
            assert_eq!(norm(&once), once, "{text}");
        }
    }

    #[test]
    fn literals_and_names_are_written_with_standard_quoting() {
        for text in [
            r"'x\''; DELETE FROM t; --'",
            "'a''''b'",
            r"'\'",
            r#""a\""b" = N'\'''"#,
        ] {
            assert_eq!(norm(text), text);
        }
        let query = |sql: &str| match Parser::parse_sql(&GenericDialect {}, sql)
            .unwrap()
            .remove(0)
        {
            sqlparser::ast::Statement::Query(q) => normalize_query(*q),
            _ => unreachable!(),
        };
        assert_eq!(
            query(r#"SELECT 'x\'';' AS `c\"` FROM t"#),
            r#"SELECT 'x\'';' AS "c\""" FROM "t""#
        );
    }

    #[test]
    fn columns_are_listed_once_in_order_of_appearance() {
        assert_eq!(columns_in("b > a AND lower(b) <> c.a"), ["b", "a"]);
        assert!(columns_in("1 = 1").is_empty());
    }

    #[test]
    fn renaming_a_column_keeps_other_names() {
        assert_eq!(
            rename_column_in("\"a\" > \"ab\"", "a", "z"),
            "\"z\" > \"ab\""
        );
    }

    #[test]
    fn defaults_are_classified_as_sqlite_needs() {
        assert_eq!(default_kind("-1"), DefaultKind::Literal);
        assert_eq!(default_kind("'x'"), DefaultKind::Literal);
        assert_eq!(default_kind("CURRENT_TIMESTAMP"), DefaultKind::CurrentTime);
        assert_eq!(default_kind("1 + 2"), DefaultKind::Expression);
        assert_eq!(default_sql("1 + 2"), "(1 + 2)");
        assert_eq!(default_sql("CURRENT_DATE"), "CURRENT_DATE");
    }

    #[test]
    fn views_read_their_relations() {
        let reads = relations_in_query("SELECT * FROM \"a\" JOIN B ON 1 = 1");
        assert_eq!(reads.into_iter().collect::<Vec<_>>(), ["a", "b"]);
    }
}
