//! Upgrade, downgrade and stamp plans: which revisions run, in which order, and what the
//! version table holds after each one. Pure: computed from the graph and the version
//! rows, so the same plan can be printed (`--sql`), tested, or executed.

use std::collections::BTreeSet;

use crate::script::RevisionGraph;
use crate::script::graph::Marks;
use crate::script::target::Target;
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

/// What is applied: a set of revisions closed under ancestry, and its heads.
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
            let index = graph.find(row).ok_or_else(|| {
                Error::script(format!(
                    "the database is at revision {row}, which is not in the migrations; restore its file, or record where the database really is with `mb db stamp --purge REV`"
                ))
            })?;
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

    pub(super) fn up(&mut self, revision: usize) -> Step {
        let heads_before = self.heads.clone();
        for parent in self.graph.parents(revision) {
            self.heads.remove(parent);
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

    pub(super) fn down(&mut self, revision: usize) -> Step {
        let heads_before = self.heads.clone();
        self.heads.remove(&revision);
        self.applied[revision] = false;
        for &parent in self.graph.parents(revision) {
            if !self.graph.children(parent).iter().any(|&c| self.applied[c]) {
                self.heads.insert(parent);
            }
        }
        Step {
            revision,
            direction: Direction::Down,
            heads_before,
            heads_after: self.heads.clone(),
        }
    }

    /// The one current head, for relative targets.
    fn single_head(&self, what: &str) -> Result<Option<usize>> {
        match self.heads.len() {
            0 => Ok(None),
            1 => Ok(self.heads.first().copied()),
            _ => Err(Error::script(format!(
                "{what} is ambiguous: the database has several current heads ({}); name a revision instead",
                self.graph
                    .ids(&self.heads.iter().copied().collect::<Vec<_>>())
            ))),
        }
    }
}

/// The revisions an upgrade target stands for (their ancestors get applied too).
pub fn upgrade_targets(state: &State, target: &Target) -> Result<Vec<usize>> {
    let graph = state.graph;
    match target {
        Target::Head => {
            let heads = graph.heads();
            if heads.len() > 1 {
                return Err(Error::script(format!(
                    "the migrations have several heads ({}); apply every branch with `mb db upgrade heads`, or merge them with a revision whose Revises: names them all",
                    graph.ids(&heads)
                )));
            }
            Ok(heads)
        }
        Target::Heads => Ok(graph.heads()),
        Target::Base => Ok(Vec::new()),
        Target::Revision(id) => Ok(vec![graph.resolve_id(id)?]),
        Target::FromRevision(id, steps) => Ok(graph
            .walk(Some(graph.resolve_id(id)?), *steps)?
            .into_iter()
            .collect()),
        Target::Relative(steps) if *steps < 0 => Err(Error::script(format!(
            "upgrade moves forward; to go back {} run `mb db downgrade {steps}`",
            plural(steps.unsigned_abs() as usize, "revision")
        ))),
        Target::Relative(steps) => next_revisions(state, *steps as usize),
    }
}

/// The next `count` revisions after the current state, one at a time; each must be the
/// only one that can run next.
fn next_revisions(state: &State, count: usize) -> Result<Vec<usize>> {
    let graph = state.graph;
    let mut simulated = state.clone();
    let mut last = Vec::new();
    for taken in 0..count {
        let ready: Vec<usize> = (0..graph.len())
            .filter(|&i| {
                !simulated.applied[i] && graph.requirements(i).all(|&r| simulated.applied[r])
            })
            .collect();
        match ready.as_slice() {
            [one] => {
                simulated.up(*one);
                last = vec![*one];
            }
            [] => {
                return Err(Error::script(format!(
                    "cannot upgrade {}: only {} pending",
                    plural(count, "revision"),
                    plural_is(taken, "revision")
                )));
            }
            many => {
                return Err(Error::script(format!(
                    "upgrade +{count} is ambiguous: {} could all run next; name a revision instead",
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

/// Unapplies revisions, newest first: everything built on a target revision, everything
/// for `base`, or the last N for `-N`.
pub fn downgrade_plan(state: &State, target: &Target) -> Result<Vec<Step>> {
    let graph = state.graph;
    let mut simulated = state.clone();
    let to_target = |target: usize| -> Result<Vec<usize>> {
        if !state.applied[target] {
            return Err(Error::script(format!(
                "revision {} is not applied, so the database cannot be downgraded to it; `mb db current` shows where it is",
                graph.revision(target).id
            )));
        }
        let above = graph.descendants(&[target]);
        Ok((0..graph.len())
            .rev()
            .filter(|&i| i != target && above[i] && state.applied[i])
            .collect())
    };
    let order: Vec<usize> = match target {
        Target::Base => (0..graph.len())
            .rev()
            .filter(|&i| state.applied[i])
            .collect(),
        Target::Revision(id) => to_target(graph.resolve_id(id)?)?,
        Target::FromRevision(id, steps) => match graph.walk(Some(graph.resolve_id(id)?), *steps)? {
            Some(target) => to_target(target)?,
            None => (0..graph.len())
                .rev()
                .filter(|&i| state.applied[i])
                .collect(),
        },
        Target::Relative(steps) if *steps < 0 => {
            let mut steps_taken = Vec::new();
            for taken in 0..steps.unsigned_abs() {
                let Some(head) = simulated.single_head(&format!("downgrade {steps}"))? else {
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
        Target::Relative(_) | Target::Head | Target::Heads => {
            return Err(Error::script(
                "downgrade moves back; use base, -N or a revision id (upgrade moves forward)",
            ));
        }
    };
    Ok(order.into_iter().map(|i| simulated.down(i)).collect())
}

/// The state after stamping `targets`: each target and its ancestors count as applied,
/// and whatever was built on a target does not.
pub fn stamp_state<'g>(state: &State<'g>, targets: &[Target]) -> Result<State<'g>> {
    let graph = state.graph;
    let mut simulated = state.clone();
    for target in targets {
        match target {
            Target::Base => simulated.applied = vec![false; graph.len()],
            Target::Relative(steps) if *steps < 0 => {
                downgrade_plan(&simulated.clone(), target)?
                    .iter()
                    .for_each(|step| simulated.applied[step.revision] = false);
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::graph::tests::graph;

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

    fn upgrade(g: &RevisionGraph, current: &[&str], target: &str) -> Result<Vec<String>> {
        let state = State::from_rows(g, &rows(current))?;
        let targets = upgrade_targets(&state, &Target::parse(target)?)?;
        Ok(describe(g, &upgrade_plan(&state, &targets)))
    }

    fn downgrade(g: &RevisionGraph, current: &[&str], target: &str) -> Result<Vec<String>> {
        let state = State::from_rows(g, &rows(current))?;
        Ok(describe(
            g,
            &downgrade_plan(&state, &Target::parse(target)?)?,
        ))
    }

    fn linear() -> RevisionGraph {
        graph(&[("a", &[], &[]), ("b", &["a"], &[]), ("c", &["b"], &[])]).unwrap()
    }

    #[test]
    fn linear_upgrades() {
        let g = linear();
        assert_eq!(
            upgrade(&g, &[], "head").unwrap(),
            ["+a [a]", "+b [b]", "+c [c]"]
        );
        assert_eq!(upgrade(&g, &["a"], "head").unwrap(), ["+b [b]", "+c [c]"]);
        assert_eq!(upgrade(&g, &[], "+2").unwrap(), ["+a [a]", "+b [b]"]);
        assert_eq!(upgrade(&g, &["a"], "+1").unwrap(), ["+b [b]"]);
        assert_eq!(upgrade(&g, &[], "b").unwrap(), ["+a [a]", "+b [b]"]);
        assert_eq!(upgrade(&g, &[], "a+1").unwrap(), ["+a [a]", "+b [b]"]);
        assert!(upgrade(&g, &["c"], "head").unwrap().is_empty());
        assert!(
            upgrade(&g, &["b"], "+2")
                .unwrap_err()
                .message
                .contains("only 1 revision is pending")
        );
        assert!(
            upgrade(&g, &[], "-1")
                .unwrap_err()
                .message
                .contains("mb db downgrade -1")
        );
    }

    #[test]
    fn linear_downgrades() {
        let g = linear();
        assert_eq!(downgrade(&g, &["c"], "-1").unwrap(), ["-c [b]"]);
        assert_eq!(downgrade(&g, &["c"], "-2").unwrap(), ["-c [b]", "-b [a]"]);
        assert_eq!(
            downgrade(&g, &["c"], "base").unwrap(),
            ["-c [b]", "-b [a]", "-a []"]
        );
        assert_eq!(downgrade(&g, &["c"], "a").unwrap(), ["-c [b]", "-b [a]"]);
        assert_eq!(downgrade(&g, &["c"], "c-1").unwrap(), ["-c [b]"]);
        assert!(
            downgrade(&g, &["b"], "-3")
                .unwrap_err()
                .message
                .contains("only 2 revisions are applied")
        );
        assert!(
            downgrade(&g, &["a"], "c")
                .unwrap_err()
                .message
                .contains("c is not applied")
        );
        assert!(downgrade(&g, &["a"], "head").is_err());
    }

    #[test]
    fn branches_and_merges_keep_one_row_per_head() {
        let g = graph(&[
            ("a", &[], &[]),
            ("b1", &["a"], &[]),
            ("b2", &["a"], &[]),
            ("m", &["b1", "b2"], &[]),
        ])
        .unwrap();
        assert_eq!(
            upgrade(&g, &[], "head").unwrap(),
            ["+a [a]", "+b1 [b1]", "+b2 [b1 b2]", "+m [m]"]
        );
        assert_eq!(upgrade(&g, &["a"], "b2").unwrap(), ["+b2 [b2]"]);
        assert_eq!(
            upgrade(&g, &["b2"], "head").unwrap(),
            ["+b1 [b1 b2]", "+m [m]"]
        );
        assert_eq!(downgrade(&g, &["m"], "-1").unwrap(), ["-m [b1 b2]"]);
        assert!(
            downgrade(&g, &["b1", "b2"], "-1")
                .unwrap_err()
                .message
                .contains("several current heads (b1, b2)")
        );
        assert_eq!(downgrade(&g, &["m"], "b1").unwrap(), ["-m [b1 b2]"]);
        assert_eq!(
            downgrade(&g, &["m"], "a").unwrap(),
            ["-m [b1 b2]", "-b2 [b1]", "-b1 [a]"]
        );
        assert!(
            upgrade(&g, &["a"], "+1")
                .unwrap_err()
                .message
                .contains("b1, b2 could all run next")
        );
    }

    #[test]
    fn several_heads_need_heads_or_a_merge() {
        let g = graph(&[("a", &[], &[]), ("b1", &["a"], &[]), ("b2", &["a"], &[])]).unwrap();
        let err = upgrade(&g, &[], "head").unwrap_err().message;
        assert!(
            err.contains("several heads (b1, b2)") && err.contains("mb db upgrade heads"),
            "{err}"
        );
        assert_eq!(
            upgrade(&g, &[], "heads").unwrap(),
            ["+a [a]", "+b1 [b1]", "+b2 [b1 b2]"]
        );
    }

    #[test]
    fn dependencies_are_applied_first_and_stay_heads() {
        let g = graph(&[("x", &[], &[]), ("a", &[], &[]), ("b", &["a"], &["x"])]).unwrap();
        assert_eq!(
            upgrade(&g, &[], "b").unwrap(),
            ["+x [x]", "+a [x a]", "+b [x b]"]
        );
        assert_eq!(downgrade(&g, &["b", "x"], "x").unwrap(), ["-b [x a]"]);
    }

    #[test]
    fn stamping_moves_the_rows_without_steps() {
        let g = linear();
        let heads = |current: &[&str], targets: &[&str]| -> Result<Vec<String>> {
            let state = State::from_rows(&g, &rows(current))?;
            let targets = targets
                .iter()
                .map(|t| Target::parse(t))
                .collect::<Result<Vec<_>>>()?;
            let after = stamp_state(&state, &targets)?;
            Ok(after
                .heads
                .iter()
                .map(|&i| g.revision(i).id.clone())
                .collect())
        };
        assert_eq!(heads(&[], &["head"]).unwrap(), ["c"]);
        assert_eq!(heads(&["c"], &["a"]).unwrap(), ["a"]);
        assert_eq!(heads(&["c"], &["base"]).unwrap(), Vec::<String>::new());
        assert_eq!(heads(&["c"], &["-1"]).unwrap(), ["b"]);
        assert_eq!(heads(&["a"], &["b"]).unwrap(), ["b"]);
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
}
