//! Upgrade, downgrade and stamp plans: which revisions run, in which order, and what the
//! version table holds after each one. Pure: computed from the graph and the version
//! rows, so the same plan can be printed (`--sql`), tested, or executed.

use std::collections::BTreeSet;

use crate::script::RevisionGraph;
use crate::script::graph::{Marks, Replaced, Scope};
use crate::script::target::{Point, Target};
use crate::text::{plural, plural_is};
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// One revision to run, and the version rows around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub revision: usize,
    pub direction: Direction,
    /// The version rows this step expects to find; anything else means another process
    /// migrated in between.
    pub heads_before: BTreeSet<usize>,
    pub heads_after: BTreeSet<usize>,
}

impl Step {
    /// Version rows to delete and to insert.
    pub fn head_changes(&self) -> (Vec<usize>, Vec<usize>) {
        (
            self.heads_before
                .difference(&self.heads_after)
                .copied()
                .collect(),
            self.heads_after
                .difference(&self.heads_before)
                .copied()
                .collect(),
        )
    }
}

/// What is applied: a set of revisions closed under ancestry (parents and
/// dependencies), and the fewest revisions that imply it: the version table's rows.
#[derive(Debug, Clone)]
pub struct State<'g> {
    graph: &'g RevisionGraph,
    pub applied: Marks,
    pub heads: BTreeSet<usize>,
}

impl<'g> State<'g> {
    /// The state the version table's rows describe.
    pub fn from_rows(graph: &'g RevisionGraph, rows: &[String]) -> Result<State<'g>> {
        let mut heads = BTreeSet::new();
        for row in rows {
            let index = match (graph.find(row), graph.replaced(row)) {
                (Some(index), _) => index,
                // Whoever applied the last revision a squash replaced applied the squash.
                (None, Some(Replaced { by, last: true })) => by,
                (None, Some(Replaced { by, last: false })) => {
                    return Err(Error::script(format!(
                        "the database is at revision {row}, part way through the revisions that squash revision {} replaced; `mb db upgrade` runs the rest of them from the replaced directory, then goes on (docs/squash.md)",
                        graph.revision(by).id
                    )));
                }
                (None, None) => {
                    return Err(Error::safety(format!(
                        "the database is at revision {row}, which is not in the migrations; restore its file, or record where the database really is with `mb db stamp --purge REV`"
                    )));
                }
            };
            heads.insert(index);
        }
        let applied = graph.ancestors(&heads.iter().copied().collect::<Vec<_>>());
        let heads = graph.heads_of(&applied);
        Ok(State {
            graph,
            applied,
            heads,
        })
    }

    pub fn applied_count(&self) -> usize {
        self.applied.iter().filter(|a| **a).count()
    }

    /// Applies `revision`, whose requirements are applied: it replaces the rows of its
    /// parents and dependencies.
    pub(super) fn up(&mut self, revision: usize) -> Step {
        let heads_before = self.heads.clone();
        for required in self.graph.requirements(revision) {
            self.heads.remove(required);
        }
        self.heads.insert(revision);
        self.applied[revision] = true;
        Step {
            revision,
            direction: Direction::Up,
            heads_before,
            heads_after: self.heads.clone(),
        }
    }

    /// Unapplies `revision`, on which nothing applied is built: its parents and
    /// dependencies get rows again unless something else still implies them.
    pub(super) fn down(&mut self, revision: usize) -> Step {
        let graph = self.graph;
        let heads_before = self.heads.clone();
        self.heads.remove(&revision);
        self.applied[revision] = false;
        for &required in graph.requirements(revision) {
            if !graph.built_on(required).any(|&c| self.applied[c]) {
                self.heads.insert(required);
            }
        }
        Step {
            revision,
            direction: Direction::Down,
            heads_before,
            heads_after: self.heads.clone(),
        }
    }

    /// The one current head, for `-N`.
    fn current_head(&self, target: &Target) -> Result<Option<usize>> {
        match self.heads.len() {
            0 => Ok(None),
            1 => Ok(self.heads.first().copied()),
            _ => {
                let first = self
                    .graph
                    .revision(*self.heads.first().expect("a head"))
                    .id
                    .clone();
                Err(Error::script(format!(
                    "downgrade {target} is ambiguous: the database has several current heads ({}); undo the last revision of one branch with `mb db downgrade {first}@-1` (or LABEL@-1), or name a revision",
                    self.graph
                        .ids(&self.heads.iter().copied().collect::<Vec<_>>())
                )))
            }
        }
    }
}

/// The revisions an upgrade target stands for (their ancestors get applied too).
pub fn upgrade_targets(state: &State, target: &Target) -> Result<Vec<usize>> {
    let graph = state.graph;
    let scope = target.scope(graph)?;
    match target.point {
        Point::Head(0) | Point::Heads if graph.is_empty() => Ok(Vec::new()),
        Point::Relative(steps) if steps < 0 => Err(Error::script(format!(
            "upgrade moves forward; to go back {} run `mb db downgrade {target}`",
            plural(steps.unsigned_abs() as usize, "revision")
        ))),
        Point::Relative(steps) => next_revisions(state, steps as usize, scope.as_ref()),
        Point::Head(0) if scope.is_none() && graph.heads().len() > 1 => {
            let heads = graph.heads();
            Err(Error::script(format!(
                "the migrations have {} heads ({}); merge them into one with `mb db merge heads`, or apply every branch with `mb db upgrade heads`",
                heads.len(),
                graph.described(heads)
            )))
        }
        _ => Ok(target.resolve(graph)?.into_iter().flatten().collect()),
    }
}

/// The next `count` revisions after the current state, one at a time; each must be the
/// only one that can run next. On a branch, only its revisions count, and what one of
/// them is built on outside the branch comes along.
fn next_revisions(state: &State, count: usize, scope: Option<&Scope>) -> Result<Vec<usize>> {
    let graph = state.graph;
    let inside = |i: usize| scope.is_none_or(|s| s.members[i]);
    let on = scope
        .map(|s| format!(" on {}", s.describe(graph)))
        .unwrap_or_default();
    let mut simulated = state.clone();
    let mut last = Vec::new();
    for taken in 0..count {
        let ready: Vec<usize> = (0..graph.len())
            .filter(|&i| {
                inside(i)
                    && !simulated.applied[i]
                    && graph
                        .requirements(i)
                        .all(|&r| simulated.applied[r] || !inside(r))
            })
            .collect();
        match ready.as_slice() {
            [one] => {
                for step in upgrade_plan(&simulated.clone(), &[*one]) {
                    simulated.up(step.revision);
                }
                last = vec![*one];
            }
            [] => {
                return Err(Error::script(format!(
                    "cannot upgrade {}{on}: only {} pending",
                    plural(count, "revision"),
                    plural_is(taken, "revision")
                )));
            }
            many => {
                return Err(Error::script(format!(
                    "upgrade +{count}{on} is ambiguous: {} could all run next; name a revision instead",
                    graph.ids(many)
                )));
            }
        }
    }
    Ok(last)
}

/// Applies every ancestor of `targets` that is not applied yet, parents first.
pub fn upgrade_plan(state: &State, targets: &[usize]) -> Vec<Step> {
    let graph = state.graph;
    let needed = graph.ancestors(targets);
    let mut simulated = state.clone();
    (0..graph.len())
        .filter(|&i| needed[i] && !state.applied[i])
        .map(|i| simulated.up(i))
        .collect()
}

/// Unapplies revisions, newest first: what was built on a target revision (by
/// `Revises:`) and whatever depends on that, everything for `base`, the last N for `-N`;
/// on a branch (`LABEL@…`), only that branch's revisions and what depends on them.
pub fn downgrade_plan(state: &State, target: &Target) -> Result<Vec<Step>> {
    let graph = state.graph;
    let scope = target.scope(graph)?;
    let scope = scope.as_ref();
    let to = match &target.point {
        Point::Relative(steps) if *steps < 0 && scope.is_none() => {
            let mut simulated = state.clone();
            let mut steps_taken = Vec::new();
            for taken in 0..steps.unsigned_abs() {
                let Some(head) = simulated.current_head(target)? else {
                    return Err(Error::script(format!(
                        "cannot downgrade {}: only {} applied",
                        plural(steps.unsigned_abs() as usize, "revision"),
                        plural_is(taken as usize, "revision")
                    )));
                };
                steps_taken.push(simulated.down(head));
            }
            return Ok(steps_taken);
        }
        Point::Relative(steps) if *steps < 0 => {
            let scope = scope.expect("a branch");
            let applied_heads: Vec<usize> = (0..graph.len())
                .filter(|&i| {
                    scope.members[i]
                        && state.applied[i]
                        && !graph
                            .children(i)
                            .iter()
                            .any(|&c| scope.members[c] && state.applied[c])
                })
                .collect();
            match applied_heads.as_slice() {
                [head] => graph.walk(Some(*head), *steps, Some(scope))?,
                [] => {
                    return Err(Error::script(format!(
                        "cannot downgrade {target}: nothing on {} is applied",
                        scope.describe(graph)
                    )));
                }
                many => {
                    return Err(Error::script(format!(
                        "downgrade {target} is ambiguous: {} is applied up to several revisions ({}); name one",
                        scope.describe(graph),
                        graph.ids(many)
                    )));
                }
            }
        }
        Point::Relative(_) | Point::Heads | Point::Head(0) => {
            return Err(Error::script(
                "downgrade moves back; use base, -N, a revision id or LABEL@base (upgrade moves forward)",
            ));
        }
        _ => target.resolve_one(graph)?,
    };
    if let Some(to) = to
        && !state.applied[to]
    {
        return Err(Error::script(format!(
            "revision {} is not applied, so the database cannot be downgraded to it; `mb db current` shows where it is",
            graph.revision(to).id
        )));
    }
    // What is above the target on its line, then whatever is built on that.
    let above = match to {
        Some(to) => {
            let mut line = graph.descendants_by_revises(to);
            line[to] = false;
            line
        }
        None => vec![true; graph.len()],
    };
    let chosen: Vec<usize> = (0..graph.len())
        .filter(|&i| state.applied[i] && above[i] && scope.is_none_or(|s| s.members[i]))
        .collect();
    let remove = graph.descendants(&chosen);
    let mut simulated = state.clone();
    Ok((0..graph.len())
        .rev()
        .filter(|&i| remove[i] && state.applied[i])
        .map(|i| simulated.down(i))
        .collect())
}

/// The state after stamping `targets`: each target and its ancestors count as applied,
/// and whatever was built on a target does not. `-N` and `LABEL@base` unapply what a
/// downgrade to them would.
pub fn stamp_state<'g>(state: &State<'g>, targets: &[Target]) -> Result<State<'g>> {
    let graph = state.graph;
    let mut simulated = state.clone();
    for target in targets {
        match target.point {
            Point::Base(0) if target.branch.is_none() => {
                simulated.applied = vec![false; graph.len()];
            }
            Point::Relative(steps) if steps < 0 => {
                unapply(&mut simulated, target)?;
            }
            Point::Base(0) => unapply(&mut simulated, target)?,
            _ => {
                for stamped in upgrade_targets(&simulated, target)? {
                    let above = graph.descendants(&[stamped]);
                    let below = graph.ancestors(&[stamped]);
                    for i in 0..graph.len() {
                        simulated.applied[i] = below[i] || (simulated.applied[i] && !above[i]);
                    }
                }
            }
        }
        simulated.heads = graph.heads_of(&simulated.applied);
    }
    Ok(simulated)
}

fn unapply(simulated: &mut State, target: &Target) -> Result<()> {
    for step in downgrade_plan(&simulated.clone(), target)? {
        simulated.applied[step.revision] = false;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Modelled on Alembic's revision-graph tests (tests/test_version_traversal.py and
    //! tests/test_revision.py): each case is checked by its plan, step by step, with the
    //! version rows after every step. Where mb decides differently, the test says so.

    use super::*;
    use crate::script::graph::tests::{g, labelled};

    fn rows(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    /// Each step as `+id` / `-id` followed by the version rows after it.
    fn describe(g: &RevisionGraph, steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| {
                let sign = if s.direction == Direction::Up {
                    '+'
                } else {
                    '-'
                };
                let heads: Vec<&str> = s
                    .heads_after
                    .iter()
                    .map(|&i| g.revision(i).id.as_str())
                    .collect();
                format!("{sign}{} [{}]", g.revision(s.revision).id, heads.join(" "))
            })
            .collect()
    }

    fn try_up(g: &RevisionGraph, current: &[&str], target: &str) -> Result<Vec<String>> {
        let state = State::from_rows(g, &rows(current))?;
        let targets = upgrade_targets(&state, &Target::parse(target)?)?;
        Ok(describe(g, &upgrade_plan(&state, &targets)))
    }

    fn try_down(g: &RevisionGraph, current: &[&str], target: &str) -> Result<Vec<String>> {
        let state = State::from_rows(g, &rows(current))?;
        Ok(describe(
            g,
            &downgrade_plan(&state, &Target::parse(target)?)?,
        ))
    }

    fn up(g: &RevisionGraph, current: &[&str], target: &str) -> Vec<String> {
        try_up(g, current, target).unwrap_or_else(|e| panic!("upgrade {target}: {e}"))
    }

    fn down(g: &RevisionGraph, current: &[&str], target: &str) -> Vec<String> {
        try_down(g, current, target).unwrap_or_else(|e| panic!("downgrade {target}: {e}"))
    }

    fn up_err(g: &RevisionGraph, current: &[&str], target: &str) -> String {
        try_up(g, current, target).unwrap_err().message
    }

    fn down_err(g: &RevisionGraph, current: &[&str], target: &str) -> String {
        try_down(g, current, target).unwrap_err().message
    }

    /// The version rows after stamping `targets`.
    fn stamp(g: &RevisionGraph, current: &[&str], targets: &[&str]) -> Vec<String> {
        let state = State::from_rows(g, &rows(current)).unwrap();
        let targets: Vec<Target> = targets.iter().map(|t| Target::parse(t).unwrap()).collect();
        let after = stamp_state(&state, &targets).unwrap();
        after
            .heads
            .iter()
            .map(|&i| g.revision(i).id.clone())
            .collect()
    }

    /// The rows after the last step.
    fn last_rows(steps: &[String]) -> &str {
        let last = steps.last().expect("a step");
        &last[last.find('[').expect("rows")..]
    }

    /// The revisions the steps run, in order.
    fn revisions(steps: &[String]) -> Vec<&str> {
        steps
            .iter()
            .map(|s| s[1..s.find(' ').expect("rows")].as_ref())
            .collect()
    }

    // ----- a linear chain (RevisionPathTest) -----

    fn linear() -> RevisionGraph {
        g(&["a", "b < a", "c < b", "d < c", "e < d"])
    }

    #[test]
    fn linear_upgrades() {
        let g = linear();
        assert_eq!(up(&g, &["c"], "e"), ["+d [d]", "+e [e]"]);
        assert_eq!(up(&g, &[], "c"), ["+a [a]", "+b [b]", "+c [c]"]);
        assert_eq!(up(&g, &["a"], "+2"), ["+b [b]", "+c [c]"]);
        assert_eq!(up(&g, &["a"], "+1"), ["+b [b]"]);
        assert_eq!(up(&g, &["b"], "+3"), ["+c [c]", "+d [d]", "+e [e]"]);
        assert_eq!(up(&g, &["a"], "b+2"), ["+b [b]", "+c [c]", "+d [d]"]);
        assert_eq!(up(&g, &["a"], "d-2"), ["+b [b]"]);
        assert_eq!(up(&g, &[], "head-2"), ["+a [a]", "+b [b]", "+c [c]"]);
        assert_eq!(up(&g, &[], "base+1"), ["+a [a]"]);
        assert_eq!(up(&g, &[], "head").len(), 5);
        assert!(up(&g, &["e"], "head").is_empty());
        assert!(up(&g, &["e"], "c").is_empty(), "c is below: nothing to do");
        assert_eq!(
            up_err(&g, &["b"], "+5"),
            "cannot upgrade 5 revisions: only 3 revisions are pending"
        );
        assert_eq!(
            up_err(&g, &["b"], "-2"),
            "upgrade moves forward; to go back 2 revisions run `mb db downgrade -2`"
        );
    }

    #[test]
    fn linear_downgrades() {
        let g = linear();
        assert_eq!(down(&g, &["e"], "c"), ["-e [d]", "-d [c]"]);
        assert_eq!(down(&g, &["c"], "base"), ["-c [b]", "-b [a]", "-a []"]);
        assert_eq!(down(&g, &["c"], "-1"), ["-c [b]"]);
        assert_eq!(down(&g, &["e"], "-3"), ["-e [d]", "-d [c]", "-c [b]"]);
        assert_eq!(down(&g, &["d"], "a+2"), ["-d [c]"]);
        assert_eq!(down(&g, &["d"], "c-2"), ["-d [c]", "-c [b]", "-b [a]"]);
        assert_eq!(down(&g, &["e"], "head-1"), ["-e [d]"]);
        assert_eq!(down(&g, &["c"], "base+1"), ["-c [b]", "-b [a]"]);
        assert!(down(&g, &[], "base").is_empty());
        assert!(down(&g, &["a"], "a").is_empty());
        assert!(down(&g, &["e"], "e").is_empty());
        assert_eq!(
            down_err(&g, &["b"], "-5"),
            "cannot downgrade 5 revisions: only 2 revisions are applied"
        );
        assert!(down_err(&g, &["b"], "+2").starts_with("downgrade moves back"));
        assert_eq!(
            down_err(&g, &[], "b"),
            "revision b is not applied, so the database cannot be downgraded to it; `mb db current` shows where it is"
        );
        assert!(down_err(&g, &["b"], "c").contains("revision c is not applied"));
        assert!(down_err(&g, &["b"], "head").starts_with("downgrade moves back"));
    }

    #[test]
    fn linear_stamps() {
        let g = linear();
        assert_eq!(stamp(&g, &[], &["head"]), ["e"]);
        assert_eq!(stamp(&g, &["e"], &["a"]), ["a"]);
        assert_eq!(stamp(&g, &["d"], &["base"]), Vec::<String>::new());
        assert_eq!(stamp(&g, &["e"], &["-1"]), ["d"]);
        assert_eq!(stamp(&g, &["a"], &["b"]), ["b"]);
    }

    // ----- a branch point with labelled branches (BranchedPathTest) -----

    /// a - b, then c1 - d1 (c1branch) and c2 - d2 (c2branch) on b.
    fn branched() -> RevisionGraph {
        g(&[
            "a",
            "b < a",
            "c1 < b # c1branch",
            "d1 < c1",
            "c2 < b # c2branch",
            "d2 < c2",
        ])
    }

    #[test]
    fn branched_upgrades() {
        let g = branched();
        assert_eq!(up(&g, &["b"], "d1"), ["+c1 [c1]", "+d1 [d1]"]);
        assert_eq!(
            up(&g, &["a"], "heads"),
            [
                "+b [b]",
                "+c1 [c1]",
                "+d1 [d1]",
                "+c2 [d1 c2]",
                "+d2 [d1 d2]"
            ]
        );
        assert_eq!(up(&g, &["b"], "c2branch@head-1"), ["+c2 [c2]"]);
        assert_eq!(
            up(&g, &[], "c2branch@head"),
            ["+a [a]", "+b [b]", "+c2 [c2]", "+d2 [d2]"]
        );
        // mb: a label's branch starts at the labelled revision, so base+1 is c1 (in
        // Alembic the label also covers a and b, and c1 is c1branch@base+3).
        assert_eq!(
            up(&g, &[], "c1branch@base+2"),
            ["+a [a]", "+b [b]", "+c1 [c1]", "+d1 [d1]"]
        );
        // Relative upgrades on one branch, across the branch point.
        assert_eq!(up(&g, &["c1"], "c2branch@+1"), ["+c2 [c1 c2]"]);
        assert_eq!(up(&g, &["c1", "c2"], "c2branch@+1"), ["+d2 [c1 d2]"]);
        assert_eq!(up(&g, &[], "+1"), ["+a [a]"]);
        assert_eq!(
            up_err(&g, &["c1", "c2"], "+1"),
            "upgrade +1 is ambiguous: d1, d2 could all run next; name a revision instead"
        );
        assert_eq!(
            up_err(&g, &[], "head"),
            "the migrations have 2 heads (d1 (d1), d2 (d2)); merge them into one with `mb db merge heads`, or apply every branch with `mb db upgrade heads`"
        );
        assert_eq!(
            up_err(&g, &["b"], "d"),
            "'d' is ambiguous: it starts d1 (d1), d2 (d2); type more of the id"
        );
        // On a branch, a prefix is looked up on that branch only.
        assert_eq!(up(&g, &["b"], "c2branch@d"), ["+c2 [c2]", "+d2 [d2]"]);
    }

    #[test]
    fn branched_downgrades() {
        let g = branched();
        assert_eq!(
            down(&g, &["d1", "d2"], "a"),
            ["-d2 [d1 c2]", "-c2 [d1]", "-d1 [c1]", "-c1 [b]", "-b [a]"]
        );
        assert_eq!(
            down(&g, &["d2", "d1"], "base+2"),
            ["-d2 [d1 c2]", "-c2 [d1]", "-d1 [c1]", "-c1 [b]"]
        );
        // Only one branch comes down. Alembic spells these c2branch@base+2 and +3.
        assert_eq!(
            down(&g, &["d2", "d1"], "c2branch@base"),
            ["-d2 [d1 c2]", "-c2 [d1]"]
        );
        assert_eq!(down(&g, &["d2", "d1"], "c2branch@base+1"), ["-d2 [d1 c2]"]);
        assert_eq!(down(&g, &["d2", "d1"], "c2"), ["-d2 [d1 c2]"]);
        assert_eq!(down(&g, &["d1", "d2"], "c1branch@-1"), ["-d1 [c1 d2]"]);
        assert_eq!(down(&g, &["d1", "d2"], "c1branch@head-1"), ["-d1 [c1 d2]"]);
        assert_eq!(down(&g, &["d1", "c2"], "c2branch@-1"), ["-c2 [d1]"]);
        assert_eq!(down(&g, &["d2", "c1"], "d2-1"), ["-d2 [c1 c2]"]);
        assert_eq!(down(&g, &["c1", "d2"], "c1branch@b"), ["-c1 [d2]"]);
        assert_eq!(
            down(&g, &["c1", "d2"], "c2branch@b"),
            ["-d2 [c1 c2]", "-c2 [c1]"]
        );
        // A revision names its line: itself, what is built on it, and its ancestors
        // back to the branch point.
        assert_eq!(down(&g, &["d1", "d2"], "c2@b"), ["-d2 [d1 c2]", "-c2 [d1]"]);
        assert_eq!(down(&g, &["d1", "d2"], "d1@b"), ["-d1 [c1 d2]", "-c1 [d2]"]);
        assert_eq!(down(&g, &["a"], "-1"), ["-a []"]);
        assert!(down(&g, &["d1", "c2"], "c2").is_empty());
        assert!(down(&g, &["d1", "c2"], "d1").is_empty());
        // Alembic picks one head (with a warning); mb asks.
        assert_eq!(
            down_err(&g, &["d2", "d1"], "-1"),
            "downgrade -1 is ambiguous: the database has several current heads (d1, d2); undo the last revision of one branch with `mb db downgrade d1@-1` (or LABEL@-1), or name a revision"
        );
        assert_eq!(
            down_err(&g, &[], "-1"),
            "cannot downgrade 1 revision: only 0 revisions are applied"
        );
        assert_eq!(
            down_err(&g, &["d1"], "c2branch@-1"),
            "cannot downgrade c2branch@-1: nothing on branch c2branch (which starts at c2) is applied"
        );
        assert_eq!(
            down_err(&g, &["d1", "d2"], "c1branch@d2"),
            "revision d2 is neither on branch c1branch (which starts at c1) nor below it"
        );
    }

    #[test]
    fn branched_stamps() {
        let g = branched();
        assert_eq!(stamp(&g, &["d1", "c2"], &["b"]), ["b"]);
        assert_eq!(stamp(&g, &["d1", "c2"], &["c1branch@base"]), ["c2"]);
        assert_eq!(stamp(&g, &["d1", "c2"], &["c2branch@head"]), ["d1", "d2"]);
        assert_eq!(stamp(&g, &[], &["heads"]), ["d1", "d2"]);
        assert_eq!(stamp(&g, &[], &["d1", "c2"]), ["d1", "c2"]);
    }

    // ----- labels on two roots (LabeledBranchTest) -----

    #[test]
    fn labelled_branches() {
        let g = labelled();
        assert_eq!(
            up(&g, &[], "ebranch@head"),
            [
                "+d [d]",
                "+e [e]",
                "+someothername [someothername]",
                "+f [f]"
            ]
        );
        assert_eq!(
            up(&g, &[], "ebranch@+2"),
            ["+d [d]", "+e [e]", "+someothername [someothername]"]
        );
        assert_eq!(
            down(&g, &["c", "f"], "ebranch@base"),
            ["-f [c someothername]", "-someothername [c e]", "-e [c d]"]
        );
        assert_eq!(
            down(&g, &["c", "f"], "ebranch@-2"),
            ["-f [c someothername]", "-someothername [c e]"]
        );
        // A revision's line has no branch point below it: REV@base is its whole root.
        assert_eq!(
            revisions(&down(&g, &["c", "f"], "someothername@base")),
            ["f", "someothername", "e", "d"]
        );
    }

    // ----- several roots (ForestTest, MultipleBaseTest) -----

    #[test]
    fn a_forest_of_two_roots() {
        let g = g(&["a1", "b1 < a1", "a2", "b2 < a2"]);
        assert_eq!(
            up(&g, &[], "heads"),
            ["+a1 [a1]", "+b1 [b1]", "+a2 [b1 a2]", "+b2 [b1 b2]"]
        );
        assert_eq!(up(&g, &[], "b2"), ["+a2 [a2]", "+b2 [b2]"]);
        assert_eq!(stamp(&g, &[], &["heads"]), ["b1", "b2"]);
        assert_eq!(stamp(&g, &["b1", "b2"], &["heads"]), ["b1", "b2"]);
        assert_eq!(
            up_err(&g, &[], "+1"),
            "upgrade +1 is ambiguous: a1, a2 could all run next; name a revision instead"
        );
        assert_eq!(
            up_err(&g, &[], "base+1"),
            "moving +1 is ambiguous at base: it leads to a1, a2; name the revision instead"
        );
    }

    #[test]
    fn multiple_bases_and_a_merge_of_two_roots() {
        let g = g(&[
            "base1",
            "base2",
            "base3",
            "a1a < base1",
            "a1b < base1",
            "a2 < base2",
            "a3 < base3",
            "b1a < a1a",
            "b1b < a1b",
            "b2 < a2",
            "b3 < a3",
            "c2 < b2",
            "d2 < c2",
            "mergeb3d2 < b3 d2",
        ]);
        assert_eq!(g.ids(&g.heads()), "b1a, b1b, mergeb3d2");
        assert_eq!(
            up(&g, &[], "mergeb3d2"),
            [
                "+base2 [base2]",
                "+a2 [a2]",
                "+b2 [b2]",
                "+c2 [c2]",
                "+d2 [d2]",
                "+base3 [d2 base3]",
                "+a3 [d2 a3]",
                "+b3 [d2 b3]",
                "+mergeb3d2 [mergeb3d2]"
            ]
        );
        let heads = ["b1a", "b1b", "mergeb3d2"];
        assert_eq!(
            down(&g, &heads, "c2"),
            ["-mergeb3d2 [b1a b1b d2 b3]", "-d2 [b1a b1b c2 b3]"]
        );
        assert_eq!(
            down(&g, &heads, "b3@base"),
            [
                "-mergeb3d2 [b1a b1b d2 b3]",
                "-b3 [b1a b1b d2 a3]",
                "-a3 [b1a b1b d2 base3]",
                "-base3 [b1a b1b d2]"
            ]
        );
        let all = down(&g, &heads, "base");
        assert_eq!((all.len(), last_rows(&all)), (14, "[]"));
    }

    // ----- dependencies between branches -----

    #[test]
    fn cross_dependencies_of_three_roots() {
        // MultipleBaseCrossDependencyTestOne
        let g = g(&[
            "base1 # b_1",
            "a1a < base1",
            "a1b < base1",
            "b1a < a1a",
            "b1b < a1b ^ a3",
            "base2 # b_2",
            "a2 < base2",
            "b2 < a2",
            "c2 < b2 ^ a3",
            "d2 < c2",
            "base3 # b_3",
            "a3 < base3",
            "b3 < a3",
        ]);
        assert_eq!(g.ids(&g.heads()), "b1a, b1b, d2, b3");
        // The 2 branch needs a3 from the 3 branch; a3's row goes when c2 implies it.
        assert_eq!(
            up(&g, &[], "b_2@head"),
            [
                "+base2 [base2]",
                "+a2 [a2]",
                "+b2 [b2]",
                "+base3 [b2 base3]",
                "+a3 [b2 a3]",
                "+c2 [c2]",
                "+d2 [d2]"
            ]
        );
        assert_eq!(
            up(&g, &[], "b_3@head"),
            ["+base3 [base3]", "+a3 [a3]", "+b3 [b3]"]
        );
        assert_eq!(
            revisions(&up(&g, &[], "b1b@head")),
            ["base1", "a1b", "base3", "a3", "b1b"]
        );
        let full = ["b1a", "b1b", "d2", "b3"];
        assert_eq!(
            down(&g, &full, "b_2@base"),
            [
                "-d2 [b1a b1b c2 b3]",
                "-c2 [b1a b2 b1b b3]",
                "-b2 [b1a a2 b1b b3]",
                "-a2 [b1a base2 b1b b3]",
                "-base2 [b1a b1b b3]"
            ]
        );
        // Taking the 3 branch down takes down what depends on it first.
        assert_eq!(
            down(&g, &full, "b_3@base"),
            [
                "-b3 [b1a b1b d2]",
                "-d2 [b1a b1b c2]",
                "-c2 [b1a b2 b1b]",
                "-b1b [b1a a1b b2 a3]",
                "-a3 [b1a a1b b2 base3]",
                "-base3 [b1a a1b b2]"
            ]
        );
    }

    #[test]
    fn cross_dependencies_on_a_base() {
        // MultipleBaseCrossDependencyTestTwo
        let g = g(&[
            "base1 # b_1",
            "a1 < base1",
            "b1 < a1",
            "c1 < b1",
            "base2 ^ base1 # b_2",
            "a2 < base2",
            "b2 < a2",
            "c2 < b2",
            "d2 < c2",
            "base3 # b_3",
            "a3 < base3",
            "b3 < a3",
            "c3 < b3 ^ b2",
            "d3 < c3",
        ]);
        assert_eq!(g.ids(&g.heads()), "c1, d2, d3");
        assert_eq!(
            up(&g, &[], "b_2@head"),
            [
                "+base1 [base1]",
                "+base2 [base2]",
                "+a2 [a2]",
                "+b2 [b2]",
                "+c2 [c2]",
                "+d2 [d2]"
            ]
        );
        let to_d3 = up(&g, &[], "b_3@head");
        assert_eq!(
            revisions(&to_d3),
            [
                "base1", "base2", "a2", "b2", "base3", "a3", "b3", "c3", "d3"
            ]
        );
        assert_eq!(last_rows(&to_d3), "[d3]");
        let full = ["c1", "d2", "d3"];
        let steps = down(&g, &full, "b_1@base");
        assert_eq!(steps.len(), 11);
        assert_eq!(last_rows(&steps), "[b3]");
        assert_eq!(
            revisions(&down(&g, &full, "b_2@base")),
            ["d3", "c3", "d2", "c2", "b2", "a2", "base2"]
        );
        assert_eq!(last_rows(&down(&g, &full, "b_2@base")), "[c1 b3]");
        assert_eq!(last_rows(&down(&g, &full, "b_3@base")), "[c1 d2]");
    }

    #[test]
    fn a_dependency_keeps_what_it_needs_applied() {
        // DependsOnBranchTestOne
        let g = g(&[
            "a1 # lib1",
            "b1 < a1",
            "c1 < b1",
            "a2",
            "b2 < a2",
            "c2 < b2 ^ c1",
            "d1 < c1",
            "e1 < d1",
            "f1 < e1",
        ]);
        assert_eq!(down(&g, &["c2", "d1"], "d1@-1"), ["-d1 [c2]"]);
        assert_eq!(down(&g, &["c2", "d1"], "c1"), ["-d1 [c2]"]);
        // Alembic leaves only b1 (dropping the a2 branch's rows); mb keeps what is not
        // built on b1.
        assert_eq!(stamp(&g, &["e1", "c2"], &["b1"]), ["b1", "b2"]);
    }

    #[test]
    fn merges_of_many_roots_with_dependencies() {
        // DependsOnBranchTestTwo ("kaboom")
        let g = g(&[
            "a1",
            "a2",
            "a3",
            "amerge < a1 a2 a3",
            "b1",
            "b2",
            "bmerge < b1 b2",
            "c1",
            "c2",
            "c3",
            "cmerge < c1 c2 c3",
            "d1 ^ a3 b2 c1",
        ]);
        let heads = ["amerge", "bmerge", "cmerge", "d1"];
        // b2 gets no row: d1 depends on it.
        assert_eq!(down(&g, &heads, "b2"), ["-bmerge [amerge b1 d1 cmerge]"]);
        // b2 gets its row back once d1 is gone.
        assert_eq!(
            down(&g, &["amerge", "d1", "b1", "cmerge"], "d1@base"),
            ["-d1 [amerge b1 b2 cmerge]"]
        );
        let all = down(&g, &["amerge", "b1", "b2", "cmerge"], "base");
        assert_eq!((all.len(), last_rows(&all)), (10, "[]"));
    }

    #[test]
    fn crisscrossed_dependencies() {
        // DependsOnBranchTestThree
        let g = g(&[
            "a1",
            "a2 < a1",
            "b1",
            "b2 < b1 ^ a2",
            "b3 < b2",
            "a3 < a2 ^ b1",
        ]);
        assert_eq!(down(&g, &["a3", "b2"], "b1"), ["-b2 [a3]"]);
    }

    #[test]
    fn a_dependency_on_the_own_parent() {
        // DependsOnOwnDownrevTest
        let g = g(&["a1", "a2 < a1 ^ a1"]);
        assert_eq!(up(&g, &[], "a2"), ["+a1 [a1]", "+a2 [a2]"]);
        assert_eq!(down(&g, &["a2"], "a1"), ["-a2 [a1]"]);
    }

    #[test]
    fn dependencies_are_normalized_out_of_the_rows() {
        // DependsOnBranchTestFour
        let g = g(&[
            "a1",
            "a2 < a1",
            "a3 < a2",
            "b1",
            "b2 < b1 ^ a3",
            "b3 < b2",
            "b4 < b3 ^ a3",
        ]);
        assert_eq!(down(&g, &["b4"], "b3"), ["-b4 [b3]"]);
        assert_eq!(
            up(&g, &[], "b4"),
            [
                "+a1 [a1]",
                "+a2 [a2]",
                "+a3 [a3]",
                "+b1 [a3 b1]",
                "+b2 [b2]",
                "+b3 [b3]",
                "+b4 [b4]"
            ]
        );
    }

    #[test]
    fn a_dependency_on_a_branch_label() {
        // DependsOnBranchLabelTest
        let g = g(&[
            "a1 # lib1",
            "b1 < a1",
            "c1 < b1 # c1lib",
            "a2",
            "b2 < a2",
            "c2 < b2 ^ c1lib",
            "d1 < c1",
            "e1 < d1",
            "f1 < e1",
        ]);
        assert_eq!(
            up(&g, &["a2"], "c2"),
            [
                "+a1 [a1 a2]",
                "+b1 [b1 a2]",
                "+c1 [c1 a2]",
                "+b2 [c1 b2]",
                "+c2 [c2]"
            ]
        );
    }

    #[test]
    fn a_dependency_is_applied_first_and_implied_afterwards() {
        let g = g(&["x", "a", "b < a ^ x"]);
        assert_eq!(up(&g, &[], "b"), ["+x [x]", "+a [x a]", "+b [b]"]);
        // Downgrading to x keeps b: b depends on x, it does not revise it.
        assert!(down(&g, &["b"], "x").is_empty());
        assert_eq!(down(&g, &["b"], "a"), ["-b [x a]"]);
        assert_eq!(down(&g, &["b"], "x@base"), ["-b [x a]", "-x [a]"]);
    }

    // ----- merges -----

    /// a - b, b - c1 - d1 and b - c2 - d2 (c2branch), merged by e, then f.
    fn merged() -> RevisionGraph {
        g(&[
            "a",
            "b < a",
            "c1 < b",
            "d1 < c1",
            "c2 < b # c2branch",
            "d2 < c2",
            "e < d1 d2",
            "f < e",
        ])
    }

    #[test]
    fn across_a_merge_point_and_back() {
        // MergedPathTest
        let g = merged();
        assert_eq!(
            up(&g, &["b"], "f"),
            [
                "+c1 [c1]",
                "+d1 [d1]",
                "+c2 [d1 c2]",
                "+d2 [d1 d2]",
                "+e [e]",
                "+f [f]"
            ]
        );
        assert_eq!(
            down(&g, &["f"], "b"),
            [
                "-f [e]",
                "-e [d1 d2]",
                "-d2 [d1 c2]",
                "-c2 [d1]",
                "-d1 [c1]",
                "-c1 [b]"
            ]
        );
        assert_eq!(down(&g, &["f"], "-2"), ["-f [e]", "-e [d1 d2]"]);
        assert_eq!(up(&g, &["d1", "d2"], "+1"), ["+e [e]"]);
        // One branch down across the merge: the merge and what follows go too.
        assert_eq!(
            down(&g, &["f"], "c2branch@base"),
            ["-f [e]", "-e [d1 d2]", "-d2 [d1 c2]", "-c2 [d1]"]
        );
    }

    #[test]
    fn stamps_across_a_merge_point() {
        let g = merged();
        // Alembic leaves only c2; mb keeps d1, which is not built on c2.
        assert_eq!(stamp(&g, &["e"], &["c2"]), ["d1", "c2"]);
        assert_eq!(stamp(&g, &["e"], &["a"]), ["a"]);
        assert_eq!(stamp(&g, &["c2"], &["e"]), ["e"]);
        assert_eq!(stamp(&g, &["b"], &["e"]), ["e"]);
        assert_eq!(stamp(&g, &["d1", "c2"], &["e"]), ["e"]);
        assert_eq!(stamp(&g, &["d1", "c2"], &["c2branch@head"]), ["f"]);
    }

    #[test]
    fn twin_merges_of_the_same_branches() {
        // TwinMergeTest
        let g = g(&[
            "a",
            "b1 < a",
            "b2 < a",
            "b3 < a",
            "c1 < b1 b2 b3",
            "c2 < b1 b2 b3",
            "d1 < c1",
            "d2 < c2",
        ]);
        assert_eq!(
            up(&g, &["a"], "heads"),
            [
                "+b1 [b1]",
                "+b2 [b1 b2]",
                "+b3 [b1 b2 b3]",
                "+c1 [c1]",
                "+d1 [d1]",
                "+c2 [d1 c2]",
                "+d2 [d1 d2]"
            ]
        );
        assert_eq!(
            down(&g, &["d1", "d2"], "a"),
            [
                "-d2 [d1 c2]",
                "-c2 [d1]",
                "-d1 [c1]",
                "-c1 [b1 b2 b3]",
                "-b3 [b1 b2]",
                "-b2 [b1]",
                "-b1 [a]"
            ]
        );
        assert_eq!(down(&g, &["d1", "d2"], "c1"), ["-d1 [c1 d2]"]);
    }

    #[test]
    fn merges_that_share_one_parent() {
        // NotQuiteTwinMergeTest
        let g = g(&[
            "a",
            "b1 < a",
            "b2 < a",
            "b3 < a",
            "c1 < b1 b2",
            "c2 < b2 b3",
            "d1 < c1",
            "d2 < c2",
        ]);
        assert_eq!(
            up(&g, &["a"], "heads"),
            [
                "+b1 [b1]",
                "+b2 [b1 b2]",
                "+c1 [c1]",
                "+d1 [d1]",
                "+b3 [d1 b3]",
                "+c2 [d1 c2]",
                "+d2 [d1 d2]"
            ]
        );
        assert_eq!(
            down(&g, &["d1", "d2"], "b2"),
            [
                "-d2 [d1 c2]",
                "-c2 [d1 b3]",
                "-d1 [c1 b3]",
                "-c1 [b1 b2 b3]"
            ]
        );
    }

    #[test]
    fn a_branch_leaving_a_merge_point() {
        // BranchFromMergepointTest
        let g = g(&[
            "a1",
            "b1 < a1",
            "c1 < b1",
            "a2",
            "b2 < a2",
            "c2 < b2",
            "d1 < c1 c2",
            "d2 < c2",
        ]);
        assert_eq!(up(&g, &["d2", "b1"], "d1"), ["+c1 [c1 d2]", "+d1 [d1 d2]"]);
        assert_eq!(
            down(&g, &["d2", "d1"], "b1"),
            ["-d1 [c1 d2]", "-c1 [b1 d2]"]
        );
    }

    #[test]
    fn a_three_way_merge_with_branches_leaving_it() {
        // BranchFrom3WayMergepointTest
        let g = g(&[
            "a1",
            "b1 < a1",
            "c1 < b1",
            "a2",
            "b2 < a2",
            "c2 < b2",
            "a3",
            "b3 < a3",
            "c3 < b3",
            "d1 < c1 c2 c3",
            "d2 < c2",
            "d3 < c3",
        ]);
        assert_eq!(
            up(&g, &["d3", "d2", "b1"], "d1"),
            ["+c1 [c1 d2 d3]", "+d1 [d2 d1 d3]"]
        );
        assert_eq!(
            down(&g, &["d3", "d2", "d1"], "b1"),
            ["-d1 [c1 d2 d3]", "-c1 [b1 d2 d3]"]
        );
        assert_eq!(
            up(&g, &["d3", "b2", "b1"], "d1"),
            ["+c1 [c1 b2 d3]", "+c2 [c1 c2 d3]", "+d1 [d1 d3]"]
        );
        assert_eq!(up(&g, &["d3", "d1"], "d2"), ["+d2 [d2 d1 d3]"]);
    }

    #[test]
    fn unknown_version_rows_are_reported_with_the_fix() {
        let g = linear();
        let err = State::from_rows(&g, &rows(&["zzz"])).unwrap_err().message;
        assert!(
            err.contains("revision zzz, which is not in the migrations")
                && err.contains("stamp --purge"),
            "{err}"
        );
    }

    #[test]
    fn redundant_rows_are_normalized() {
        // A row implied by another one (written by hand, or by an older mb that kept
        // dependencies as rows) does not count as a head.
        let g = g(&["x", "a", "b < a ^ x"]);
        let state = State::from_rows(&g, &rows(&["b", "x", "a"])).unwrap();
        assert_eq!(g.ids(&state.heads.iter().copied().collect::<Vec<_>>()), "b");
    }
}
