//! Revision targets as users type them: `head`, `heads`, `base`, a full or partial id or
//! a branch label, `+2` / `-1` (relative to the database's current revision), `ae10+2`,
//! `ae10-1`, `head-1`, `base+2`, and any of these after a branch selector: `email@head`,
//! `email@base`, `email@+1`, `email@-1`, `ae10@head`.

use super::graph::{RevisionGraph, Scope};
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `LABEL@` or `REV@`: the branch the point is on.
    pub branch: Option<String>,
    pub point: Point,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Point {
    /// The single head, or N revisions before it (`head-2`).
    Head(i64),
    /// Every head.
    Heads,
    /// Before the first revision, or N revisions after that (`base+2`).
    Base(i64),
    /// A full or partial revision id or a branch label, and steps from it (`ae10+2`).
    Revision(String, i64),
    /// N steps from the database's current revision.
    Relative(i64),
}

impl Target {
    /// A target on the whole graph.
    pub fn at(point: Point) -> Target {
        Target {
            branch: None,
            point,
        }
    }

    pub fn parse(text: &str) -> Result<Target> {
        let text = text.trim();
        let invalid = || {
            Error::script(format!(
                "'{text}' is not a revision target; use head, heads, base, a revision id (or a unique prefix of one), a branch label, +N, -N, REV+N, REV-N, or LABEL@ before any of them"
            ))
        };
        let is_id =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let (branch, rest) = match text.split_once('@') {
            Some((branch, rest)) if is_id(branch) => (Some(branch.to_string()), rest),
            Some(_) => return Err(invalid()),
            None => (None, text),
        };
        let (name, steps) = match rest.find(['+', '-']) {
            None => (rest, 0),
            Some(i) => {
                let digits = &rest[i + 1..];
                if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                    return Err(invalid());
                }
                let n: i64 = digits.parse().map_err(|_| invalid())?;
                (&rest[..i], if rest.as_bytes()[i] == b'-' { -n } else { n })
            }
        };
        let point = match name {
            "" if steps != 0 => Point::Relative(steps),
            "head" if steps <= 0 => Point::Head(steps),
            "head" => {
                return Err(Error::script(format!(
                    "'{text}' points past the head; nothing comes after it"
                )));
            }
            "heads" if steps == 0 => Point::Heads,
            "heads" => {
                return Err(Error::script(format!(
                    "'{text}' counts from several heads; count from one with head{}{} or REV{}{}",
                    if steps > 0 { "+" } else { "" },
                    steps,
                    if steps > 0 { "+" } else { "" },
                    steps
                )));
            }
            "base" if steps >= 0 => Point::Base(steps),
            "base" => {
                return Err(Error::script(format!(
                    "'{text}' points before the base; nothing comes before it"
                )));
            }
            name if is_id(name) => Point::Revision(name.to_string(), steps),
            _ => return Err(invalid()),
        };
        Ok(Target { branch, point })
    }

    /// The branch this target is on, resolved against `graph`.
    pub fn scope(&self, graph: &RevisionGraph) -> Result<Option<Scope>> {
        self.branch.as_deref().map(|b| graph.scope(b)).transpose()
    }

    /// The revisions the target names without looking at a database: its point, walked
    /// as far as it says. `None` stands for base. Relative targets need a database and
    /// are refused here.
    pub fn resolve(&self, graph: &RevisionGraph) -> Result<Vec<Option<usize>>> {
        let scope = self.scope(graph)?;
        let scope = scope.as_ref();
        Ok(match &self.point {
            Point::Heads => heads_on(graph, scope)?.into_iter().map(Some).collect(),
            Point::Head(steps) => {
                vec![graph.walk(Some(single_head(graph, scope)?), *steps, scope)?]
            }
            Point::Base(steps) => vec![graph.walk(None, *steps, scope)?],
            Point::Revision(name, steps) => {
                let start = revision_on(graph, name, scope)?;
                vec![graph.walk(Some(start), *steps, scope)?]
            }
            Point::Relative(_) => {
                return Err(Error::script(format!(
                    "'{self}' counts from the database's current revision; name a revision instead"
                )));
            }
        })
    }

    /// The one revision the target names (`None` for base), for commands that take one.
    pub fn resolve_one(&self, graph: &RevisionGraph) -> Result<Option<usize>> {
        match self.resolve(graph)?.as_slice() {
            [one] => Ok(*one),
            [] => Err(Error::script(format!("'{self}' names no revision"))),
            many => Err(Error::script(format!(
                "'{self}' names several revisions ({}); name one of them",
                graph.ids(&many.iter().flatten().copied().collect::<Vec<_>>())
            ))),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(branch) = &self.branch {
            write!(f, "{branch}@")?;
        }
        let steps = |f: &mut std::fmt::Formatter<'_>, n: i64| match n {
            0 => Ok(()),
            n if n > 0 => write!(f, "+{n}"),
            n => write!(f, "{n}"),
        };
        match &self.point {
            Point::Head(n) => {
                f.write_str("head")?;
                steps(f, *n)
            }
            Point::Heads => f.write_str("heads"),
            Point::Base(n) => {
                f.write_str("base")?;
                steps(f, *n)
            }
            Point::Revision(name, n) => {
                f.write_str(name)?;
                steps(f, *n)
            }
            Point::Relative(n) => steps(f, *n),
        }
    }
}

/// The heads on `scope` (all heads without one).
pub fn heads_on(graph: &RevisionGraph, scope: Option<&Scope>) -> Result<Vec<usize>> {
    let heads: Vec<usize> = graph
        .heads()
        .into_iter()
        .filter(|&i| scope.is_none_or(|s| s.members[i]))
        .collect();
    if heads.is_empty() {
        return Err(Error::script(match scope {
            Some(s) => format!("{} has no head", s.describe(graph)),
            None => {
                "there are no revisions yet; `mb db revision` or `mb db migrate` writes the first"
                    .into()
            }
        }));
    }
    Ok(heads)
}

/// The single head on `scope`; several are an error that says how to choose.
pub fn single_head(graph: &RevisionGraph, scope: Option<&Scope>) -> Result<usize> {
    let heads = heads_on(graph, scope)?;
    match (heads.as_slice(), scope) {
        ([one], _) => Ok(*one),
        (_, None) => Err(Error::script(format!(
            "the migrations have {} heads ({}); merge them with `mb db merge heads`, or name one (`mb db heads` lists them; `heads` means all of them)",
            heads.len(),
            graph.described(heads.iter().copied())
        ))),
        (_, Some(s)) => Err(Error::script(format!(
            "{} has {} heads ({}); use {}@heads for all of them, or name one",
            s.describe(graph),
            heads.len(),
            graph.ids(&heads),
            s.name
        ))),
    }
}

/// A revision named on `scope`: prefixes are matched among the branch and what it is
/// built on, and the revision must be one of those.
pub fn revision_on(graph: &RevisionGraph, name: &str, scope: Option<&Scope>) -> Result<usize> {
    let Some(scope) = scope else {
        return graph.resolve_id(name);
    };
    let below = graph.ancestors(
        &(0..graph.len())
            .filter(|&i| scope.members[i])
            .collect::<Vec<_>>(),
    );
    let found = graph.resolve_among(name, Some(&below))?;
    if !below[found] {
        return Err(Error::script(format!(
            "revision {} is neither on {} nor below it",
            graph.revision(found).id,
            scope.describe(graph)
        )));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Target {
        Target::parse(text).unwrap()
    }

    fn on(branch: &str, point: Point) -> Target {
        Target {
            branch: Some(branch.into()),
            point,
        }
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(parse("head"), Target::at(Point::Head(0)));
        assert_eq!(parse("heads"), Target::at(Point::Heads));
        assert_eq!(parse("base"), Target::at(Point::Base(0)));
        assert_eq!(parse("ae10"), Target::at(Point::Revision("ae10".into(), 0)));
        assert_eq!(parse("+2"), Target::at(Point::Relative(2)));
        assert_eq!(parse("-1"), Target::at(Point::Relative(-1)));
        assert_eq!(
            parse("ae10+3"),
            Target::at(Point::Revision("ae10".into(), 3))
        );
        assert_eq!(
            parse("ae10-1"),
            Target::at(Point::Revision("ae10".into(), -1))
        );
        assert_eq!(parse("head-2"), Target::at(Point::Head(-2)));
        assert_eq!(parse("base+2"), Target::at(Point::Base(2)));
        assert_eq!(parse("email@head"), on("email", Point::Head(0)));
        assert_eq!(parse("email@heads"), on("email", Point::Heads));
        assert_eq!(parse("email@base"), on("email", Point::Base(0)));
        assert_eq!(parse("email@+1"), on("email", Point::Relative(1)));
        assert_eq!(parse("email@-1"), on("email", Point::Relative(-1)));
        assert_eq!(
            parse("email@ae1+1"),
            on("email", Point::Revision("ae1".into(), 1))
        );
        for text in [
            "head",
            "heads",
            "base",
            "ae10",
            "+2",
            "-1",
            "ae10-1",
            "head-2",
            "base+2",
            "email@head",
            "email@-1",
            "e@ae1+1",
        ] {
            assert_eq!(parse(text).to_string(), text);
        }
    }

    #[test]
    fn rejects_malformed_targets() {
        for bad in [
            "", "+", "-x", "a+b", "a b", "héad", "+1+1", "--1", "@head", "a@", "a@b@c", "a-b@c",
        ] {
            let err = Target::parse(bad).unwrap_err().message;
            assert!(err.contains("is not a revision target"), "{bad}: {err}");
        }
        assert!(
            Target::parse("head+1")
                .unwrap_err()
                .message
                .contains("past the head")
        );
        assert!(
            Target::parse("base-1")
                .unwrap_err()
                .message
                .contains("before the base")
        );
        assert!(
            Target::parse("heads-1")
                .unwrap_err()
                .message
                .contains("count from one with head-1")
        );
    }

    #[test]
    fn resolves_labels_and_branch_selectors() {
        // Alembic's LabeledBranchTest
        let g = crate::script::graph::tests::labelled();
        let one = |text: &str| -> Result<Option<String>> {
            Ok(parse(text)
                .resolve_one(&g)?
                .map(|i| g.revision(i).id.clone()))
        };
        let id = |text: &str| one(text).unwrap().unwrap_or_else(|| "base".into());
        assert_eq!(id("ebranch@head"), "f");
        assert_eq!(id("abranch@head"), "c");
        assert_eq!(id("abranch@heads"), "c");
        assert_eq!(id("abranch@base"), "base");
        assert_eq!(id("ebranch@d"), "d", "d is below the branch");
        assert_eq!(id("ebranch@some"), "someothername");
        assert_eq!(id("abranch@some"), "somelongername");
        assert_eq!(id("ebranch@ebranch"), "e");
        assert_eq!(id("abranch"), "a");
        assert_eq!(id("e@d"), "d");
        assert_eq!(id("someoth@d"), "d");
        assert_eq!(id("ebranch@base+2"), "someothername");
        assert_eq!(id("f-2"), "e");
        assert_eq!(
            one("abranch@d").unwrap_err().message,
            "revision d is neither on branch abranch (which starts at a) nor below it"
        );
        assert!(
            one("abranch@q")
                .unwrap_err()
                .message
                .starts_with("no revision 'q'")
        );
        assert!(
            one("x@d")
                .unwrap_err()
                .message
                .starts_with("no branch label or revision 'x'")
        );
        assert_eq!(
            one("head").unwrap_err().message,
            "the migrations have 2 heads (c (c), f (f)); merge them with `mb db merge heads`, or name one (`mb db heads` lists them; `heads` means all of them)"
        );
        assert_eq!(
            one("heads").unwrap_err().message,
            "'heads' names several revisions (c, f); name one of them"
        );
        assert_eq!(
            one("+1").unwrap_err().message,
            "'+1' counts from the database's current revision; name a revision instead"
        );
    }
}
