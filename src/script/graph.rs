//! The revision graph: revisions are nodes, `Revises:` edges point at parents (several
//! for a merge), `Depends On:` edges at revisions of other branches. Revisions are kept
//! in topological order, so "parents first" is simply ascending index order.

use std::collections::{BTreeSet, HashMap};

use super::revision::Revision;
use crate::text::plural;
use crate::{Error, Result};

#[derive(Debug, Default)]
pub struct RevisionGraph {
    revisions: Vec<Revision>,
    index: HashMap<String, usize>,
    parents: Vec<Vec<usize>>,
    dependencies: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
    dependents: Vec<Vec<usize>>,
}

/// A set of revisions, by index.
pub type Marks = Vec<bool>;

impl RevisionGraph {
    /// Builds the graph; `revisions` should come in a stable order (by file name) so that
    /// independent branches are always ordered the same way.
    pub fn new(revisions: Vec<Revision>) -> Result<RevisionGraph> {
        let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(revisions.len());
        for (i, revision) in revisions.iter().enumerate() {
            if let Some(&other) = by_id.get(revision.id.as_str()) {
                return Err(Error::script(format!(
                    "revision id {} is claimed by two files: {} and {}; give one of them a new id",
                    revision.id,
                    revisions[other].path.display(),
                    revision.path.display()
                )));
            }
            by_id.insert(&revision.id, i);
        }
        let resolve = |revision: &Revision, ids: &[String], header: &str| -> Result<Vec<usize>> {
            ids.iter()
                .map(|id| {
                    by_id.get(id.as_str()).copied().ok_or_else(|| {
                        Error::script(format!(
                            "{}: '{header}: {id}' names a revision that does not exist in {}",
                            revision.path.display(),
                            revision
                                .path
                                .parent()
                                .map(|p| p.display().to_string())
                                .unwrap_or_default()
                        ))
                    })
                })
                .collect()
        };
        let mut parents = Vec::with_capacity(revisions.len());
        let mut dependencies = Vec::with_capacity(revisions.len());
        for revision in &revisions {
            parents.push(resolve(revision, &revision.parents, "Revises")?);
            dependencies.push(resolve(revision, &revision.depends_on, "Depends On")?);
        }
        let order = topological_order(&revisions, &parents, &dependencies)?;
        drop(by_id);
        // Re-index everything in topological order.
        let mut new_position = vec![0; revisions.len()];
        for (position, &old) in order.iter().enumerate() {
            new_position[old] = position;
        }
        let remap = |edges: &Vec<Vec<usize>>| -> Vec<Vec<usize>> {
            order
                .iter()
                .map(|&old| edges[old].iter().map(|&e| new_position[e]).collect())
                .collect()
        };
        let parents = remap(&parents);
        let dependencies = remap(&dependencies);
        let mut slots: Vec<Option<Revision>> = revisions.into_iter().map(Some).collect();
        let revisions: Vec<Revision> = order
            .iter()
            .map(|&old| slots[old].take().expect("each index once"))
            .collect();
        let mut children = vec![Vec::new(); revisions.len()];
        let mut dependents = vec![Vec::new(); revisions.len()];
        for (i, ps) in parents.iter().enumerate() {
            for &p in ps {
                children[p].push(i);
            }
        }
        for (i, ds) in dependencies.iter().enumerate() {
            for &d in ds {
                dependents[d].push(i);
            }
        }
        let index = revisions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        Ok(RevisionGraph {
            revisions,
            index,
            parents,
            dependencies,
            children,
            dependents,
        })
    }

    pub fn len(&self) -> usize {
        self.revisions.len()
    }
    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty()
    }
    pub fn revision(&self, i: usize) -> &Revision {
        &self.revisions[i]
    }
    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }
    pub fn find(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }
    pub fn parents(&self, i: usize) -> &[usize] {
        &self.parents[i]
    }
    pub fn children(&self, i: usize) -> &[usize] {
        &self.children[i]
    }
    /// What must be applied before `i`: its parents and its dependencies.
    pub fn requirements(&self, i: usize) -> impl Iterator<Item = &usize> {
        self.parents[i].iter().chain(&self.dependencies[i])
    }

    /// Revisions no other revision revises.
    pub fn heads(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.children[i].is_empty())
            .collect()
    }

    /// `start` and everything it needs: parents and dependencies, transitively.
    pub fn ancestors(&self, start: &[usize]) -> Marks {
        self.closure(start, |i| {
            self.parents[i].iter().chain(&self.dependencies[i])
        })
    }

    /// `start` and everything built on it: children and dependents, transitively.
    pub fn descendants(&self, start: &[usize]) -> Marks {
        self.closure(start, |i| {
            self.children[i].iter().chain(&self.dependents[i])
        })
    }

    fn closure<'a, I>(&'a self, start: &[usize], next: impl Fn(usize) -> I) -> Marks
    where
        I: Iterator<Item = &'a usize>,
    {
        let mut marks = vec![false; self.len()];
        let mut stack: Vec<usize> = start.to_vec();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut marks[i], true) {
                stack.extend(next(i));
            }
        }
        marks
    }

    /// The revisions in `marks` that no other marked revision revises: what the version
    /// table holds for that set of applied revisions.
    pub fn heads_of(&self, marks: &Marks) -> BTreeSet<usize> {
        (0..self.len())
            .filter(|&i| marks[i] && !self.children[i].iter().any(|&c| marks[c]))
            .collect()
    }

    /// A full id, or a prefix of exactly one id.
    pub fn resolve_id(&self, text: &str) -> Result<usize> {
        if let Some(i) = self.find(text) {
            return Ok(i);
        }
        let candidates: Vec<usize> = (0..self.len())
            .filter(|&i| self.revisions[i].id.starts_with(text))
            .collect();
        match candidates.as_slice() {
            [one] => Ok(*one),
            [] => Err(Error::script(format!(
                "no revision '{text}' in the migrations; `mb db history` lists them"
            ))),
            many => Err(Error::script(format!(
                "'{text}' is ambiguous: it starts {}; type more of the id",
                many.iter()
                    .map(|&i| format!("{} ({})", self.revisions[i].id, self.revisions[i].message))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Walks `steps` revisions from `from`: forward through children when positive,
    /// back through parents when negative. Each step must be unambiguous.
    pub fn walk(&self, from: Option<usize>, steps: i64) -> Result<Option<usize>> {
        let mut at = from;
        for taken in 0..steps.unsigned_abs() {
            let next: Vec<usize> = match (at, steps > 0) {
                (Some(i), true) => self.children[i].clone(),
                (Some(i), false) => self.parents[i].clone(),
                (None, true) => (0..self.len())
                    .filter(|&i| self.parents[i].is_empty())
                    .collect(),
                (None, false) => Vec::new(),
            };
            let from_name = at.map_or("base".to_string(), |i| self.revisions[i].id.clone());
            at = match next.as_slice() {
                [one] => Some(*one),
                [] if steps < 0 && at.is_some() => None,
                [] if steps > 0 => {
                    return Err(Error::script(format!(
                        "cannot move {steps}: {from_name} is a head, no revision comes after it{}",
                        if taken > 0 {
                            format!(" ({} moved)", plural(taken as usize, "step"))
                        } else {
                            String::new()
                        }
                    )));
                }
                [] => {
                    return Err(Error::script(format!(
                        "cannot move {steps}: only {} come before the starting revision",
                        plural(taken as usize, "revision")
                    )));
                }
                many => {
                    return Err(Error::script(format!(
                        "moving {steps} is ambiguous at {from_name}: it leads to {}; name the revision instead",
                        self.ids(many)
                    )));
                }
            };
        }
        Ok(at)
    }

    /// Ids joined for messages.
    pub fn ids(&self, indices: &[usize]) -> String {
        indices
            .iter()
            .map(|&i| self.revisions[i].id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Kahn's algorithm, taking the earliest file first among revisions that are ready, so
/// the order is stable. A cycle is reported with the files on it.
fn topological_order(
    revisions: &[Revision],
    parents: &[Vec<usize>],
    dependencies: &[Vec<usize>],
) -> Result<Vec<usize>> {
    let n = revisions.len();
    let mut waiting_on = vec![0usize; n];
    let mut unblocks = vec![Vec::new(); n];
    for i in 0..n {
        for &p in parents[i].iter().chain(&dependencies[i]) {
            waiting_on[i] += 1;
            unblocks[p].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| waiting_on[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &c in &unblocks[i] {
            waiting_on[c] -= 1;
            if waiting_on[c] == 0 {
                ready.insert(c);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Walk parent edges among the unordered revisions until one repeats: that is a cycle.
    let stuck = |i: usize| waiting_on[i] > 0;
    let mut path = vec![(0..n).find(|&i| stuck(i)).expect("some revision is stuck")];
    loop {
        let last = *path.last().expect("path is not empty");
        let next = parents[last]
            .iter()
            .chain(&dependencies[last])
            .copied()
            .find(|&p| stuck(p))
            .expect("a stuck revision waits on a stuck one");
        if let Some(start) = path.iter().position(|&p| p == next) {
            let mut cycle: Vec<String> = path[start..]
                .iter()
                .map(|&i| revisions[i].path.display().to_string())
                .collect();
            cycle.push(revisions[next].path.display().to_string());
            return Err(Error::script(format!(
                "the revisions form a cycle: {}; one of them must revise an older revision",
                cycle.join(" -> ")
            )));
        }
        path.push(next);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::Path;

    /// Builds a graph from `(id, parents, depends_on)` triples.
    pub(crate) fn graph(spec: &[(&str, &[&str], &[&str])]) -> Result<RevisionGraph> {
        let revisions = spec
            .iter()
            .map(|(id, parents, deps)| {
                let text = format!(
                    "-- {id}\n-- Revision ID: {id}\n-- Revises: {}\n-- Depends On: {}\n-- migrate:up\n-- migrate:down\n",
                    parents.join(", "),
                    deps.join(", ")
                );
                Revision::parse(&text, Path::new(&format!("v/{id}.sql"))).unwrap()
            })
            .collect();
        RevisionGraph::new(revisions)
    }

    fn ids(g: &RevisionGraph, marks: &Marks) -> Vec<String> {
        (0..g.len())
            .filter(|&i| marks[i])
            .map(|i| g.revision(i).id.clone())
            .collect()
    }

    #[test]
    fn orders_parents_first_whatever_the_file_order() {
        let g = graph(&[("c", &["b"], &[]), ("a", &[], &[]), ("b", &["a"], &[])]).unwrap();
        let order: Vec<_> = g.revisions().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(order, vec!["a", "b", "c"]);
        assert_eq!(g.ids(&g.heads()), "c");
    }

    #[test]
    fn ancestors_and_descendants_follow_merges_and_dependencies() {
        let g = graph(&[
            ("a", &[], &[]),
            ("b1", &["a"], &[]),
            ("b2", &["a"], &[]),
            ("m", &["b1", "b2"], &[]),
            ("x", &[], &[]),
            ("y", &["x"], &["b1"]),
        ])
        .unwrap();
        assert_eq!(
            ids(&g, &g.ancestors(&[g.find("m").unwrap()])),
            ["a", "b1", "b2", "m"]
        );
        assert_eq!(
            ids(&g, &g.ancestors(&[g.find("y").unwrap()])),
            ["a", "b1", "x", "y"]
        );
        assert_eq!(
            ids(&g, &g.descendants(&[g.find("b1").unwrap()])),
            ["b1", "m", "y"]
        );
        assert_eq!(g.ids(&g.heads()), "m, y");
    }

    #[test]
    fn partial_ids_resolve_when_unique() {
        let g = graph(&[("abc123", &[], &[]), ("abd456", &["abc123"], &[])]).unwrap();
        assert_eq!(g.resolve_id("abc").unwrap(), 0);
        assert_eq!(g.resolve_id("abd456").unwrap(), 1);
        let err = g.resolve_id("ab").unwrap_err().message;
        assert_eq!(
            err,
            "'ab' is ambiguous: it starts abc123 (abc123), abd456 (abd456); type more of the id"
        );
        assert!(
            g.resolve_id("zz")
                .unwrap_err()
                .message
                .starts_with("no revision 'zz'")
        );
    }

    #[test]
    fn walking_is_relative_and_refuses_ambiguity() {
        let g = graph(&[
            ("a", &[], &[]),
            ("b", &["a"], &[]),
            ("c", &["b"], &[]),
            ("d", &["b"], &[]),
        ])
        .unwrap();
        assert_eq!(g.walk(None, 2).unwrap(), Some(1));
        assert_eq!(g.walk(Some(1), -2).unwrap(), None);
        assert!(
            g.walk(Some(1), 1)
                .unwrap_err()
                .message
                .contains("ambiguous at b: it leads to c, d")
        );
        assert!(g.walk(Some(0), -2).is_err());
    }

    #[test]
    fn broken_graphs_name_the_files() {
        let dup = graph(&[("a", &[], &[]), ("a", &[], &[])])
            .unwrap_err()
            .message;
        assert!(
            dup.contains("claimed by two files: v/a.sql and v/a.sql"),
            "{dup}"
        );
        let missing = graph(&[("a", &["zz"], &[])]).unwrap_err().message;
        assert!(
            missing.starts_with("v/a.sql: 'Revises: zz' names a revision that does not exist"),
            "{missing}"
        );
        let cycle = graph(&[("r", &[], &[]), ("a", &["b"], &[]), ("b", &["a"], &[])])
            .unwrap_err()
            .message;
        assert!(
            cycle.contains("cycle: v/a.sql -> v/b.sql -> v/a.sql")
                || cycle.contains("cycle: v/b.sql -> v/a.sql -> v/b.sql"),
            "{cycle}"
        );
    }
}
