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
    /// The text, one line or more joined by newlines; the first goes beside the `*`.
    pub text: String,
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
        let mut out = String::new();
        for (k, entry) in entries.iter().enumerate() {
            if k > 0 {
                out.push('\n');
            }
            out.push_str(&entry.text);
        }
        return out;
    }
    // Whether anything is drawn is known only at the end (a second lane anywhere), so the
    // lanes are walked twice, once to find out and once to write; the walk allocates
    // nothing per row, which is cheaper than keeping 10,000 rows for the one pass.
    let drawn = walk(entries, |_, _| {});
    let mut out = String::new();
    let mut first = true;
    walk(entries, |gutter, text| {
        let line = match (drawn, text) {
            (false, Some(text)) => [text, ""],
            (false, None) => return,
            (true, None | Some("")) => [gutter.trim_end(), ""],
            (true, Some(text)) => [gutter, text],
        };
        if !std::mem::take(&mut first) {
            out.push('\n');
        }
        out.extend(line);
    });
    out
}

/// Tracks the lanes of `entries`, handing each row's gutter and text (none for a row
/// that only draws lines) to `row`; returns whether any row had a second lane.
fn walk<'e>(entries: &'e [Entry], mut row: impl FnMut(&str, Option<&'e str>)) -> bool {
    let mut lanes: Vec<Option<usize>> = Vec::new();
    let mut gutter = Gutter::default();
    let mut waiting: Vec<usize> = Vec::new();
    let mut drawn = false;
    for entry in entries {
        waiting.clear();
        waiting.extend((0..lanes.len()).filter(|&k| lanes[k] == Some(entry.node)));
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
            row(gutter.join(&lanes, waiting[pair - 1], waiting[pair]), None);
            lanes[waiting[pair]] = None;
        }
        while lanes.last() == Some(&None) {
            lanes.pop();
        }
        let mut first = true;
        // An entry without text still gets its `*`: splitting "" gives one empty line.
        for line in entry.text.split('\n') {
            if first {
                row(gutter.commit(&lanes, col), Some(line));
                first = false;
                let mut parents = entry.parents.iter().copied();
                lanes[col] = parents.next();
                for parent in parents.rev() {
                    row(gutter.branch(&mut lanes, col, parent), None);
                }
            } else {
                row(gutter.straight(&lanes), Some(line));
            }
        }
        while lanes.last() == Some(&None) {
            lanes.pop();
        }
        drawn |= lanes.len() > 1;
    }
    drawn
}

/// The drawing left of one row's text, rewritten in place for each row.
#[derive(Default)]
struct Gutter(Vec<u8>);

impl Gutter {
    /// Two characters per lane: the lane itself and the gap to its right.
    fn blank(&mut self, lanes: &[Option<usize>]) {
        self.0.clear();
        for lane in lanes {
            self.0.push(if lane.is_some() { b'|' } else { b' ' });
            self.0.push(b' ');
        }
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a gutter is ASCII")
    }

    fn straight(&mut self, lanes: &[Option<usize>]) -> &str {
        self.blank(lanes);
        self.text()
    }

    fn commit(&mut self, lanes: &[Option<usize>], col: usize) -> &str {
        self.blank(lanes);
        self.0[2 * col] = b'*';
        self.text()
    }

    /// Lane `from` joins lane `to` (to its left): `|/`, or `|_|/` across lanes in between.
    fn join(&mut self, lanes: &[Option<usize>], to: usize, from: usize) -> &str {
        self.blank(lanes);
        self.0[2 * from] = b' ';
        for c in &mut self.0[(2 * to + 1)..(2 * from - 1)] {
            if *c == b' ' {
                *c = b'_';
            }
        }
        self.0[2 * from - 1] = b'/';
        self.text()
    }

    /// A merge's further parent gets a lane right of the merge: `|\`, shifting the lanes
    /// to the right of it one place on (`|\ \`) when the place is taken.
    fn branch(&mut self, lanes: &mut Vec<Option<usize>>, col: usize, parent: usize) -> &str {
        let at = col + 1;
        if lanes.get(at).is_none_or(Option::is_none) {
            if at == lanes.len() {
                lanes.push(None);
            }
            lanes[at] = Some(parent);
            self.blank(lanes);
            self.0[2 * at] = b' ';
            self.0[2 * col + 1] = b'\\';
            return self.text();
        }
        let before = lanes.clone();
        lanes.insert(at, Some(parent));
        self.blank(lanes);
        self.0[2 * col + 1] = b'\\';
        for (k, lane) in before.iter().enumerate().skip(at) {
            self.0[2 * (k + 1)] = b' ';
            if lane.is_some() {
                self.0[2 * k + 1] = b'\\';
            }
        }
        self.text()
    }
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
                text: format!("r{node}"),
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
                text: "Rev: 1\n".into(),
            },
            Entry {
                node: 0,
                parents: vec![],
                text: "Rev: 0".into(),
            },
        ];
        // Two roots one after the other reuse the first lane: a line, not drawn.
        assert_eq!(draw(&entries), "Rev: 1\n\nRev: 0");
    }
}
