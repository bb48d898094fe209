//! String literals of portable SQL on MySQL. Portable SQL has standard literals (a quote
//! is doubled, a backslash is an ordinary character); MySQL, by default, reads a
//! backslash as an escape. So a revision is split for MySQL with MySQL's rules for
//! everything but literals, and what runs there has each backslash of a literal doubled.

use std::any::TypeId;
use std::borrow::Cow;

use sqlparser::dialect::{Dialect, MySqlDialect};
use sqlparser::tokenizer::{Location, Token, Tokenizer};

/// MySQL's tokenizer rules (`#` comments, `--` only before a space, backticks) as mb's
/// sessions read SQL, where `ANSI_QUOTES` makes `"…"` a name too. `backslash_escapes`
/// says whether a backslash escapes in a string literal: in MySQL's own output (its
/// catalog) it does, in portable SQL it does not.
#[derive(Debug)]
pub struct MysqlTokens {
    pub backslash_escapes: bool,
}

impl Dialect for MysqlTokens {
    fn dialect(&self) -> TypeId {
        TypeId::of::<MySqlDialect>()
    }
    fn is_identifier_start(&self, ch: char) -> bool {
        MySqlDialect {}.is_identifier_start(ch)
    }
    fn is_identifier_part(&self, ch: char) -> bool {
        MySqlDialect {}.is_identifier_part(ch)
    }
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        ch == '`' || ch == '"'
    }
    fn supports_string_literal_backslash_escape(&self) -> bool {
        self.backslash_escapes
    }
    fn supports_numeric_prefix(&self) -> bool {
        MySqlDialect {}.supports_numeric_prefix()
    }
    fn supports_literal_prefix_in_qualified_name(&self) -> bool {
        MySqlDialect {}.supports_literal_prefix_in_qualified_name()
    }
    fn supports_multiline_comment_hints(&self) -> bool {
        MySqlDialect {}.supports_multiline_comment_hints()
    }
    fn requires_single_line_comment_whitespace(&self) -> bool {
        MySqlDialect {}.requires_single_line_comment_whitespace()
    }
    fn supports_hash_comment(&self) -> bool {
        MySqlDialect {}.supports_hash_comment()
    }
}

/// Portable SQL as MySQL's tokenizer reads it, but for its string literals.
pub const MYSQL_PORTABLE: MysqlTokens = MysqlTokens {
    backslash_escapes: false,
};

/// `portable` with every backslash inside a string literal doubled, so that MySQL reads
/// each literal as portable SQL does. Text that does not tokenize is returned as it is:
/// the splitter has already refused it.
pub fn backslashes_doubled(portable: &str) -> Cow<'_, str> {
    if !portable.contains('\\') {
        return Cow::Borrowed(portable);
    }
    let Ok(tokens) = Tokenizer::new(&MYSQL_PORTABLE, portable)
        .with_unescape(false)
        .tokenize_with_location()
    else {
        return Cow::Borrowed(portable);
    };
    let offsets = LineOffsets::new(portable);
    let mut out = String::with_capacity(portable.len() + 8);
    let mut copied = 0;
    for token in &tokens {
        if !matches!(
            token.token,
            Token::SingleQuotedString(_) | Token::NationalStringLiteral(_)
        ) {
            continue;
        }
        let start = offsets.offset(token.span.start);
        let end = offsets.offset(token.span.end);
        out.push_str(&portable[copied..start]);
        out.push_str(&portable[start..end].replace('\\', "\\\\"));
        copied = end;
    }
    out.push_str(&portable[copied..]);
    Cow::Owned(out)
}

/// Byte offsets of the tokenizer's (line, column in characters) locations.
struct LineOffsets<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineOffsets<'a> {
    fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineOffsets { text, line_starts }
    }

    fn offset(&self, at: Location) -> usize {
        let Some(&start) = self.line_starts.get(at.line as usize - 1) else {
            return self.text.len();
        };
        self.text[start..]
            .char_indices()
            .nth(at.column as usize - 1)
            .map_or(self.text.len(), |(i, _)| start + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_backslashes_inside_literals_are_doubled() {
        assert_eq!(
            backslashes_doubled(r"INSERT INTO t VALUES ('a\''; DROP', N'\n') -- \ kept"),
            r"INSERT INTO t VALUES ('a\\''; DROP', N'\\n') -- \ kept"
        );
        assert_eq!(
            backslashes_doubled("SELECT 'é\\', 'x'\n, '\\\\'"),
            "SELECT 'é\\\\', 'x'\n, '\\\\\\\\'"
        );
        assert!(matches!(
            backslashes_doubled("SELECT 'a'"),
            Cow::Borrowed(_)
        ));
    }
}
