//! The revision graph: revisions are nodes, `Revises:` edges point at parents (several
//! for a merge), `Depends On:` edges at revisions of other branches. Revisions are kept
//! in topological order, so "parents first" is simply ascending index order; the order
//! finishes one branch before starting the next, so plans and history read branch by
//! branch.

use std::collections::BTreeSet;
use std::path::Path;

// Revision ids come from the project's own files, so the maps need no defence against
// chosen collisions; foldhash hashes a 12-character id in a fraction of SipHash's time,
// which counts at every start-up with thousands of revisions.
use foldhash::{HashMap, HashMapExt};

use super::revision::Revision;
use crate::text::plural;
use crate::{Error, Result};

#[derive(Debug, Default)]
pub struct RevisionGraph {
    revisions: Vec<Revision>,
    index: HashMap<String, usize>,
    /// Branch label -> the revision that carries it.
    labels: HashMap<String, usize>,
    parents: Edges,
    dependencies: Edges,
    children: Edges,
    dependents: Edges,
    /// Ids that squash revisions replaced (see [`Replaced`]).
    replaced: HashMap<String, Replaced>,
}

/// A revision id that a squash revision replaced. The last of the run stands for the
/// squash revision itself: whoever applied it applied everything the squash does. The
/// others are part way through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replaced {
    pub by: usize,
    pub last: bool,
}

/// A set of revisions, by index.
pub type Marks = Vec<bool>;

/// The part of the graph a branch selector names, for targets such as `LABEL@head`.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The selector as typed.
    pub name: String,
    /// A label's branch, or the line through a revision.
    pub kind: ScopeKind,
    /// The revisions on the branch.
    pub members: Marks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// `LABEL@…`: the branch that starts at the labelled revision: it and everything
    /// built on it.
    Label(usize),
    /// `REV@…`: the line through a revision: it, everything built on it, and its
    /// ancestors back to the nearest branch point, merge point or base (Alembic's rule).
    Line(usize),
}

impl Scope {
    /// `branch email (from 1a2b…)` / `the line of 1a2b…`, for messages.
    pub fn describe(&self, graph: &RevisionGraph) -> String {
        match self.kind {
            ScopeKind::Label(start) => format!(
                "branch {} (which starts at {})",
                self.name,
                graph.revision(start).id
            ),
            ScopeKind::Line(rev) => format!("the line of {}", graph.revision(rev).id),
        }
    }
}

impl RevisionGraph {
    /// Builds the graph; `revisions` should come in a stable order (by file name) so that
    /// independent branches are always ordered the same way.
    pub fn new(revisions: Vec<Revision>) -> Result<RevisionGraph> {
        Self::with_replaced(revisions, &[])
    }

    /// Builds the graph of `revisions`, where the squash revisions among them stand for
    /// the ids they replace. `pool` holds the replaced revisions kept in
    /// `migrations/replaced/`: a replaced squash revision passes on what it replaced.
    pub fn with_replaced(revisions: Vec<Revision>, pool: &[Revision]) -> Result<RevisionGraph> {
        // Positions in `revisions` until they are put in topological order below.
        let mut index: HashMap<String, usize> = HashMap::with_capacity(revisions.len());
        for (i, revision) in revisions.iter().enumerate() {
            if let Some(&other) = index.get(revision.id.as_str()) {
                return Err(Error::script(format!(
                    "revision id {} is claimed by two files: {} and {}; give one of them a new id",
                    revision.id,
                    revisions[other].path.display(),
                    revision.path.display()
                )));
            }
            index.insert(revision.id.clone(), i);
        }
        let mut by_label: HashMap<&str, usize> = HashMap::new();
        for (i, revision) in revisions.iter().enumerate() {
            for label in &revision.branch_labels {
                if let Some(&other) = by_label.get(label.as_str()) {
                    return Err(Error::script(format!(
                        "branch label {label} is claimed by two files: {} and {}; a label names one branch, so rename one of them",
                        revisions[other].path.display(),
                        revision.path.display()
                    )));
                }
                if let Some(&other) = index.get(label.as_str()) {
                    return Err(Error::script(format!(
                        "{}: branch label {label} is also the id of the revision in {}; rename the label",
                        revision.path.display(),
                        revisions[other].path.display()
                    )));
                }
                by_label.insert(label, i);
            }
        }
        let replaced = replaced_ids(&revisions, pool, &index)?;
        let missing = |revision: &Revision, header: &str, id: &str, what: &str| {
            if let Some(r) = replaced.get(id) {
                return Error::script(format!(
                    "{}: '{header}: {id}' names a revision that squash revision {} replaced part way; name {} instead",
                    revision.path.display(),
                    revisions[r.by].id,
                    revisions[r.by].id
                ));
            }
            let dir = revision.path.parent().unwrap_or(Path::new(""));
            let similar: Vec<usize> = (0..revisions.len())
                .filter(|&i| revisions[i].id.starts_with(id))
                .collect();
            let fix = match similar.as_slice() {
                [one] => format!(
                    "did you mean {} ({})? write the full id",
                    revisions[*one].id,
                    revisions[*one].path.display()
                ),
                _ => "restore that revision's file, or correct the line".into(),
            };
            Error::script(format!(
                "{}: '{header}: {id}' names {what} that does not exist in {}; {fix}",
                revision.path.display(),
                dir.display()
            ))
        };
        let stands_for = |id: &str| {
            let squash = replaced.get(id).filter(|r| r.last).map(|r| r.by);
            index.get(id).copied().or(squash)
        };
        let parents = Edges::try_from_lists(&revisions, |revision| {
            let found = revision.parents.iter().map(|id| {
                stands_for(id).ok_or_else(|| missing(revision, "Revises", id, "a revision"))
            });
            found.collect()
        })?;
        let dependencies = Edges::try_from_lists(&revisions, |revision| {
            let found = revision.depends_on.iter().map(|id| {
                let found = stands_for(id).or_else(|| by_label.get(id.as_str()).copied());
                found.ok_or_else(|| {
                    missing(revision, "Depends On", id, "a revision or branch label")
                })
            });
            found.collect()
        })?;
        let order = topological_order(&revisions, &parents, &dependencies)?;
        drop(by_label);
        // Re-index everything in topological order.
        let mut new_position = vec![0; revisions.len()];
        for (position, &old) in order.iter().enumerate() {
            new_position[old] = position;
        }
        let parents = parents.renumbered(&order, &new_position);
        let dependencies = dependencies.renumbered(&order, &new_position);
        let mut revisions = revisions;
        permute(&mut revisions, &order);
        for position in index.values_mut() {
            *position = new_position[*position];
        }
        let children = parents.reversed();
        let dependents = dependencies.reversed();
        let labels = revisions
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.branch_labels.iter().map(move |l| (l.clone(), i)))
            .collect();
        let replaced = replaced
            .into_iter()
            .map(|(id, r)| {
                let by = new_position[r.by];
                (id, Replaced { by, ..r })
            })
            .collect();
        Ok(RevisionGraph {
            revisions,
            index,
            labels,
            parents,
            dependencies,
            children,
            dependents,
            replaced,
        })
    }

    /// What squash revision replaced `id`, if one did.
    pub fn replaced(&self, id: &str) -> Option<Replaced> {
        self.replaced.get(id).copied()
    }

    /// Whether any revision is a squash revision.
    pub fn has_squashes(&self) -> bool {
        !self.replaced.is_empty()
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
    /// The revision that carries branch label `label`.
    pub fn find_label(&self, label: &str) -> Option<usize> {
        self.labels.get(label).copied()
    }
    pub fn parents(&self, i: usize) -> &[usize] {
        self.parents.of(i)
    }
    pub fn children(&self, i: usize) -> &[usize] {
        self.children.of(i)
    }
    pub fn dependencies(&self, i: usize) -> &[usize] {
        self.dependencies.of(i)
    }
    pub fn dependents(&self, i: usize) -> &[usize] {
        self.dependents.of(i)
    }
    /// What must be applied before `i`: its parents and its dependencies.
    pub fn requirements(&self, i: usize) -> impl Iterator<Item = &usize> {
        self.parents(i).iter().chain(self.dependencies(i))
    }
    /// What cannot stay applied without `i`: its children and its dependents.
    pub fn built_on(&self, i: usize) -> impl Iterator<Item = &usize> {
        self.children(i).iter().chain(self.dependents(i))
    }
    pub fn is_branch_point(&self, i: usize) -> bool {
        self.children(i).len() > 1
    }
    pub fn is_merge_point(&self, i: usize) -> bool {
        self.parents(i).len() > 1
    }

    /// Revisions no other revision revises.
    pub fn heads(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.children(i).is_empty())
            .collect()
    }

    /// Revisions that revise none.
    pub fn bases(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.parents(i).is_empty())
            .collect()
    }

    /// `start` and everything it needs: parents and dependencies, transitively.
    pub fn ancestors(&self, start: &[usize]) -> Marks {
        self.closure(start, |i| self.requirements(i))
    }

    /// `start` and everything built on it: children and dependents, transitively.
    pub fn descendants(&self, start: &[usize]) -> Marks {
        self.closure(start, |i| self.built_on(i))
    }

    /// `start` and what revises it, transitively: the line above it, without what only
    /// depends on it.
    pub fn descendants_by_revises(&self, start: usize) -> Marks {
        self.closure(&[start], |i| self.children(i).iter())
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

    /// The fewest revisions that imply everything in `marks`: the marked revisions that no
    /// other marked revision revises or depends on. This is what the version table holds
    /// for that set of applied revisions, as Alembic keeps `alembic_version`.
    pub fn heads_of(&self, marks: &Marks) -> BTreeSet<usize> {
        (0..self.len())
            .filter(|&i| marks[i] && !self.built_on(i).any(|&c| marks[c]))
            .collect()
    }

    /// The branch a selector names: a branch label, else a revision (full id or prefix).
    pub fn scope(&self, selector: &str) -> Result<Scope> {
        let kind = match self.find_label(selector) {
            Some(start) => ScopeKind::Label(start),
            None => match self.resolve_id(selector) {
                Ok(rev) => ScopeKind::Line(rev),
                Err(e) if e.message.contains("is ambiguous") => return Err(e),
                Err(_) => {
                    return Err(Error::script(format!(
                        "no branch label or revision '{selector}' in the migrations; {}",
                        self.known_labels()
                    )));
                }
            },
        };
        let members = match kind {
            ScopeKind::Label(start) => self.descendants_by_revises(start),
            ScopeKind::Line(rev) => {
                let mut members = self.descendants_by_revises(rev);
                // Down a straight line of single parents with single children.
                let mut at = rev;
                while let [parent] = *self.parents(at) {
                    if self.children(parent).len() > 1 || self.parents(parent).len() > 1 {
                        break;
                    }
                    members[parent] = true;
                    at = parent;
                }
                members
            }
        };
        Ok(Scope {
            name: selector.to_string(),
            kind,
            members,
        })
    }

    /// `the labels are: a, b` or a hint to add one, for messages.
    pub fn known_labels(&self) -> String {
        let mut labels: Vec<&str> = self.labels.keys().map(String::as_str).collect();
        labels.sort_unstable();
        if labels.is_empty() {
            "no revision has a branch label (`mb db branches` shows the branches)".into()
        } else {
            format!("the branch labels are: {}", labels.join(", "))
        }
    }

    /// A full id, a branch label (the revision that carries it), or a prefix of exactly
    /// one id.
    pub fn resolve_id(&self, text: &str) -> Result<usize> {
        self.resolve_among(text, None)
    }

    /// Like [`resolve_id`](Self::resolve_id), with prefixes matched only among `allowed`
    /// when given (so `LABEL@ab` finds the `ab…` on that branch).
    pub fn resolve_among(&self, text: &str, allowed: Option<&Marks>) -> Result<usize> {
        if let Some(i) = self.find(text).or_else(|| self.find_label(text)) {
            return Ok(i);
        }
        let candidates: Vec<usize> = (0..self.len())
            .filter(|&i| allowed.is_none_or(|a| a[i]) && self.revisions[i].id.starts_with(text))
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

    /// Walks `steps` revisions from `from` (`None`: the base, or the start of `scope`):
    /// forward through children when positive, back through parents when negative,
    /// staying on `scope` when given. Each step must be unambiguous.
    pub fn walk(
        &self,
        from: Option<usize>,
        steps: i64,
        scope: Option<&Scope>,
    ) -> Result<Option<usize>> {
        let inside = |i: &usize| scope.is_none_or(|s| s.members[*i]);
        let on = scope
            .map(|s| format!(" on {}", s.describe(self)))
            .unwrap_or_default();
        let mut at = from;
        for taken in 0..steps.unsigned_abs() {
            let next: Vec<usize> = match (at, steps > 0) {
                (Some(i), true) => self.children(i).iter().copied().filter(inside).collect(),
                (Some(i), false) => self.parents(i).iter().copied().filter(inside).collect(),
                (None, true) => (0..self.len())
                    .filter(|i| inside(i) && !self.parents(*i).iter().any(inside))
                    .collect(),
                (None, false) => Vec::new(),
            };
            let from_name = at.map_or("base".to_string(), |i| self.revisions[i].id.clone());
            let moved = if taken > 0 {
                format!(" ({} moved)", plural(taken as usize, "step"))
            } else {
                String::new()
            };
            let signed = if steps > 0 {
                format!("+{steps}")
            } else {
                steps.to_string()
            };
            at = match next.as_slice() {
                [one] => Some(*one),
                [] if steps < 0 && at.is_some() => None,
                [] if steps > 0 && at.is_none() => {
                    return Err(Error::script(format!(
                        "cannot move {signed}: there are no revisions{on}"
                    )));
                }
                [] if steps > 0 && scope.is_none() => {
                    return Err(Error::script(format!(
                        "cannot move {signed}: {from_name} is a head, no revision comes after it{moved}"
                    )));
                }
                [] if steps > 0 => {
                    return Err(Error::script(format!(
                        "cannot move {signed}{on}: nothing on it comes after {from_name}{moved}"
                    )));
                }
                [] => {
                    return Err(Error::script(format!(
                        "cannot move {signed}{on}: the starting revision has only {} below it",
                        plural(taken as usize, "revision")
                    )));
                }
                many => {
                    return Err(Error::script(format!(
                        "moving {signed}{on} is ambiguous at {from_name}: it leads to {}; name the revision instead",
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

    /// `ae10… (message)` joined for messages.
    pub fn described(&self, indices: impl IntoIterator<Item = usize>) -> String {
        indices
            .into_iter()
            .map(|i| format!("{} ({})", self.revisions[i].id, self.revisions[i].message))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The ids the squash revisions among `revisions` replace, by id, with the squash
/// revision's index; a replaced squash revision in `pool` passes its own on. A replaced
/// id must not also be a revision of the graph.
fn replaced_ids(
    revisions: &[Revision],
    pool: &[Revision],
    by_id: &HashMap<String, usize>,
) -> Result<HashMap<String, Replaced>> {
    let mut replaced: HashMap<String, Replaced> = HashMap::new();
    for (by, squash) in revisions.iter().enumerate() {
        let mut pending: Vec<(&str, bool)> = squash
            .replaces
            .iter()
            .enumerate()
            .map(|(k, id)| (id.as_str(), k + 1 == squash.replaces.len()))
            .collect();
        while let Some((id, last)) = pending.pop() {
            if let Some(&other) = by_id.get(id) {
                return Err(Error::script(format!(
                    "{}: revision {id} is replaced by squash revision {} ({}) but is still in the versions directory; move it to the replaced directory beside it (see docs/squash.md)",
                    revisions[other].path.display(),
                    squash.id,
                    squash.path.display()
                )));
            }
            if let Some(previous) = replaced.insert(id.to_string(), Replaced { by, last }) {
                if previous.by == by {
                    continue;
                }
                return Err(Error::script(format!(
                    "revision {id} is replaced by two squash revisions, {} and {}; keep one of them",
                    revisions[previous.by].id, squash.id
                )));
            }
            if let Some(inner) = pool.iter().find(|r| r.id == id) {
                let n = inner.replaces.len();
                pending.extend(
                    inner
                        .replaces
                        .iter()
                        .enumerate()
                        .map(|(k, id)| (id.as_str(), last && k + 1 == n)),
                );
            }
        }
    }
    Ok(replaced)
}

/// Kahn's algorithm with a stack: after a revision, the revisions it made ready come
/// next, so one branch is finished before the next one starts. Ties go to the earlier
/// file, so the order is stable. A cycle is reported with the files on it.
/// Every revision's edges (its parents, say) in one vector, instead of 10,000 small
/// ones: `targets[starts[i]..starts[i + 1]]` are revision `i`'s.
#[derive(Debug, Clone)]
struct Edges {
    starts: Vec<usize>,
    targets: Vec<usize>,
}

impl Default for Edges {
    fn default() -> Edges {
        Edges {
            starts: vec![0],
            targets: Vec::new(),
        }
    }
}

impl Edges {
    fn of(&self, i: usize) -> &[usize] {
        &self.targets[self.starts[i]..self.starts[i + 1]]
    }

    /// The edges `list` finds for each revision, or its first error.
    fn try_from_lists<'a>(
        revisions: &'a [Revision],
        list: impl Fn(&'a Revision) -> Result<Vec<usize>>,
    ) -> Result<Edges> {
        let mut edges = Edges::default();
        edges.starts.reserve(revisions.len());
        for revision in revisions {
            edges.targets.extend(list(revision)?);
            edges.starts.push(edges.targets.len());
        }
        Ok(edges)
    }

    /// The edges turned around: for each revision, those whose edges point at it, in
    /// ascending order (a counting sort).
    fn reversed(&self) -> Edges {
        let n = self.starts.len() - 1;
        let mut starts = vec![0; n + 1];
        for &t in &self.targets {
            starts[t + 1] += 1;
        }
        for i in 0..n {
            starts[i + 1] += starts[i];
        }
        let mut next = starts.clone();
        let mut targets = vec![0; self.targets.len()];
        for source in 0..n {
            for &t in self.of(source) {
                targets[next[t]] = source;
                next[t] += 1;
            }
        }
        Edges { starts, targets }
    }

    /// The same edges after revision `order[i]` has become revision `i`
    /// (`new_position` is the inverse of `order`).
    fn renumbered(&self, order: &[usize], new_position: &[usize]) -> Edges {
        let mut edges = Edges::default();
        edges.starts.reserve(order.len());
        edges.targets.reserve(self.targets.len());
        for &old in order {
            edges
                .targets
                .extend(self.of(old).iter().map(|&t| new_position[t]));
            edges.starts.push(edges.targets.len());
        }
        edges
    }
}

/// Puts `items[order[i]]` at `i`, in place: following each cycle of the permutation,
/// every item is swapped into its place once (no second vector of 10,000 revisions).
fn permute<T>(items: &mut [T], order: &[usize]) {
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        let mut at = start;
        while !placed[at] {
            placed[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

fn topological_order(
    revisions: &[Revision],
    parents: &Edges,
    dependencies: &Edges,
) -> Result<Vec<usize>> {
    let n = revisions.len();
    let mut waiting_on: Vec<usize> = (0..n)
        .map(|i| parents.of(i).len() + dependencies.of(i).len())
        .collect();
    let (children, dependents) = (parents.reversed(), dependencies.reversed());
    let mut ready: Vec<usize> = (0..n).rev().filter(|&i| waiting_on[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop() {
        order.push(i);
        let before = ready.len();
        for &c in children.of(i).iter().chain(dependents.of(i)) {
            waiting_on[c] -= 1;
            if waiting_on[c] == 0 {
                ready.push(c);
            }
        }
        // The earliest file among those just made ready goes first.
        ready[before..].sort_unstable_by(|a, b| b.cmp(a));
    }
    if order.len() == n {
        return Ok(order);
    }
    // Walk parent edges among the unordered revisions until one repeats: that is a cycle.
    let stuck = |i: usize| waiting_on[i] > 0;
    let mut path = vec![(0..n).find(|&i| stuck(i)).expect("some revision is stuck")];
    loop {
        let last = *path.last().expect("path is not empty");
        let next = parents
            .of(last)
            .iter()
            .chain(dependencies.of(last))
            .copied()
            .find(|&p| stuck(p))
            .expect("a stuck revision waits on a stuck one");
        if next == last {
            let revision = &revisions[next];
            return Err(Error::script(format!(
                "{}: revision {} names itself in 'Revises:' or 'Depends On:'; name an older revision",
                revision.path.display(),
                revision.id
            )));
        }
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

    #[test]
    fn permute_puts_each_item_where_the_order_says() {
        let orders: [&[usize]; 6] = [
            &[],
            &[0],
            &[0, 1, 2, 3],
            &[3, 2, 1, 0],
            &[1, 2, 3, 0],
            &[2, 0, 1, 4, 3, 5],
        ];
        for order in orders {
            let mut items: Vec<usize> = (0..order.len()).map(|i| i * 10).collect();
            permute(&mut items, order);
            let expected: Vec<usize> = order.iter().map(|&i| i * 10).collect();
            assert_eq!(items, expected, "order {order:?}");
        }
    }

    /// Builds a graph from lines `id [< parent…] [^ dependency…] [# label…]`, given in
    /// file order.
    pub(crate) fn build(spec: &[&str]) -> Result<RevisionGraph> {
        let revisions = spec
            .iter()
            .map(|line| {
                let (line, labels) = line.split_once('#').unwrap_or((line, ""));
                let (line, deps) = line.split_once('^').unwrap_or((line, ""));
                let (id, parents) = line.split_once('<').unwrap_or((line, ""));
                let list = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(", ");
                let id = id.trim();
                let text = format!(
                    "-- {id}\n-- Revision ID: {id}\n-- Revises: {}\n-- Depends On: {}\n-- Branch Labels: {}\n-- migrate:up\n-- migrate:down\n",
                    list(parents),
                    list(deps),
                    list(labels)
                );
                Revision::parse(&text, Path::new(&format!("v/{id}.sql"))).unwrap()
            })
            .collect();
        RevisionGraph::new(revisions)
    }

    pub(crate) fn g(spec: &[&str]) -> RevisionGraph {
        build(spec).unwrap()
    }

    fn squash_revision(id: &str, parents: &str, replaces: &str) -> Revision {
        let text = format!(
            "-- {id}\n-- Revision ID: {id}\n-- Revises: {parents}\n-- Replaces: {replaces}\n-- migrate:up\n-- migrate:down\n"
        );
        Revision::parse(&text, Path::new(&format!("v/{id}.sql"))).unwrap()
    }

    fn plain(id: &str, parents: &str) -> Revision {
        squash_revision(id, parents, "")
    }

    #[test]
    fn a_squash_revision_stands_for_the_last_revision_it_replaces() {
        let graph = RevisionGraph::new(vec![
            plain("a", ""),
            squash_revision("s", "a", "b, c, d"),
            plain("e", "d"),
        ])
        .unwrap();
        let s = graph.find("s").unwrap();
        assert_eq!(graph.parents(graph.find("e").unwrap()), [s]);
        assert_eq!(graph.replaced("d"), Some(Replaced { by: s, last: true }));
        assert_eq!(graph.replaced("b"), Some(Replaced { by: s, last: false }));
        assert_eq!(graph.replaced("a"), None);
        let error = |revisions| RevisionGraph::new(revisions).unwrap_err().message;
        assert_eq!(
            error(vec![
                plain("a", ""),
                squash_revision("s", "a", "b, c"),
                plain("e", "b")
            ]),
            "v/e.sql: 'Revises: b' names a revision that squash revision s replaced part way; name s instead"
        );
        assert!(
            error(vec![plain("a", ""), squash_revision("s", "", "a")])
                .starts_with("v/a.sql: revision a is replaced by squash revision s (v/s.sql) but is still in the versions directory")
        );
        // A replaced squash revision passes on what it replaced.
        let graph = RevisionGraph::with_replaced(
            vec![squash_revision("t", "", "s, e"), plain("f", "e")],
            &[squash_revision("s", "", "b, c, d")],
        )
        .unwrap();
        let t = graph.find("t").unwrap();
        assert_eq!(graph.replaced("d"), Some(Replaced { by: t, last: false }));
        assert_eq!(graph.replaced("e"), Some(Replaced { by: t, last: true }));
    }

    fn ids(g: &RevisionGraph, marks: &Marks) -> Vec<String> {
        (0..g.len())
            .filter(|&i| marks[i])
            .map(|i| g.revision(i).id.clone())
            .collect()
    }

    fn order(g: &RevisionGraph) -> Vec<&str> {
        g.revisions().iter().map(|r| r.id.as_str()).collect()
    }

    fn find(g: &RevisionGraph, id: &str) -> usize {
        g.find(id).unwrap()
    }

    #[test]
    fn orders_parents_first_whatever_the_file_order() {
        let g = g(&["c < b", "a", "b < a"]);
        assert_eq!(order(&g), ["a", "b", "c"]);
        assert_eq!(g.ids(&g.heads()), "c");
    }

    #[test]
    fn the_order_finishes_one_branch_before_the_next() {
        let g = g(&["a", "b1 < a", "b2 < a", "c1 < b1", "c2 < b2", "m < c1 c2"]);
        assert_eq!(order(&g), ["a", "b1", "c1", "b2", "c2", "m"]);
        // Separate roots too, each to its end.
        let g = self::g(&["x", "y", "x2 < x", "y2 < y"]);
        assert_eq!(order(&g), ["x", "x2", "y", "y2"]);
        assert_eq!(g.ids(&g.bases()), "x, y");
    }

    #[test]
    fn ancestors_and_descendants_follow_merges_and_dependencies() {
        let g = g(&["a", "b1 < a", "b2 < a", "m < b1 b2", "x", "y < x ^ b1"]);
        assert_eq!(
            ids(&g, &g.ancestors(&[find(&g, "m")])),
            ["a", "b1", "b2", "m"]
        );
        assert_eq!(
            ids(&g, &g.ancestors(&[find(&g, "y")])),
            ["a", "b1", "x", "y"]
        );
        assert_eq!(ids(&g, &g.descendants(&[find(&g, "b1")])), ["b1", "m", "y"]);
        assert_eq!(
            ids(&g, &g.descendants_by_revises(find(&g, "b1"))),
            ["b1", "m"]
        );
        assert_eq!(g.ids(&g.heads()), "m, y");
        assert!(g.is_branch_point(find(&g, "a")) && g.is_merge_point(find(&g, "m")));
    }

    #[test]
    fn the_version_rows_of_a_set_leave_out_what_other_rows_imply() {
        let g = g(&["a", "b < a", "x", "y < x ^ b", "z < x"]);
        let marks = g.ancestors(&[find(&g, "y"), find(&g, "z")]);
        let heads: Vec<usize> = g.heads_of(&marks).into_iter().collect();
        // b is implied by y's dependency, x by both y and z.
        assert_eq!(g.ids(&heads), "y, z");
    }

    #[test]
    fn partial_ids_and_labels_resolve_when_unique() {
        let g = g(&["abc123 # lib", "abd456 < abc123"]);
        assert_eq!(g.resolve_id("abc").unwrap(), 0);
        assert_eq!(g.resolve_id("abd456").unwrap(), 1);
        assert_eq!(g.resolve_id("lib").unwrap(), 0);
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
        let only_second = vec![false, true];
        assert_eq!(g.resolve_among("ab", Some(&only_second)).unwrap(), 1);
    }

    /// Alembic's LabeledBranchTest: two roots, a label on each.
    pub(crate) fn labelled() -> RevisionGraph {
        g(&[
            "a # abranch",
            "b < a",
            "somelongername < b",
            "c < somelongername",
            "d",
            "e < d # ebranch",
            "someothername < e",
            "f < someothername",
        ])
    }

    #[test]
    fn a_label_names_the_branch_that_starts_at_its_revision() {
        let g = labelled();
        let ebranch = g.scope("ebranch").unwrap();
        assert_eq!(ids(&g, &ebranch.members), ["e", "someothername", "f"]);
        assert_eq!(ebranch.kind, ScopeKind::Label(find(&g, "e")));
        assert_eq!(ebranch.describe(&g), "branch ebranch (which starts at e)");
        // A revision's line reaches down to the base (no branch point below it).
        let line = g.scope("someoth").unwrap();
        assert_eq!(ids(&g, &line.members), ["d", "e", "someothername", "f"]);
        let err = g.scope("x").unwrap_err().message;
        assert_eq!(
            err,
            "no branch label or revision 'x' in the migrations; the branch labels are: abranch, ebranch"
        );
    }

    #[test]
    fn a_line_stops_at_branch_points_and_merge_points() {
        let g = g(&[
            "a",
            "b < a",
            "c1 < b",
            "d1 < c1",
            "c2 < b",
            "m < d1 c2",
            "n < m",
        ]);
        let line = g.scope("d1").unwrap();
        assert_eq!(ids(&g, &line.members), ["c1", "d1", "m", "n"]);
        // A merge point ends a line downwards, as in Alembic.
        let line = g.scope("n").unwrap();
        assert_eq!(ids(&g, &line.members), ["n"]);
    }

    #[test]
    fn walking_is_relative_and_refuses_ambiguity() {
        let g = g(&["a", "b < a", "c < b", "d < b"]);
        assert_eq!(g.walk(None, 2, None).unwrap(), Some(1));
        assert_eq!(g.walk(Some(1), -2, None).unwrap(), None);
        assert!(
            g.walk(Some(1), 1, None)
                .unwrap_err()
                .message
                .contains("ambiguous at b: it leads to c, d")
        );
        assert_eq!(
            g.walk(Some(0), -2, None).unwrap_err().message,
            "cannot move -2: the starting revision has only 1 revision below it"
        );
        let c = g.find("c").unwrap();
        assert_eq!(
            g.walk(Some(c), 1, None).unwrap_err().message,
            "cannot move +1: c is a head, no revision comes after it"
        );
    }

    #[test]
    fn walking_on_a_branch_stays_on_it() {
        let g = labelled();
        let e = g.scope("ebranch").unwrap();
        assert_eq!(g.walk(None, 1, Some(&e)).unwrap(), g.find("e"));
        assert_eq!(g.walk(None, 3, Some(&e)).unwrap(), g.find("f"));
        assert_eq!(g.walk(g.find("f"), -3, Some(&e)).unwrap(), None);
        assert!(
            g.walk(g.find("f"), 1, Some(&e))
                .unwrap_err()
                .message
                .starts_with("cannot move +1 on branch ebranch (which starts at e): nothing on it comes after f")
        );
        // Without a branch, base+1 is ambiguous between the two roots.
        assert!(
            g.walk(None, 1, None)
                .unwrap_err()
                .message
                .contains("ambiguous at base: it leads to a, d")
        );
    }

    #[test]
    fn broken_graphs_name_the_files() {
        let err = |spec: &[&str]| build(spec).unwrap_err().message;
        assert_eq!(
            err(&["a", "a"]),
            "revision id a is claimed by two files: v/a.sql and v/a.sql; give one of them a new id"
        );
        assert_eq!(
            err(&["a", "b < zz"]),
            "v/b.sql: 'Revises: zz' names a revision that does not exist in v; restore that revision's file, or correct the line"
        );
        assert_eq!(
            err(&["abc123", "b < abc"]),
            "v/b.sql: 'Revises: abc' names a revision that does not exist in v; did you mean abc123 (v/abc123.sql)? write the full id"
        );
        assert_eq!(
            err(&["a", "b ^ lib"]),
            "v/b.sql: 'Depends On: lib' names a revision or branch label that does not exist in v; restore that revision's file, or correct the line"
        );
        assert_eq!(
            err(&["a # x", "b < a # x"]),
            "branch label x is claimed by two files: v/a.sql and v/b.sql; a label names one branch, so rename one of them"
        );
        assert_eq!(
            err(&["a # b", "b"]),
            "v/a.sql: branch label b is also the id of the revision in v/b.sql; rename the label"
        );
        let cycle = err(&["r", "a < b", "b < a"]);
        assert!(
            cycle
                == "the revisions form a cycle: v/a.sql -> v/b.sql -> v/a.sql; one of them must revise an older revision"
                || cycle
                    == "the revisions form a cycle: v/b.sql -> v/a.sql -> v/b.sql; one of them must revise an older revision",
            "{cycle}"
        );
        assert_eq!(
            err(&["a < a"]),
            "v/a.sql: revision a names itself in 'Revises:' or 'Depends On:'; name an older revision"
        );
        // A dependency can close a cycle too.
        assert!(err(&["a ^ b", "b < a"]).contains("form a cycle"));
    }

    #[test]
    fn dependencies_may_name_a_branch_label() {
        let g = g(&["a1 # lib", "b1 < a1 # c1lib", "a2", "b2 < a2 ^ c1lib"]);
        let b2 = find(&g, "b2");
        assert_eq!(g.ids(g.dependencies(b2)), "b1");
        assert_eq!(g.ids(g.dependents(find(&g, "b1"))), "b2");
    }
}
