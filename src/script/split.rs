//! Splits a section of a revision script into statements with sqlparser's tokenizer, so
//! `;` inside strings, quoted identifiers, comments, dollar-quoted bodies and the
//! `BEGIN … END` of a trigger or routine never ends a statement.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use crate::dialect::Dialect;

/// One statement of a script, without its terminating `;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    /// The line of the statement's first token, counted in the whole file.
    pub line: usize,
}

/// A split failure, located in the whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    pub line: usize,
    pub message: String,
}

/// Splits `text`, whose first line is line `first_line` of its file.
pub fn split_statements(
    text: &str,
    first_line: usize,
    dialect: Dialect,
) -> Result<Vec<Statement>, SplitError> {
    let parser_dialect = dialect.parser_dialect();
    let tokens = Tokenizer::new(parser_dialect.as_ref(), text)
        .with_unescape(false)
        .tokenize_with_location()
        .map_err(|e| SplitError {
            line: e.location.line as usize + first_line - 1,
            message: e.message,
        })?;
    let mut cursor = Cursor::new(text);
    let mut statements = Vec::new();
    let mut current = StatementTokens::default();
    for (i, token) in tokens.iter().enumerate() {
        match &token.token {
            Token::Whitespace(_) | Token::EOF => continue,
            Token::SemiColon if current.block_depth == 0 => {
                if let Some(statement) = current.finish(&mut cursor, first_line) {
                    statements.push(statement);
                }
                continue;
            }
            _ => {}
        }
        current.push(token, || next_word(&tokens[i + 1..]));
        if current.is_client_delimiter_command() {
            return Err(SplitError {
                line: token.span.start.line as usize + first_line - 1,
                message: "DELIMITER is a command of the mysql client, not SQL; write trigger and routine bodies with plain ';' (mb keeps BEGIN … END together)".into(),
            });
        }
    }
    if current.block_depth > 0 {
        return Err(SplitError {
            line: current.start.line as usize + first_line - 1,
            message: "this statement opens BEGIN (or CASE) without a matching END".into(),
        });
    }
    if let Some(statement) = current.finish(&mut cursor, first_line) {
        statements.push(statement);
    }
    Ok(statements)
}

/// The next significant token, upper-cased, when it is a word.
fn next_word(rest: &[TokenWithSpan]) -> Option<String> {
    rest.iter().find_map(|t| match &t.token {
        Token::Whitespace(_) => None,
        Token::Word(w) => Some(Some(w.value.to_ascii_uppercase())),
        _ => Some(None),
    })?
}

/// The significant tokens seen since the last statement boundary.
struct StatementTokens {
    start: Location,
    end: Location,
    /// The first few keywords, to know whether `BEGIN` opens a body or a transaction.
    leading_keywords: Vec<Keyword>,
    significant: usize,
    block_depth: usize,
}

impl Default for StatementTokens {
    fn default() -> Self {
        StatementTokens {
            start: Location::empty(),
            end: Location::empty(),
            leading_keywords: Vec::new(),
            significant: 0,
            block_depth: 0,
        }
    }
}

impl StatementTokens {
    /// Adds a significant token; `next` finds the word after it, which only an `END`
    /// needs (looking it up, upper-cased, for every token was wasted work).
    fn push(&mut self, token: &TokenWithSpan, next: impl FnOnce() -> Option<String>) {
        if self.significant == 0 {
            self.start = token.span.start;
        }
        self.significant += 1;
        self.end = token.span.end;
        let Token::Word(word) = &token.token else {
            return;
        };
        if self.leading_keywords.len() < 8 {
            self.leading_keywords.push(word.keyword);
        }
        match word.keyword {
            Keyword::BEGIN if self.defines_a_body() => self.block_depth += 1,
            Keyword::CASE if self.block_depth > 0 => self.block_depth += 1,
            // `END IF`, `END LOOP`, … close constructs that were not counted as openers.
            Keyword::END
                if self.block_depth > 0
                    && !matches!(
                        next().as_deref(),
                        Some("IF" | "LOOP" | "WHILE" | "REPEAT" | "FOR")
                    ) =>
            {
                self.block_depth -= 1;
            }
            _ => {}
        }
    }

    /// `CREATE [OR REPLACE] [TEMP] TRIGGER|FUNCTION|PROCEDURE|EVENT …`: a BEGIN in it
    /// opens a body rather than a transaction.
    fn defines_a_body(&self) -> bool {
        self.block_depth > 0
            || (self.leading_keywords.first() == Some(&Keyword::CREATE)
                && self.leading_keywords.iter().any(|k| {
                    matches!(
                        k,
                        Keyword::TRIGGER | Keyword::FUNCTION | Keyword::PROCEDURE | Keyword::EVENT
                    )
                }))
    }

    fn is_client_delimiter_command(&self) -> bool {
        self.significant == 1 && self.leading_keywords.first() == Some(&Keyword::DELIMITER)
    }

    fn finish(&mut self, cursor: &mut Cursor, first_line: usize) -> Option<Statement> {
        let taken = std::mem::take(self);
        if taken.significant == 0 {
            return None;
        }
        let start = cursor.offset_of(taken.start);
        let end = cursor.offset_of(taken.end);
        Some(Statement {
            sql: cursor.text[start..end].to_string(),
            line: taken.start.line as usize + first_line - 1,
        })
    }
}

/// Turns the tokenizer's (line, column-in-characters) locations into byte offsets. The
/// locations asked for only move forward, so one pass over the text serves them all,
/// even for a single 10 MB line.
struct Cursor<'a> {
    text: &'a str,
    offset: usize,
    line: u64,
    column: u64,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor {
            text,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    fn offset_of(&mut self, target: Location) -> usize {
        let mut chars = self.text[self.offset..].chars();
        while (self.line, self.column) < (target.line, target.column) {
            let Some(c) = chars.next() else { break };
            self.offset += c.len_utf8();
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<String> {
        split_statements(text, 1, Dialect::Sqlite)
            .unwrap()
            .into_iter()
            .map(|s| s.sql)
            .collect()
    }

    #[test]
    fn splits_on_semicolons_and_keeps_the_last_unterminated_statement() {
        assert_eq!(split("SELECT 1;\nSELECT 2"), vec!["SELECT 1", "SELECT 2"]);
        assert_eq!(split(";;\n  \n-- only a comment\n"), Vec::<String>::new());
    }

    #[test]
    fn semicolons_in_strings_identifiers_and_comments_do_not_split() {
        let text = "INSERT INTO \"a;b\" VALUES ('x; y', 'it''s;');\n-- a comment; with a semicolon\n/* block; comment */ SELECT `c;d` FROM t;";
        assert_eq!(
            split(text),
            vec![
                "INSERT INTO \"a;b\" VALUES ('x; y', 'it''s;')",
                "SELECT `c;d` FROM t"
            ]
        );
    }

    #[test]
    fn trigger_bodies_stay_whole() {
        let text = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = CASE WHEN n > 1 THEN 1 ELSE 2 END;\n  DELETE FROM c;\nEND;\nSELECT 1;";
        let parts = split(text);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].starts_with("CREATE TRIGGER") && parts[0].ends_with("END"));
    }

    #[test]
    fn mysql_routines_with_end_if_stay_whole() {
        let text = "CREATE PROCEDURE p() BEGIN\n IF 1 THEN SELECT 1; END IF;\n WHILE 0 DO SELECT 2; END WHILE;\nEND;\nSELECT 3";
        let parts: Vec<_> = split_statements(text, 1, Dialect::Mysql).unwrap();
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert_eq!(parts[1].sql, "SELECT 3");
        assert_eq!(parts[1].line, 5);
    }

    #[test]
    fn a_transaction_begin_is_not_a_block() {
        assert_eq!(
            split("BEGIN;\nSELECT 1;\nCOMMIT;"),
            vec!["BEGIN", "SELECT 1", "COMMIT"]
        );
    }

    #[test]
    fn postgres_dollar_quoted_bodies_stay_whole() {
        let text = "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT 2;";
        let parts = split_statements(text, 1, Dialect::Postgres).unwrap();
        assert_eq!(parts.len(), 2);
        assert!(parts[0].sql.ends_with("LANGUAGE sql"));
    }

    #[test]
    fn line_numbers_count_from_the_section_start_and_non_ascii_is_kept() {
        let parts = split_statements(
            "\n\n  INSERT INTO t VALUES ('é');  SELECT 'ü';",
            10,
            Dialect::Sqlite,
        )
        .unwrap();
        assert_eq!(
            parts[0],
            Statement {
                sql: "INSERT INTO t VALUES ('é')".into(),
                line: 12
            }
        );
        assert_eq!(
            parts[1],
            Statement {
                sql: "SELECT 'ü'".into(),
                line: 12
            }
        );
    }

    #[test]
    fn errors_name_the_line() {
        let err = split_statements("SELECT 1;\nSELECT 'open", 5, Dialect::Sqlite).unwrap_err();
        assert_eq!(err.line, 6);
        assert!(
            err.message.contains("Unterminated string"),
            "{}",
            err.message
        );
        let err = split_statements(
            "SELECT 1;\nCREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1;",
            1,
            Dialect::Sqlite,
        )
        .unwrap_err();
        assert_eq!(err.line, 2);
        let err = split_statements("DELIMITER //\nSELECT 1//", 1, Dialect::Mysql).unwrap_err();
        assert!(err.message.contains("DELIMITER"));
    }
}
