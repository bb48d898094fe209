//! Small helpers for text: the wording of messages, and reading files as text.

/// `1 revision`, `3 revisions`.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `1 revision is`, `0 revisions are`.
pub fn plural_is(count: usize, noun: &str) -> String {
    let verb = if count == 1 { "is" } else { "are" };
    format!("{} {verb}", plural(count, noun))
}

/// Bytes as lowercase hex digits.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Text folded onto one line and cut to `max` characters, for one-line messages.
pub fn one_line(text: &str, max: usize) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= max {
        return folded;
    }
    let cut: String = folded.chars().take(max).collect();
    format!("{cut}…")
}

/// The text of a file's `bytes`, or, when they are not UTF-8, the message
/// `<shown>:<line>: the file is not UTF-8 text; save it as UTF-8`.
/// `shown` names the file in the message; it is only formatted when the text is not UTF-8.
pub fn utf8_text(bytes: Vec<u8>, shown: impl std::fmt::Display) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        format!("{shown}:{line}: the file is not UTF-8 text; save it as UTF-8")
    })
}

/// CRLF and lone CR become LF, and a UTF-8 byte order mark is dropped, so checksums do
/// not change when a file passes through an editor on another system.
pub fn normalize_line_endings(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.contains('\r') {
        return text.to_string();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_and_folding() {
        assert_eq!(plural(1, "revision"), "1 revision");
        assert_eq!(plural(0, "step"), "0 steps");
        assert_eq!(plural_is(1, "revision"), "1 revision is");
        assert_eq!(plural_is(2, "revision"), "2 revisions are");
        assert_eq!(one_line("a\n  b\tc", 10), "a b c");
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
    }

    #[test]
    fn text_that_is_not_utf8_names_its_line() {
        assert_eq!(utf8_text(b"a\nb".to_vec(), "f").unwrap(), "a\nb");
        assert_eq!(
            utf8_text(b"a\nb\n\xe9\n".to_vec(), "f").unwrap_err(),
            "f:3: the file is not UTF-8 text; save it as UTF-8"
        );
    }
}
