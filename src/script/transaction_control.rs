//! Statements that start, end or split a transaction (`BEGIN`, `COMMIT`, `ROLLBACK`,
//! `SAVEPOINT`, `SET autocommit`, …). mb runs each revision in a transaction of its own
//! and records the revision in it, so such a statement in a revision would commit half
//! a revision, or roll back mb's record of it: revisions may not hold them.
//!
//! Only a statement's leading words are looked at, and statements are already split:
//! the `BEGIN … END` of a trigger or routine, and a dollar-quoted function body, are
//! inside a statement that starts with `CREATE`, and are not transaction control.

use sqlparser::tokenizer::{Token, Tokenizer};

use super::revision::NO_TRANSACTION_MARKER;
use crate::dialect::Dialect;

/// Why the transaction-control statement `sql` is refused, and what to do instead.
pub fn refusal(sql: &str) -> String {
    let first_line = sql.lines().next().unwrap_or_default();
    format!(
        "`{first_line}` controls the transaction, which mb does itself: it runs each revision in a transaction of its own and records the revision in it (on MySQL/MariaDB, whose DDL commits by itself, statement by statement); remove the statement, and give a revision whose statements cannot run inside a transaction (CREATE INDEX CONCURRENTLY, VACUUM) the line '{NO_TRANSACTION_MARKER}' in its header"
    )
}

/// Whether `sql`, one statement as the splitter found it (starting at its first word),
/// controls transactions on `dialect`'s database.
pub fn is_transaction_control(sql: &str, dialect: Dialect) -> bool {
    let mut words = leading_words(sql);
    let Some(first) = words.next() else {
        return false;
    };
    let mut next_is = |expected: &str| {
        words
            .next()
            .is_some_and(|word| word.eq_ignore_ascii_case(expected))
    };
    let is = |word: &str| first.eq_ignore_ascii_case(word);
    if is("BEGIN") {
        // MariaDB's `BEGIN NOT ATOMIC … END` is a block, not a transaction.
        return !(next_is("NOT") && next_is("ATOMIC"));
    }
    if [
        "COMMIT",
        "END",
        "ROLLBACK",
        "ABORT",
        "SAVEPOINT",
        "RELEASE",
        "XA",
    ]
    .iter()
    .any(|word| is(word))
    {
        return true;
    }
    if is("START") || is("PREPARE") {
        return next_is("TRANSACTION");
    }
    is("SET") && sets_transaction_or_autocommit(sql, dialect)
}

/// `SET [SESSION|LOCAL|GLOBAL] TRANSACTION …`, PostgreSQL's `SET SESSION
/// CHARACTERISTICS AS TRANSACTION …`, and MySQL's `SET autocommit = …` (or
/// `@@autocommit`, `@@session.autocommit`, among other assignments).
fn sets_transaction_or_autocommit(sql: &str, dialect: Dialect) -> bool {
    let scope = ["SESSION", "LOCAL", "GLOBAL"];
    let after_scope = leading_words(sql)
        .skip(1)
        .find(|word| !scope.iter().any(|s| word.eq_ignore_ascii_case(s)));
    if after_scope.is_some_and(|word| {
        word.eq_ignore_ascii_case("TRANSACTION") || word.eq_ignore_ascii_case("CHARACTERISTICS")
    }) {
        return true;
    }
    // Rare enough to tokenize: `autocommit` must be a name, not text in a string.
    let Ok(tokens) = Tokenizer::new(dialect.parser_dialect().as_ref(), sql).tokenize() else {
        return false;
    };
    tokens.iter().any(|token| match token {
        Token::Word(word) => names_autocommit(&word.value),
        Token::Placeholder(name) => names_autocommit(name),
        _ => false,
    })
}

/// `autocommit`, `@@autocommit` or `@@session.autocommit`.
fn names_autocommit(name: &str) -> bool {
    let name = name.trim_start_matches('@');
    let last = name.rsplit('.').next().unwrap_or(name);
    last.eq_ignore_ascii_case("autocommit")
}

/// The words at the start of `sql` (letters, digits and `_`), past whitespace and
/// comments; it stops at anything else.
fn leading_words(sql: &str) -> impl Iterator<Item = &str> {
    let mut rest = sql;
    std::iter::from_fn(move || {
        rest = skip_blanks(rest);
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        rest = tail;
        (!word.is_empty()).then_some(word)
    })
}

/// `text` past leading whitespace, `-- …` comments and `/* … */` comments.
fn skip_blanks(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        if let Some(comment) = text.strip_prefix("--") {
            text = comment.find('\n').map_or("", |end| &comment[end..]);
        } else if let Some(comment) = text.strip_prefix("/*") {
            text = comment.find("*/").map_or("", |end| &comment[end + 2..]);
        } else {
            return text;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIALECTS: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];

    #[test]
    fn transaction_statements_of_every_database_are_found() {
        for sql in [
            "BEGIN",
            "begin transaction",
            "BEGIN IMMEDIATE",
            "BEGIN WORK",
            "BEGIN ISOLATION LEVEL SERIALIZABLE",
            "BEGIN NOT DEFERRABLE",
            "START TRANSACTION",
            "start /* c */ transaction read only",
            "START\n-- c\nTRANSACTION",
            "COMMIT",
            "COMMIT WORK",
            "commit and chain",
            "END",
            "END TRANSACTION",
            "ROLLBACK",
            "ROLLBACK TO SAVEPOINT s",
            "ROLLBACK PREPARED 'x'",
            "ABORT",
            "SAVEPOINT s",
            "RELEASE SAVEPOINT s",
            "RELEASE s",
            "PREPARE TRANSACTION 'x'",
            "XA START 'x'",
            "SET autocommit = 0",
            "SET AUTOCOMMIT=1",
            "SET @@autocommit = 0",
            "SET SESSION autocommit = 0",
            "SET @@session.autocommit = 0",
            "SET sql_mode = '', autocommit = 1",
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "SET SESSION TRANSACTION READ ONLY",
            "SET GLOBAL TRANSACTION ISOLATION LEVEL READ COMMITTED",
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
        ] {
            for dialect in DIALECTS {
                assert!(is_transaction_control(sql, dialect), "{sql} on {dialect:?}");
            }
        }
    }

    #[test]
    fn bodies_settings_and_other_statements_are_not() {
        for sql in [
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = 1;\n  DELETE FROM c;\nEND",
            "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN COMMIT; END $$ LANGUAGE plpgsql",
            "CREATE PROCEDURE p() BEGIN START TRANSACTION; COMMIT; END",
            "CREATE OR REPLACE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END",
            "DO $$ BEGIN PERFORM 1; END $$",
            "BEGIN NOT ATOMIC SELECT 1",
            "SET LOCAL lock_timeout = '5s'",
            "SET search_path TO app",
            "SET sql_mode = 'autocommit'",
            "SET @note = 'SET autocommit = 0'",
            "SET names utf8mb4",
            "START SLAVE",
            "PREPARE stmt FROM 'SELECT 1'",
            "INSERT INTO log (what) VALUES ('COMMIT')",
            "UPDATE t SET autocommit_flag = 1",
            "CREATE TABLE \"begin\" (\"commit\" INTEGER)",
            "\"BEGIN\"",
            "COMMITTED",
            "",
        ] {
            for dialect in DIALECTS {
                assert!(
                    !is_transaction_control(sql, dialect),
                    "{sql} on {dialect:?}"
                );
            }
        }
    }

    #[test]
    fn leading_words_skip_comments_and_stop_at_other_text() {
        let words: Vec<&str> = leading_words("START /* a\nb */ -- c\n TRANSACTION, x").collect();
        assert_eq!(words, ["START", "TRANSACTION"]);
        assert_eq!(leading_words("-- only").count(), 0);
        assert_eq!(leading_words("/* open").count(), 0);
    }
}
