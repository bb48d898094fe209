//! Splits a section of a revision script into statements with sqlparser's tokenizer, so
//! `;` inside strings, quoted identifiers, comments, dollar-quoted bodies and the
//! `BEGIN … END` of a trigger or routine never ends a statement.

use std::ops::Range;

use sqlparser::dialect::GenericDialect;
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

/// A statement with, when the splitter has them, its tokens as portable SQL (what
/// `Op::parse_tokenized` reads), so that a statement is not tokenized twice.
pub type TokenizedStatement = (Statement, Option<Vec<TokenWithSpan>>);

/// [`split_statements`], handing each statement its portable-SQL tokens when `text` is
/// [`reads_alike_everywhere`]: then the portable tokenizer finds the same statements as
/// `dialect`'s, and one tokenization serves both splitting and parsing. Otherwise the
/// statements are found with `dialect`'s rules and come without tokens.
pub fn split_tokenized(
    text: &str,
    first_line: usize,
    dialect: Dialect,
) -> Result<Vec<TokenizedStatement>, SplitError> {
    if reads_alike_everywhere(text) {
        // Tokenized as `Parser::parse_sql` does; a text it cannot tokenize (an unclosed
        // string) takes the database's path, whose error is the one to report.
        let portable = Tokenizer::new(&GenericDialect {}, text).tokenize_with_location();
        // Only the portable rules read the lines after `COPY … FROM STDIN;` as data.
        let copies = |tokens: &[TokenWithSpan]| {
            tokens
                .iter()
                .any(|t| matches!(&t.token, Token::Word(w) if w.keyword == Keyword::COPY))
        };
        if let Some(tokens) = portable.ok().filter(|tokens| !copies(tokens)) {
            let found = statements(&tokens, text, first_line)?;
            let mut rest = tokens.into_iter();
            let mut taken = 0;
            return Ok(found
                .into_iter()
                .map(|(statement, range)| {
                    let own: Vec<TokenWithSpan> = rest
                        .by_ref()
                        .skip(range.start - taken)
                        .take(range.len())
                        .collect();
                    taken = range.end;
                    (statement, Some(own))
                })
                .collect());
        }
    }
    Ok(split_statements(text, first_line, dialect)?
        .into_iter()
        .map(|statement| (statement, None))
        .collect())
}

/// Splits `text`, whose first line is line `first_line` of its file, with `dialect`'s
/// tokenizer.
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
    Ok(statements(&tokens, text, first_line)?
        .into_iter()
        .map(|(statement, _)| statement)
        .collect())
}

/// Whether every database's tokenizer finds the same statements in `text` as the
/// portable one, and the same words. Outside quotes: ASCII words, whitespace and
/// `( ) , ; . = < > * + -`; no quote right after a word character (`E'…'`, `N'…'`,
/// `X'…'`, `Q'…'` mean different things to different databases); no number that goes on
/// with letters (MySQL reads `1e5x` as one word) and no `._` (MySQL's tokenizer stops
/// there); `--` only between whitespace (MySQL's rule for a comment; PostgreSQL reads
/// `>--` as an operator), and then anything but `\r` to the end of the line. Inside
/// `'…'` and `"…"`: anything but a backslash. The property test
/// `portable_text_splits_alike_on_every_database` holds it to that.
fn reads_alike_everywhere(text: &str) -> bool {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut quote: Option<u8> = None;
    let mut prev = b' ';
    let mut number = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            match b {
                b'\\' => return false,
                _ if b == q => quote = None,
                _ => {}
            }
        } else {
            match b {
                _ if is_word(b) => {
                    // After `1.` the number goes on.
                    let goes_on = is_word(prev) || (prev == b'.' && number);
                    if prev == b'.' && b == b'_' {
                        return false;
                    }
                    if !goes_on {
                        number = b.is_ascii_digit();
                    } else if number && !b.is_ascii_digit() {
                        return false;
                    }
                }
                b'\'' | b'"' if !is_word(prev) => quote = Some(b),
                b'-' if bytes.get(i + 1) == Some(&b'-') => {
                    let spaced = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t' | b'\n'));
                    // PostgreSQL reads `>--` as one operator.
                    if !spaced(Some(&prev)) || !spaced(bytes.get(i + 2)) {
                        return false;
                    }
                    // A comment, to the end of the line; PostgreSQL ends it at `\r` too.
                    let end = text[i..].find('\n').map_or(bytes.len(), |end| i + end);
                    if text[i..end].contains('\r') {
                        return false;
                    }
                    i = end;
                    prev = b'\n';
                    continue;
                }
                b' ' | b'\t' | b'\n' | b'(' | b')' | b',' | b';' | b'.' | b'=' | b'<' | b'>'
                | b'*' | b'+' | b'-' => {}
                _ => return false,
            }
        }
        prev = b;
        i += 1;
    }
    true
}

/// The statements in `tokens` (tokenized from `text`), each with the range of its
/// tokens.
fn statements(
    tokens: &[TokenWithSpan],
    text: &str,
    first_line: usize,
) -> Result<Vec<(Statement, Range<usize>)>, SplitError> {
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
        current.push(i, token, || next_word(&tokens[i + 1..]));
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
    /// The indices of the first and past the last significant token.
    tokens: Range<usize>,
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
            tokens: 0..0,
            leading_keywords: Vec::new(),
            significant: 0,
            block_depth: 0,
        }
    }
}

impl StatementTokens {
    /// Adds a significant token; `next` finds the word after it, which only an `END`
    /// needs (looking it up, upper-cased, for every token was wasted work).
    fn push(&mut self, index: usize, token: &TokenWithSpan, next: impl FnOnce() -> Option<String>) {
        if self.significant == 0 {
            self.start = token.span.start;
            self.tokens.start = index;
        }
        self.significant += 1;
        self.end = token.span.end;
        self.tokens.end = index + 1;
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

    fn finish(
        &mut self,
        cursor: &mut Cursor,
        first_line: usize,
    ) -> Option<(Statement, Range<usize>)> {
        let taken = std::mem::take(self);
        if taken.significant == 0 {
            return None;
        }
        let start = cursor.offset_of(taken.start);
        let end = cursor.offset_of(taken.end);
        let statement = Statement {
            sql: cursor.text[start..end].to_string(),
            line: taken.start.line as usize + first_line - 1,
        };
        Some((statement, taken.tokens))
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
    use crate::ops::Op;
    use proptest::prelude::*;

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
    fn literals_are_standard_on_every_database() {
        // `'x\''` is `x\'`: a backslash is an ordinary character, even on MySQL.
        let text = "SELECT 'x\\''; DELETE FROM victim; --' AS c;\nSELECT 'a\\';";
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            let parts = split_statements(text, 1, dialect).unwrap();
            let sql: Vec<&str> = parts.iter().map(|s| s.sql.as_str()).collect();
            assert_eq!(
                sql,
                [
                    "SELECT 'x\\''; DELETE FROM victim; --' AS c",
                    "SELECT 'a\\'"
                ],
                "{}",
                dialect.name()
            );
        }
    }

    #[test]
    fn portable_text_is_tokenized_once_and_the_rest_by_the_database() {
        let tokens = |text: &str| {
            split_tokenized(text, 1, Dialect::Mysql)
                .unwrap()
                .into_iter()
                .map(|(_, tokens)| tokens.is_some())
                .collect::<Vec<_>>()
        };
        let portable = "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY, \"name\" VARCHAR(40) DEFAULT 'é; -- x');\n-- a comment: ok \\ é\nINSERT INTO t VALUES (-1, 'it''s');";
        assert!(reads_alike_everywhere(portable));
        assert_eq!(tokens(portable), [true, true]);
        for (text, why) in [
            (
                "INSERT INTO t VALUES ('a\\''; b')",
                "a backslash, which MySQL's own tokenizer reads as an escape",
            ),
            ("SELECT 1 --x", "`--x` is no comment on MySQL"),
            ("SELECT E'x'", "an escape string on PostgreSQL"),
            ("SELECT N'x'", "a national string"),
            ("SELECT 1e5x", "a word on MySQL"),
            ("SELECT $$a;b$$", "dollar quoting"),
            ("SELECT [a;b]", "a bracketed identifier on SQLite"),
            ("SELECT `a`", "a backquoted identifier"),
            ("SELECT 'a' # comment", "a comment on MySQL"),
            ("SELECT 1 /* a */", "nested block comments on PostgreSQL"),
            ("SELECT é", "a non-ASCII word"),
            ("SELECT :BEGIN", "a placeholder"),
        ] {
            assert!(!reads_alike_everywhere(text), "{text}: {why}");
            assert!(tokens(text).iter().all(|has| !has), "{text}");
        }
        // The portable tokenizer reads `COPY … FROM STDIN;` data that databases do not.
        assert_eq!(tokens("COPY t FROM STDIN;\nSELECT 1"), [false, false]);
    }

    #[test]
    fn schema_statements_read_from_shared_tokens_as_from_their_text() {
        let section = "CREATE TABLE \"p\" (\"id\" INTEGER PRIMARY KEY, \"code\" VARCHAR(8) NOT NULL UNIQUE, CHECK (\"id\" > 0));
CREATE TABLE c (id BIGINT, p INT REFERENCES p (id) ON DELETE CASCADE, PRIMARY KEY (id));
CREATE UNIQUE INDEX ix ON c (p, id DESC);
ALTER TABLE c ADD COLUMN n VARCHAR(10) DEFAULT 'it''s' NOT NULL;
ALTER TABLE c RENAME COLUMN n TO m;
DROP INDEX ix;
CREATE VIEW v AS SELECT id FROM c WHERE p = 1;
INSERT INTO c VALUES (1, 1, 'x');
CREATE TABLE broken (a INT,;
CREATE TEMPORARY TABLE tmp (a INT);
DROP TABLE c";
        let (mut ops, mut errors) = (0, 0);
        for (statement, tokens) in split_tokenized(section, 1, Dialect::Postgres).unwrap() {
            assert!(tokens.is_some(), "{}", statement.sql);
            let shared = Op::parse_tokenized(&statement.sql, tokens);
            assert_eq!(
                format!("{shared:?}"),
                format!("{:?}", Op::parse(&statement.sql))
            );
            match shared {
                Ok(Some(_)) => ops += 1,
                Ok(None) => {}
                Err(_) => errors += 1,
            }
        }
        assert_eq!((ops, errors), (8, 2));
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

    /// Pieces of SQL from which texts are made: the words the splitter looks at and the
    /// characters on which tokenizers agree …
    const PIECES: &[&str] = &[
        "CREATE",
        "TRIGGER",
        "FUNCTION",
        "PROCEDURE",
        "EVENT",
        "BEGIN",
        "END",
        "CASE",
        "IF",
        "LOOP",
        "WHILE",
        "COPY",
        "FROM",
        "STDIN",
        "DELIMITER",
        "TABLE",
        "SELECT",
        "t",
        "e",
        "E",
        "N",
        "X",
        "B",
        "R",
        "Q",
        "U",
        "x",
        "_",
        "0",
        "1",
        "5",
        ".",
        ";",
        ";",
        "'",
        "''",
        "\"",
        "--",
        "-",
        " ",
        " ",
        "\n",
        "\t",
        "(",
        ")",
        ",",
        "=",
        "<",
        ">",
        "*",
        "+",
    ];
    /// … and those on which they do not (allowed inside quotes and comments).
    const DIFFERING: &[&str] = &[
        "\\", "$", "$$", "#", "/", "/*", "*/", "[", "]", "`", ":", "@", "?", "&", "é", "\r",
    ];

    fn texts() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            12 => proptest::sample::select(PIECES),
            1 => proptest::sample::select(DIFFERING),
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 4096,
            max_global_rejects: 100_000,
            ..ProptestConfig::default()
        })]

        /// What `reads_alike_everywhere` lets through splits as each database's own
        /// tokenizer splits it, and each statement parses from the shared tokens as it
        /// parses from its text.
        #[test]
        fn portable_text_splits_alike_on_every_database(text in texts()) {
            prop_assume!(reads_alike_everywhere(&text));
            for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
                let shared = split_tokenized(&text, 3, dialect);
                let statements = shared
                    .clone()
                    .map(|found| found.into_iter().map(|(s, _)| s).collect::<Vec<_>>());
                prop_assert_eq!(statements, split_statements(&text, 3, dialect), "{:?}", dialect);
                for (statement, tokens) in shared.unwrap_or_default() {
                    prop_assert_eq!(
                        format!("{:?}", Op::parse_tokenized(&statement.sql, tokens)),
                        format!("{:?}", Op::parse(&statement.sql))
                    );
                }
            }
        }
    }
}
