//! Revision targets as users type them: `head`, `heads`, `base`, a full or partial id,
//! `+2` / `-1` (relative to the database's current revision), `ae10+2`, `ae10-1`.

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The single head; an error when there are several.
    Head,
    /// Every head.
    Heads,
    /// Before the first revision.
    Base,
    /// A full or partial revision id.
    Revision(String),
    /// N steps from the database's current revision.
    Relative(i64),
    /// N steps from a named revision.
    FromRevision(String, i64),
}

impl Target {
    pub fn parse(text: &str) -> Result<Target> {
        let text = text.trim();
        let invalid = || {
            Error::script(format!(
                "'{text}' is not a revision target; use head, heads, base, a revision id (or a unique prefix of one), +N, -N or REV+N"
            ))
        };
        match text {
            "" => return Err(invalid()),
            "head" => return Ok(Target::Head),
            "heads" => return Ok(Target::Heads),
            "base" => return Ok(Target::Base),
            _ => {}
        }
        let is_id =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let steps = |sign: char, digits: &str| -> Result<i64> {
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid());
            }
            let n: i64 = digits.parse().map_err(|_| invalid())?;
            Ok(if sign == '-' { -n } else { n })
        };
        match text.find(['+', '-']) {
            None if is_id(text) => Ok(Target::Revision(text.to_string())),
            None => Err(invalid()),
            Some(0) => Ok(Target::Relative(steps(
                text.as_bytes()[0] as char,
                &text[1..],
            )?)),
            Some(i) if is_id(&text[..i]) => Ok(Target::FromRevision(
                text[..i].to_string(),
                steps(text.as_bytes()[i] as char, &text[i + 1..])?,
            )),
            Some(_) => Err(invalid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(Target::parse("head").unwrap(), Target::Head);
        assert_eq!(Target::parse("heads").unwrap(), Target::Heads);
        assert_eq!(Target::parse("base").unwrap(), Target::Base);
        assert_eq!(
            Target::parse("ae10").unwrap(),
            Target::Revision("ae10".into())
        );
        assert_eq!(Target::parse("+2").unwrap(), Target::Relative(2));
        assert_eq!(Target::parse("-1").unwrap(), Target::Relative(-1));
        assert_eq!(
            Target::parse("ae10+3").unwrap(),
            Target::FromRevision("ae10".into(), 3)
        );
        assert_eq!(
            Target::parse("ae10-1").unwrap(),
            Target::FromRevision("ae10".into(), -1)
        );
    }

    #[test]
    fn rejects_malformed_targets() {
        for bad in ["", "+", "-x", "a+b", "a b", "héad", "+1+1", "--1"] {
            let err = Target::parse(bad).unwrap_err().message;
            assert!(err.contains("is not a revision target"), "{bad}: {err}");
        }
    }
}
