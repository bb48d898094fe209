//! How deep the syntax tree of a statement can be, and the stack that holds it.
//!
//! sqlparser builds `a AND b AND c …`, `1 + 1 + …`, `x::t::t …` and `SELECT … UNION
//! SELECT …` in a loop, one tree level per operator, without bound; cloning, comparing,
//! dropping and walking such a tree recurse once per level, and a CHECK of 10,000
//! `AND`ed terms overflowed the stack. So every statement is measured from its tokens
//! before it is parsed, and one deeper than [`MAX_NESTING`] is refused with an error;
//! every thread of mb that parses runs on a stack of [`STACK_SIZE`], which holds the
//! deepest tree that passes with room to spare (nesting through parentheses, the other
//! way to deepen a tree, is bounded by sqlparser's own recursion limit).

use sqlparser::dialect::Dialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

/// The most tokens one statement may chain at one level (see [`deepest_statement`]).
pub const MAX_NESTING: usize = 5_000;

/// The stack of every thread that parses SQL: the main work thread and the workers of
/// `parallel::map`. Only the pages used are ever backed by memory. A statement nested
/// [`MAX_NESTING`] deep needs less than a quarter of it, in a debug build too (test:
/// `the_deepest_statement_that_passes_fits_the_stack`).
pub const STACK_SIZE: usize = 64 * 1024 * 1024;

/// A parser of `text`, once its statements are known to be shallow enough.
pub fn parser<'a>(dialect: &'a dyn Dialect, text: &str) -> Result<Parser<'a>, ParserError> {
    let tokens = Tokenizer::new(dialect, text).tokenize_with_location()?;
    parser_of_tokens(dialect, tokens)
}

/// A parser of `tokens`, once their statements are known to be shallow enough.
pub fn parser_of_tokens(
    dialect: &dyn Dialect,
    tokens: Vec<TokenWithSpan>,
) -> Result<Parser<'_>, ParserError> {
    if let Some((depth, at)) = deepest_statement(&tokens).filter(|(d, _)| *d > MAX_NESTING) {
        return Err(ParserError::ParserError(format!(
            "the statement nests {depth} levels deep (each word and symbol of a chain such as a AND b AND …, a + b + …, x::t::…, or … UNION …, and each parenthesis, is a level), more than the {MAX_NESTING} mb reads; split it (into several CHECK constraints, or a view over views) at Line: {}, Column: {}",
            at.line, at.column
        )));
    }
    Ok(Parser::new(dialect).with_tokens_with_locations(tokens))
}

/// The deepest statement in `tokens`: an upper bound of its tree's depth, and where it
/// starts. Each token adds at most a level or two to the tree of the run it is in, a
/// run being the tokens between commas at one level of parentheses (a comma separates
/// the items of a list, which sit side by side); a parenthesized group hangs below its
/// run; set operations (`UNION`, `EXCEPT`, `INTERSECT`) chain across the commas of the
/// `SELECT`s they join.
pub fn deepest_statement(tokens: &[TokenWithSpan]) -> Option<(usize, Location)> {
    let mut deepest: Option<(usize, Location)> = None;
    let mut levels = vec![Level::default()];
    let mut start: Option<Location> = None;
    let mut finish = |levels: &mut Vec<Level>, start: &mut Option<Location>| {
        // Parentheses left open count as closed at the end.
        let mut depth = 0;
        while let Some(mut level) = levels.pop() {
            level.deepest_group = level.deepest_group.max(depth);
            depth = level.depth();
        }
        levels.push(Level::default());
        if let Some(at) = start.take()
            && deepest.is_none_or(|(d, _)| depth > d)
        {
            deepest = Some((depth, at));
        }
    };
    for token in tokens {
        if matches!(token.token, Token::Whitespace(_) | Token::EOF) {
            continue;
        }
        if token.token == Token::SemiColon {
            finish(&mut levels, &mut start);
            continue;
        }
        start.get_or_insert(token.span.start);
        if matches!(token.token, Token::RParen | Token::RBracket | Token::RBrace)
            && levels.len() > 1
        {
            let inner = levels.pop().map_or(0, Level::depth);
            let level = levels.last_mut().expect("an outer level");
            level.deepest_group = level.deepest_group.max(inner);
            level.run += 1;
            continue;
        }
        let level = levels
            .last_mut()
            .expect("the statement's level is never popped");
        match &token.token {
            Token::LParen | Token::LBracket | Token::LBrace => {
                level.run += 1;
                levels.push(Level::default());
            }
            Token::Comma => level.end_item(),
            Token::Word(word)
                if matches!(
                    word.keyword,
                    Keyword::UNION | Keyword::EXCEPT | Keyword::INTERSECT | Keyword::MINUS
                ) =>
            {
                level.set_operations += 1
            }
            _ => level.run += 1,
        }
    }
    finish(&mut levels, &mut start);
    deepest
}

/// One level of parentheses of a statement being measured.
#[derive(Default)]
struct Level {
    /// Tokens since the last comma.
    run: usize,
    /// The deepest parenthesized group since the last comma.
    deepest_group: usize,
    /// The deepest item before the last comma.
    deepest_item: usize,
    set_operations: usize,
}

impl Level {
    fn end_item(&mut self) {
        self.deepest_item = self.deepest_item.max(self.run + self.deepest_group);
        self.run = 0;
        self.deepest_group = 0;
    }

    fn depth(mut self) -> usize {
        self.end_item();
        self.set_operations + self.deepest_item
    }
}

/// Runs `work` on a thread with a stack of [`STACK_SIZE`], or on this one when the
/// system refuses the thread (a process or memory limit). A panic goes on in the caller.
pub fn with_deep_stack<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    let work = std::sync::Mutex::new(Some(work));
    let take = || work.lock().ok().and_then(|mut work| work.take());
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .stack_size(STACK_SIZE / 4)
            .spawn_scoped(scope, || take().map(|work| work()));
        let ran = match spawned {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => None,
        };
        ran.unwrap_or_else(|| take().expect("the work is taken once")())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::GenericDialect;

    fn depth(sql: &str) -> usize {
        let tokens = Tokenizer::new(&GenericDialect {}, sql)
            .tokenize_with_location()
            .unwrap();
        deepest_statement(&tokens).map_or(0, |(depth, _)| depth)
    }

    /// `n` terms joined by `op`.
    fn chain(term: &str, op: &str, n: usize) -> String {
        vec![term; n].join(op)
    }

    #[test]
    fn chains_count_every_token_and_lists_only_their_longest_item() {
        // A chain is a tree as deep as it is long: each operand and operator counts.
        assert!(depth(&chain("1", " + ", 1000)) >= 1999);
        assert!(depth(&format!("SELECT {}", chain("a > 0", " AND ", 1000))) >= 3999);
        assert!(depth(&chain("SELECT a, b", " UNION ", 1000)) >= 1000);
        assert!(depth(&format!("SELECT {}1{}", "(".repeat(60), ")".repeat(60))) >= 60);
        // Items of a list sit side by side.
        let columns: Vec<String> = (0..1000)
            .map(|i| format!("c{i} INTEGER NOT NULL"))
            .collect();
        assert!(depth(&format!("CREATE TABLE t ({})", columns.join(", "))) < 10);
        assert!(
            depth(&format!(
                "SELECT 1 WHERE a IN ({})",
                chain("1", ", ", 10_000)
            )) < 10
        );
    }

    #[test]
    fn the_deepest_statement_is_found_and_located() {
        let tokens = Tokenizer::new(
            &GenericDialect {},
            "SELECT 1;\n\n  SELECT 1 + 1 + 1; SELECT 2",
        )
        .tokenize_with_location()
        .unwrap();
        let (depth, at) = deepest_statement(&tokens).unwrap();
        assert_eq!((at.line, at.column), (3, 3));
        assert!(depth >= 6);
        assert_eq!(deepest_statement(&[]), None);
        // Parentheses left open count as closed at the end.
        assert!(super::tests::depth(&format!("SELECT {}", "(".repeat(30))) >= 30);
    }

    #[test]
    fn a_statement_deeper_than_the_bound_is_refused_before_it_is_parsed() {
        let deep = format!("SELECT {}", chain("a", " OR ", MAX_NESTING));
        let Err(ParserError::ParserError(message)) = parser(&GenericDialect {}, &deep) else {
            panic!("a statement nested {MAX_NESTING} deep was parsed");
        };
        assert!(
            message.starts_with("the statement nests 10000 levels"),
            "{message}"
        );
        assert!(message.ends_with("at Line: 1, Column: 1"), "{message}");
        let shallow = format!("SELECT {}", chain("a", " OR ", MAX_NESTING / 4));
        assert!(
            parser(&GenericDialect {}, &shallow)
                .unwrap()
                .parse_statements()
                .is_ok()
        );
    }

    /// The deepest statements that pass, of each kind that deepens a tree, read as
    /// `mb db migrate` and `mb db upgrade` read them (parsed, cloned, compared, rendered
    /// for every database, printed, dropped) on a quarter of the stack mb gives them.
    #[test]
    fn the_deepest_statement_that_passes_fits_the_stack() {
        let terms = |per_term: usize| (MAX_NESTING - 20) / per_term;
        let statements = [
            format!(
                "CREATE TABLE \"t\" (\"a\" INTEGER, CHECK ({}))",
                chain("\"a\" > 0", " AND ", terms(4))
            ),
            format!(
                "CREATE VIEW \"v\" AS SELECT {} AS \"s\"",
                chain("1", " + ", terms(2))
            ),
            format!(
                "CREATE VIEW \"c\" AS SELECT 1{} AS \"s\"",
                "::INTEGER".repeat(terms(2))
            ),
            format!(
                "CREATE VIEW \"u\" AS {}",
                chain("SELECT 1 AS \"x\"", " UNION ", terms(6))
            ),
        ];
        let work = move || {
            for sql in &statements {
                let path = std::path::Path::new("schema.sql");
                let schema = crate::schema::parse::parse_schema_sql(sql, path).unwrap();
                assert_eq!(schema.clone(), schema);
                let _ = format!("{schema:?}");
                for op in crate::autogenerate::diff(&crate::schema::Schema::default(), &schema) {
                    let again = crate::ops::Op::parse(&op.to_sql()).unwrap().unwrap();
                    assert_eq!(again, op);
                    for dialect in [
                        crate::dialect::Dialect::Sqlite,
                        crate::dialect::Dialect::Postgres,
                        crate::dialect::Dialect::Mysql,
                    ] {
                        let mut at = crate::schema::Schema::default();
                        dialect.render_applying(&op, &mut at).unwrap();
                    }
                }
                let ast = parser(&GenericDialect {}, sql)
                    .unwrap()
                    .parse_statements()
                    .unwrap();
                assert_eq!(ast.clone(), ast);
                let _ = (format!("{ast:?}"), ast[0].to_string());
            }
        };
        std::thread::Builder::new()
            .stack_size(STACK_SIZE / 4)
            .spawn(work)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn work_on_the_deep_stack_returns_its_result() {
        assert_eq!(with_deep_stack(|| 6 * 7), 42);
    }
}
