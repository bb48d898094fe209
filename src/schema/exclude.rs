//! The `exclude` patterns of mb.toml: objects every command ignores, on both sides — in
//! the live database and in `schema.sql` — as Atlas's `--exclude` does.
//!
//! A pattern is a glob over an object's name (`*` any run of characters, `?` one
//! character; nothing else is special), matched against tables, views, indexes and the
//! objects mb leaves alone (triggers, functions, …); the parts of an excluded table go
//! with it. A pattern with a dot, `public.tmp_*`, is qualified: the part before the last
//! dot matches the schema mb works in (PostgreSQL's current schema, the MySQL database,
//! `main` on SQLite), the part after it the name.

use super::Schema;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exclude {
    patterns: Vec<String>,
}

impl Exclude {
    pub fn new(patterns: Vec<String>) -> Self {
        Exclude { patterns }
    }

    /// The first pattern that matches object `name` in `namespace`; without a
    /// namespace (a declared schema read without a database), a qualified pattern
    /// matches on its name alone.
    pub fn matching(&self, namespace: Option<&str>, name: &str) -> Option<&str> {
        self.patterns
            .iter()
            .find(|pattern| match pattern.rsplit_once('.') {
                Some((schema, object)) => {
                    namespace.is_none_or(|ns| glob(schema, ns)) && glob(object, name)
                }
                None => glob(pattern, name),
            })
            .map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Takes the excluded tables, views and indexes out of `schema`; returns what was
    /// taken out, as `table "t"` or `index "i" on "t"`, with the pattern.
    pub fn apply(&self, namespace: Option<&str>, schema: &mut Schema) -> Vec<(String, String)> {
        let mut taken = Vec::new();
        if self.is_empty() {
            return taken;
        }
        let names: Vec<String> = schema.tables.keys().cloned().collect();
        for name in names {
            if let Some(pattern) = self.matching(namespace, &name) {
                schema.tables.remove(&name);
                taken.push((
                    format!("table {}", super::quoted(&name)),
                    pattern.to_string(),
                ));
            }
        }
        schema
            .views
            .retain(|name, _| match self.matching(namespace, name) {
                Some(pattern) => {
                    taken.push((format!("view {}", super::quoted(name)), pattern.to_string()));
                    false
                }
                None => true,
            });
        schema.tables.change_each(|table, t| {
            t.indexes
                .retain(|i| match self.matching(namespace, &i.name) {
                    Some(pattern) => {
                        let what = format!(
                            "index {} on {}",
                            super::quoted(&i.name),
                            super::quoted(table)
                        );
                        taken.push((what, pattern.to_string()));
                        false
                    }
                    None => true,
                });
        });
        taken
    }
}

/// Whether `text` matches `pattern`, where `*` is any run of characters and `?` one.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // The classic two-pointer match, going back to the last `*` on a mismatch.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_any_run_and_one_character() {
        for (pattern, text, matches) in [
            ("legacy_*", "legacy_orders", true),
            ("legacy_*", "legacy_", true),
            ("legacy_*", "orders_legacy", false),
            ("audit_log", "audit_log", true),
            ("audit_log", "audit_logs", false),
            ("t?p", "tmp", true),
            ("t?p", "tp", false),
            ("*_tmp_*", "a_tmp_b", true),
            ("*", "", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
        ] {
            assert_eq!(glob(pattern, text), matches, "{pattern} {text}");
        }
    }

    #[test]
    fn a_qualified_pattern_matches_the_schema_mb_works_in() {
        let exclude = Exclude::new(vec!["public.tmp_*".into(), "audit_log".into()]);
        assert_eq!(
            exclude.matching(Some("public"), "tmp_a"),
            Some("public.tmp_*")
        );
        assert_eq!(exclude.matching(Some("sales"), "tmp_a"), None);
        assert_eq!(exclude.matching(None, "tmp_a"), Some("public.tmp_*"));
        assert_eq!(
            exclude.matching(Some("sales"), "audit_log"),
            Some("audit_log")
        );
    }
}
