//! Passwords never appear in output. Every message that shows a database URL, part of
//! one, or a line of configuration goes through [`mask_passwords`].

use std::ops::Range;

/// `text` with the password of every `scheme://user:password@host` in it replaced by
/// `***`, and, when the text is about the URL `url` (which may be malformed), every
/// `:password@` of that URL's password too: a suggested correction can move the
/// password out of the URL's shape (`sqlite://bob:pw@x/app.db` becomes
/// `sqlite:///bob:pw@x/app.db`).
pub fn mask_passwords(text: &str, url: Option<&str>) -> String {
    let mut masked = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (before, after) = rest.split_at(i + 3);
        masked.push_str(before);
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '<' | '>'))
            .unwrap_or(after.len());
        let found = &after[..end];
        match password_range(found) {
            Some(password) => {
                masked.push_str(&found[..password.start]);
                masked.push_str("***");
                masked.push_str(&found[password.end..]);
            }
            None => masked.push_str(found),
        }
        rest = &after[end..];
    }
    masked.push_str(rest);
    let password = url.and_then(|url| {
        let (_, after_scheme) = url.split_once(':')?;
        password_range(after_scheme).map(|range| &after_scheme[range])
    });
    match password {
        Some(password) => masked.replace(&format!(":{password}@"), ":***@"),
        None => masked,
    }
}

/// Where the password is in `location`, what follows a URL's `scheme:`: past any
/// slashes, the text between the first `:` and the last `@` before the query. Lenient
/// on purpose, for malformed URLs (a `/` in the password, missing slashes).
fn password_range(location: &str) -> Option<Range<usize>> {
    let start = location.len() - location.trim_start_matches('/').len();
    let end = location
        .find(['?', '#'])
        .unwrap_or(location.len())
        .max(start);
    let at = start + location[start..end].rfind('@')?;
    let colon = start + location[start..at].find(':')? + 1;
    (colon < at).then_some(colon..at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_of_any_shape_are_masked() {
        let masked = |text: &str| mask_passwords(text, None);
        assert_eq!(masked("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(
            masked("mysql://a:b@h/db?x=y:z@"),
            "mysql://a:***@h/db?x=y:z@"
        );
        assert_eq!(
            masked("cannot reach 'postgresql://u:pa/ss@h:1/db' or postgres://v:w@h/x."),
            "cannot reach 'postgresql://u:***@h:1/db' or postgres://v:***@h/x."
        );
        assert_eq!(masked("sqlite:///a:b@c/app.db"), "sqlite:///a:***@c/app.db");
        assert_eq!(masked("no url: a:b@c"), "no url: a:b@c");
        assert_eq!(masked("sqlite://"), "sqlite://");
    }

    #[test]
    fn the_password_of_the_url_a_message_is_about_is_masked_wherever_it_went() {
        let url = "sqlite://bob:Pa55w0rd@x/app.db";
        assert_eq!(
            mask_passwords(
                "invalid database URL 'sqlite://bob:Pa55w0rd@x/app.db': use 'sqlite:///bob:Pa55w0rd@x/app.db' (or 'sqlite:////bob:Pa55w0rd@x/app.db')",
                Some(url)
            ),
            "invalid database URL 'sqlite://bob:***@x/app.db': use 'sqlite:///bob:***@x/app.db' (or 'sqlite:////bob:***@x/app.db')"
        );
        assert_eq!(
            mask_passwords(
                "use 'postgresql:bob:pw@h/db'",
                Some("postgresql:bob:pw@h/db")
            ),
            "use 'postgresql:bob:***@h/db'"
        );
        // Without a password in the URL, nothing else is touched.
        assert_eq!(mask_passwords("a:b@c", Some("sqlite:///app.db")), "a:b@c");
    }
}
