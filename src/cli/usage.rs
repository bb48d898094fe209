//! "Did you mean" tips for the slips a newcomer makes first: a `db` verb typed without
//! `db` (`mb upgrade`), and a revision message without `-m` (`mb db migrate "posts"`).
//! The tip goes into clap's own error, which keeps its usage line and exit code 2.

use clap::CommandFactory;
use clap::error::{ContextKind, ContextValue, ErrorKind};

use super::Cli;

/// Adds the tip for this process's command line to `error`, if one fits.
pub(super) fn add_tip(error: &mut clap::Error) {
    let words: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(tip) = tip(error, &words) {
        error.insert(
            ContextKind::Suggested,
            ContextValue::StyledStrs(vec![tip.into()]),
        );
    }
}

fn tip(error: &clap::Error, words: &[String]) -> Option<String> {
    let ContextValue::String(offending) = error.get(match error.kind() {
        ErrorKind::InvalidSubcommand => ContextKind::InvalidSubcommand,
        ErrorKind::UnknownArgument => ContextKind::InvalidArg,
        _ => return None,
    })?
    else {
        return None;
    };
    let at = words.iter().position(|w| w == offending)?;
    let mut fixed: Vec<String> = words.to_vec();
    match error.kind() {
        ErrorKind::InvalidSubcommand => {
            let db = Cli::command();
            db.find_subcommand("db")?.find_subcommand(offending)?;
            fixed.insert(at, "db".to_string());
        }
        _ => {
            // A positional word after `db migrate` or `db revision`, which take none.
            let verb = words[..at]
                .iter()
                .position(|w| w == "db")
                .and_then(|db| words.get(db + 1))?;
            if !matches!(verb.as_str(), "migrate" | "revision") || offending.starts_with('-') {
                return None;
            }
            fixed[at] = format!("-m {}", shell_quoted(offending));
        }
    }
    Some(format!("did you mean `mb {}`?", fixed.join(" ")))
}

/// `text` as a shell word: double-quoted unless it is plain.
fn shell_quoted(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@+".contains(c));
    if plain {
        return text.to_string();
    }
    let mut quoted = String::from('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn tip_for(line: &[&str]) -> Option<String> {
        let args: Vec<String> = line.iter().map(|s| s.to_string()).collect();
        let error = Cli::try_parse_from(&args).expect_err("a usage error");
        tip(&error, &args[1..])
    }

    #[test]
    fn a_db_verb_without_db_and_a_message_without_m_get_a_tip() {
        assert_eq!(
            tip_for(&["mb", "upgrade"]).as_deref(),
            Some("did you mean `mb db upgrade`?")
        );
        assert_eq!(
            tip_for(&["mb", "-q", "downgrade", "base"]).as_deref(),
            Some("did you mean `mb -q db downgrade base`?")
        );
        assert_eq!(
            tip_for(&["mb", "db", "migrate", "posts table"]).as_deref(),
            Some("did you mean `mb db migrate -m \"posts table\"`?")
        );
        assert_eq!(
            tip_for(&["mb", "db", "revision", "add_index"]).as_deref(),
            Some("did you mean `mb db revision -m add_index`?")
        );
        assert_eq!(tip_for(&["mb", "frobnicate"]), None);
        assert_eq!(tip_for(&["mb", "db", "upgrade", "--frob"]), None);
        assert_eq!(shell_quoted("it's \"$5\""), "\"it's \\\"\\$5\\\"\"");
    }
}
