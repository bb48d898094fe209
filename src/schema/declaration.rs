//! What `schema.sql` says beyond the schema itself: the line each table and column is
//! declared on, and the rename hints written there.
//!
//! A rename hint is a comment at the end of the line that names a table
//! (`CREATE TABLE "article" ( -- mb:renamed-from post`) or starts a column definition
//! (`"text" TEXT, -- mb:renamed-from body`). The old name is written like any name in
//! schema.sql: unquoted it folds to lower case, double-quoted it is kept as written.
//!
//! Hints are not part of the [`Schema`]: they say how the declaration came about, not
//! what a database holds, so a schema compares equal whether or not it carries hints
//! (`mb db check` and `apply(diff(A, B), A) == B` are untouched). `mb db migrate` turns
//! the hints that still apply to the database into rename ops and ignores the ones
//! already applied, so hints may stay in schema.sql for good (see docs/renames.md).

use std::collections::BTreeMap;

use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Location, Token, Tokenizer, Whitespace};

use super::Schema;
use super::expr::ident_name;
use super::parse::Problem;

/// The comment that declares a rename, followed by the old name.
pub const RENAMED_FROM: &str = "mb:renamed-from";

/// A parsed `schema.sql`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Declaration {
    pub schema: Schema,
    /// By table name.
    pub tables: BTreeMap<String, Declared>,
    /// By (table name, column name).
    pub columns: BTreeMap<(String, String), Declared>,
    /// Every name the file writes (tables, columns, constraints, indexes, views, and the
    /// names they refer to), with where it is first written: what
    /// [`super::limits::refuse_names_not_kept`] checks.
    pub names: BTreeMap<String, Location>,
}

/// Where a table or column is declared, and the name it had before, if a hint says so.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Declared {
    pub line: u64,
    pub renamed_from: Option<String>,
}

/// One `-- mb:renamed-from NAME` comment.
pub struct Hint {
    pub at: Location,
    pub old_name: String,
}

/// The rename hints in `text`. Any other comment starting `mb:` is a mistake worth
/// reporting (a misspelt hint would otherwise lose data silently).
pub fn hints(text: &str) -> Result<Vec<Hint>, Problem> {
    let dialect = GenericDialect {};
    // Syntax errors are reported by the parser, which runs afterwards with better context.
    let Ok(tokens) = Tokenizer::new(&dialect, text).tokenize_with_location() else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for token in tokens {
        let Token::Whitespace(Whitespace::SingleLineComment { comment, .. }) = &token.token else {
            continue;
        };
        let comment = comment.trim();
        if !comment.starts_with("mb:") {
            continue;
        }
        let at = token.span.start;
        let usage = format!(
            "write the hint as `-- {RENAMED_FROM} old_name` at the end of the line of the table or column"
        );
        let Some(rest) = comment.strip_prefix(RENAMED_FROM) else {
            return Err(Problem::new(
                at,
                format!("unknown mb comment `-- {comment}` — {usage}"),
            ));
        };
        match hint_name(rest) {
            Some(old_name) => found.push(Hint { at, old_name }),
            None => {
                return Err(Problem::new(
                    at,
                    format!("`-- {comment}` needs exactly one name — {usage}"),
                ));
            }
        }
    }
    Ok(found)
}

/// The one identifier after the hint keyword, folded like any name in schema.sql.
fn hint_name(text: &str) -> Option<String> {
    if !text.starts_with(char::is_whitespace) {
        return None;
    }
    let tokens = Tokenizer::new(&GenericDialect {}, text).tokenize().ok()?;
    let mut words = tokens
        .into_iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)));
    match (words.next(), words.next()) {
        (Some(Token::Word(word)), None) => Some(ident_name(
            &word.to_ident(sqlparser::tokenizer::Span::empty()),
        )),
        _ => None,
    }
}

impl Declaration {
    /// Attaches each hint to the table or column declared on its line.
    pub fn attach(&mut self, hints: Vec<Hint>) -> Result<(), Problem> {
        for hint in hints {
            let line = hint.at.line;
            let tables: Vec<&String> = self
                .tables
                .iter()
                .filter(|(_, d)| d.line == line)
                .map(|(name, _)| name)
                .collect();
            let columns: Vec<&(String, String)> = self
                .columns
                .iter()
                .filter(|(_, d)| d.line == line)
                .map(|(key, _)| key)
                .collect();
            let (declared, new_name) = match (tables.as_slice(), columns.as_slice()) {
                ([table], []) => {
                    let name = (*table).clone();
                    (self.tables.get_mut(&name), name)
                }
                ([], [key]) => {
                    let key = (*key).clone();
                    let name = key.1.clone();
                    (self.columns.get_mut(&key), name)
                }
                ([], []) => {
                    return Err(Problem::new(
                        hint.at,
                        format!(
                            "`-- {RENAMED_FROM}` is not on the line of a CREATE TABLE or of a column definition — move it to the end of the line that names the renamed table or column"
                        ),
                    ));
                }
                _ => {
                    return Err(Problem::new(
                        hint.at,
                        format!(
                            "`-- {RENAMED_FROM}` is on a line that declares more than one table or column — put the renamed one on a line of its own"
                        ),
                    ));
                }
            };
            if new_name == hint.old_name {
                return Err(Problem::new(
                    hint.at,
                    format!(
                        "`-- {RENAMED_FROM}` names {} itself — write the name it had before, or remove the hint",
                        super::quoted(&new_name)
                    ),
                ));
            }
            if let Some(declared) = declared {
                declared.renamed_from = Some(hint.old_name);
            }
        }
        Ok(())
    }
}

/// How to write a hint naming `old_name` so that it reads back as `old_name`.
pub fn hint_text(old_name: &str) -> String {
    let plain = old_name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && old_name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_');
    let name = if plain {
        old_name.to_string()
    } else {
        super::quoted(old_name)
    };
    format!("-- {RENAMED_FROM} {name}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse::parse_declaration;

    fn declare(text: &str) -> Result<Declaration, String> {
        parse_declaration(text, std::path::Path::new("schema.sql")).map_err(|e| e.message)
    }

    #[test]
    fn hints_attach_to_the_table_or_column_on_their_line() {
        let d = declare(
            "CREATE TABLE \"Article\" ( -- mb:renamed-from post\n  id INT PRIMARY KEY,\n  \"text\" TEXT, -- mb:renamed-from \"Body\"\n  title TEXT -- ordinary comment\n);",
        )
        .unwrap();
        assert_eq!(d.tables["Article"].line, 1);
        assert_eq!(d.tables["Article"].renamed_from.as_deref(), Some("post"));
        let column = |c: &str| d.columns[&("Article".to_string(), c.to_string())].clone();
        assert_eq!(column("text").renamed_from.as_deref(), Some("Body"));
        assert_eq!(column("text").line, 3);
        assert_eq!(column("title").renamed_from, None);
        assert_eq!(d.schema.tables.len(), 1);
    }

    #[test]
    fn hints_do_not_change_the_schema() {
        let plain = declare("CREATE TABLE t (\n a INT,\n b INT\n)").unwrap();
        let hinted = declare(
            "CREATE TABLE t ( -- mb:renamed-from s\n a INT, -- mb:renamed-from z\n b INT\n)",
        )
        .unwrap();
        assert_eq!(plain.schema, hinted.schema);
    }

    #[test]
    fn misplaced_or_malformed_hints_are_errors_with_their_line() {
        let error = |text: &str| declare(text).unwrap_err();
        assert!(
            error("CREATE TABLE t (a INT, b INT) -- mb:renamed-from s").contains(
                "schema.sql:1:31: `-- mb:renamed-from` is on a line that declares more than one"
            )
        );
        assert!(
            error("CREATE TABLE t (\n a INT\n);\nCREATE INDEX ix ON t (a); -- mb:renamed-from i")
                .contains("schema.sql:4:27: `-- mb:renamed-from` is not on the line")
        );
        assert!(
            error("CREATE TABLE t (\n a INT -- mb:renamed-from\n)")
                .contains("needs exactly one name")
        );
        assert!(
            error("CREATE TABLE t (\n a INT -- mb:renamed-from b c\n)")
                .contains("needs exactly one name")
        );
        assert!(
            error("CREATE TABLE t (\n a INT -- mb:renamed_from b\n)")
                .contains("unknown mb comment `-- mb:renamed_from b`")
        );
        assert!(error("CREATE TABLE t (\n a INT -- mb:renamed-from A\n)").contains("itself"));
    }

    #[test]
    fn hint_text_reads_back_as_the_name() {
        for name in ["body", "Body", "two words", "a\"b", "_x1", "1x"] {
            let text = format!("CREATE TABLE t (\n c INT {}\n)", hint_text(name));
            let d = declare(&text).unwrap();
            let key = ("t".to_string(), "c".to_string());
            assert_eq!(
                d.columns[&key].renamed_from.as_deref(),
                Some(name),
                "{text}"
            );
        }
    }
}
