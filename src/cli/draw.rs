//! The revision graph drawn beside `mb db history`, the way `git log --graph` draws
//! commits: newest first, one lane per line of development, `*` for a revision, `/` where
//! a branch leaves a branch point (reading downwards: where lanes join) and `\` where a
//! merge's second parent starts its lane. A history that is one line gets no drawing, so
//! its lines stay exactly Alembic's.

/// One revision to draw.
pub struct Entry {
    pub node: usize,
    /// The parents that are drawn too (a parent outside a `-r` range ends the lane).
    pub parents: Vec<usize>,
    /// The text; the first line goes beside the `*`.
    pub lines: Vec<String>,
}

/// The text to print for `entries`, given newest first (every child before its
/// parents): one line per row, joined with newlines. (One string, not a vector of lines:
/// 10,000 revisions are 10,000 allocations fewer.)
pub fn draw(entries: &[Entry]) -> String {
    // The common case, one line of revisions, has nothing to draw: no lanes to track
    // through 10,000 rows.
    let one_line = entries.windows(2).all(|w| w[0].parents == [w[1].node])
        && entries.last().is_none_or(|last| last.parents.is_empty());
    if one_line {
        let lines = entries.iter().flat_map(|entry| {
            let lines = entry.lines.iter().map(String::as_str);
            lines.chain(entry.lines.is_empty().then_some(""))
        });
        return lines.collect::<Vec<_>>().join("\n");
    }
    let mut rows: Vec<(String, Option<&str>)> = Vec::new();
    let mut lanes: Vec<Option<usize>> = Vec::new();
    let mut drawn = false;
    for entry in entries {
        let mut waiting: Vec<usize> = (0..lanes.len())
            .filter(|&k| lanes[k] == Some(entry.node))
            .collect();
        if waiting.is_empty() {
            let free = lanes
                .iter()
                .position(Option::is_none)
                .unwrap_or(lanes.len());
            if free == lanes.len() {
                lanes.push(None);
            }
            lanes[free] = Some(entry.node);
            waiting.push(free);
        }
        // Any second lane (or a join, which needs one) means the history is drawn.
        drawn |= lanes.len() > 1;
        let col = waiting[0];
        // Children met in other lanes join this one, each into its neighbour on the
        // left, the rightmost first.
        for pair in (1..waiting.len()).rev() {
            rows.push((join_row(&lanes, waiting[pair - 1], waiting[pair]), None));
            lanes[waiting[pair]] = None;
        }
        while lanes.last() == Some(&None) {
            lanes.pop();
        }
        let mut first = true;
        for line in entry.lines.iter().map(String::as_str).chain(
            // An entry without text still gets its `*`.
            entry.lines.is_empty().then_some(""),
        ) {
            if first {
                rows.push((commit_row(&lanes, col), Some(line)));
                first = false;
                let mut parents = entry.parents.iter().copied();
                lanes[col] = parents.next();
                for parent in parents.rev() {
                    rows.push((branch_row(&mut lanes, col, parent), None));
                }
            } else {
                rows.push((straight_row(&lanes), Some(line)));
            }
        }
        while lanes.last() == Some(&None) {
            lanes.pop();
        }
        drawn |= lanes.len() > 1;
    }
    let mut out = String::new();
    let mut first = true;
    for (gutter, text) in &rows {
        let line = match (drawn, *text) {
            (false, Some(text)) => [text, ""],
            (false, None) => continue,
            (true, None | Some("")) => [gutter.trim_end(), ""],
            (true, Some(text)) => [gutter.as_str(), text],
        };
        if !std::mem::take(&mut first) {
            out.push('\n');
        }
        out.extend(line);
    }
    out
}

/// Two characters per lane: the lane itself and the gap to its right.
fn blank(lanes: &[Option<usize>]) -> Vec<char> {
    let mut chars = vec![' '; lanes.len() * 2];
    for (k, lane) in lanes.iter().enumerate() {
        if lane.is_some() {
            chars[2 * k] = '|';
        }
    }
    chars
}

fn straight_row(lanes: &[Option<usize>]) -> String {
    blank(lanes).into_iter().collect()
}

fn commit_row(lanes: &[Option<usize>], col: usize) -> String {
    let mut chars = blank(lanes);
    chars[2 * col] = '*';
    chars.into_iter().collect()
}

/// Lane `from` joins lane `to` (to its left): `|/`, or `|_|/` across lanes in between.
fn join_row(lanes: &[Option<usize>], to: usize, from: usize) -> String {
    let mut chars = blank(lanes);
    chars[2 * from] = ' ';
    for c in &mut chars[(2 * to + 1)..(2 * from - 1)] {
        if *c == ' ' {
            *c = '_';
        }
    }
    chars[2 * from - 1] = '/';
    chars.into_iter().collect()
}

/// A merge's further parent gets a lane right of the merge: `|\`, shifting the lanes to
/// the right of it one place on (`|\ \`) when the place is taken.
fn branch_row(lanes: &mut Vec<Option<usize>>, col: usize, parent: usize) -> String {
    let at = col + 1;
    if lanes.get(at).is_none_or(Option::is_none) {
        if at == lanes.len() {
            lanes.push(None);
        }
        lanes[at] = Some(parent);
        let mut chars = blank(lanes);
        chars[2 * at] = ' ';
        chars[2 * col + 1] = '\\';
        return chars.into_iter().collect();
    }
    let before = lanes.clone();
    lanes.insert(at, Some(parent));
    let mut chars = blank(lanes);
    chars[2 * col + 1] = '\\';
    for k in at..before.len() {
        chars[2 * (k + 1)] = ' ';
        if before[k].is_some() {
            chars[2 * k + 1] = '\\';
        }
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries from `(node, parents)` with the node's number as text.
    fn lines(entries: &[(usize, &[usize])]) -> Vec<String> {
        let entries: Vec<Entry> = entries
            .iter()
            .map(|(node, parents)| Entry {
                node: *node,
                parents: parents.to_vec(),
                lines: vec![format!("r{node}")],
            })
            .collect();
        let text = draw(&entries);
        match text.is_empty() {
            true => Vec::new(),
            false => text.split('\n').map(String::from).collect(),
        }
    }

    #[test]
    fn a_line_is_not_drawn() {
        assert_eq!(lines(&[(2, &[1]), (1, &[0]), (0, &[])]), ["r2", "r1", "r0"]);
    }

    #[test]
    fn two_heads_on_a_branch_point() {
        assert_eq!(
            lines(&[(2, &[0]), (1, &[0]), (0, &[])]),
            ["* r2", "| * r1", "|/", "* r0"]
        );
    }

    #[test]
    fn a_merge_and_its_branches() {
        // 0 <- 1 <- 2 and 0 <- 3, merged by 4.
        assert_eq!(
            lines(&[(4, &[2, 3]), (3, &[0]), (2, &[1]), (1, &[0]), (0, &[])]),
            ["* r4", "|\\", "| * r3", "* | r2", "* | r1", "|/", "* r0"]
        );
    }

    #[test]
    fn a_merge_beside_another_lane_shifts_it() {
        // Heads 5 (on 0) and 4 (a merge of 2 and 3, both on 0).
        assert_eq!(
            lines(&[(5, &[0]), (4, &[2, 3]), (3, &[0]), (2, &[0]), (0, &[])]),
            [
                "* r5", "| * r4", "| |\\", "| | * r3", "| * | r2", "| |/", "|/", "* r0"
            ]
        );
    }

    #[test]
    fn lanes_join_across_lanes_in_between() {
        // 5 and 3 are on 0; 4 is on 1, another root, drawn between them.
        assert_eq!(
            lines(&[(5, &[0]), (4, &[1]), (3, &[0]), (0, &[]), (1, &[])]),
            ["* r5", "| * r4", "| | * r3", "|_|/", "* | r0", "  * r1"]
        );
    }

    #[test]
    fn separate_roots_and_continuation_lines() {
        let entries = vec![
            Entry {
                node: 1,
                parents: vec![],
                lines: vec!["Rev: 1".into(), "".into()],
            },
            Entry {
                node: 0,
                parents: vec![],
                lines: vec!["Rev: 0".into()],
            },
        ];
        // Two roots one after the other reuse the first lane: a line, not drawn.
        assert_eq!(draw(&entries), "Rev: 1\n\nRev: 0");
    }
}
