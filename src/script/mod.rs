//! The migrations directory: `versions/` with one file per revision, the template new
//! revisions are made from, and the revision graph they form.

pub mod cache;
pub mod graph;
pub mod revision;
pub mod split;
pub mod target;
pub mod transaction_control;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use cache::{Cache, FileStamp, LoadedFile, Subdir};
pub use graph::RevisionGraph;
pub use revision::Revision;

use crate::{Error, Result};

pub const VERSIONS_DIR: &str = "versions";
/// Where `mb db squash` moves the revisions it replaced.
pub const REPLACED_DIR: &str = "replaced";
pub const TEMPLATE_FILE: &str = "script.sql.template";
pub const README_FILE: &str = "README";

/// The template `mb db init` writes; also used when a project has deleted its copy.
pub const DEFAULT_TEMPLATE: &str = "-- ${message}\n--\n-- Revision ID: ${rev_id}\n-- Revises: ${down_revision}\n-- Create Date: ${create_date}\n${extra_headers}--\n-- migrate:up\n${upgrades}\n-- migrate:down\n${downgrades}\n";

const README_TEXT: &str =
    "This directory holds the database migrations of the project, managed by mb.

versions/            one file per revision: a header, then '-- migrate:up' and '-- migrate:down'
script.sql.template  the template new revision files are made from

Common commands:
  mb db migrate -m \"message\"   write a revision from the changes to schema.sql
  mb db revision -m \"message\"  write an empty revision to fill in by hand
  mb db upgrade                apply all pending revisions
  mb db downgrade              undo the last revision
  mb db history                list the revisions
";

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 7] = [
    "message",
    "rev_id",
    "down_revision",
    "create_date",
    "extra_headers",
    "upgrades",
    "downgrades",
];

#[derive(Debug)]
pub struct ScriptDirectory {
    pub dir: PathBuf,
    pub graph: RevisionGraph,
    /// The revisions squash revisions replaced, kept in `replaced/` for databases part
    /// way through them (see docs/squash.md).
    pub replaced: Vec<Revision>,
}

impl ScriptDirectory {
    pub fn versions_dir(dir: &Path) -> PathBuf {
        dir.join(VERSIONS_DIR)
    }

    pub fn replaced_dir(dir: &Path) -> PathBuf {
        dir.join(REPLACED_DIR)
    }

    /// Reads every `*.sql` file in `versions/` (and in `replaced/`, when there is one)
    /// and builds the graph. Files unchanged since a run cached them are not read (see
    /// `cache.rs`).
    pub fn load(dir: &Path) -> Result<ScriptDirectory> {
        let started = SystemTime::now();
        let versions = Self::versions_dir(dir);
        let caching = cache::enabled();
        // The cache is read while the directory is listed: both are a few milliseconds
        // with thousands of revisions, and listing is one system call after another.
        let (names, cache) = std::thread::scope(|scope| {
            let reader = caching
                .then(|| std::thread::Builder::new().spawn_scoped(scope, || Cache::read(dir)));
            let names = sql_files(&versions);
            let cache = match reader {
                None => None,
                Some(Ok(reader)) => reader.join().ok().flatten(),
                // No thread to be had: read it here.
                Some(Err(_)) => Cache::read(dir),
            };
            (names, cache)
        });
        let names = names.map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::script(format!(
                    "no migrations directory at {}; run `mb db init` to create it (or pass -d DIR)",
                    versions.display()
                ))
            } else {
                Error::io("read", &versions, &e)
            }
        })?;
        let loader = Loader {
            cache: cache.as_ref(),
            stamps: caching,
        };
        let revisions = loader.load(&versions, Subdir::Versions, &names)?;
        let replaced_dir = Self::replaced_dir(dir);
        let replaced_names = match sql_files(&replaced_dir) {
            Ok(names) => names,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io("read", &replaced_dir, &e)),
        };
        let replaced = loader.load(&replaced_dir, Subdir::Replaced, &replaced_names)?;
        if caching {
            let names = names.iter().map(|name| (Subdir::Versions, name));
            let replaced_names = replaced_names.iter().map(|name| (Subdir::Replaced, name));
            let files = names
                .chain(replaced_names)
                .zip(revisions.iter().chain(&replaced));
            let files = files.map(|((subdir, name), loaded)| LoadedFile {
                subdir,
                name,
                stamp: loaded.stamp,
                from_cache: loaded.from_cache,
                text: &loaded.revision.text,
            });
            cache::update(dir, cache.as_ref(), started, files);
        }
        let revisions = revisions.into_iter().map(|l| l.revision).collect();
        let replaced: Vec<Revision> = replaced.into_iter().map(|l| l.revision).collect();
        Ok(ScriptDirectory {
            dir: dir.to_path_buf(),
            graph: RevisionGraph::with_replaced(revisions, &replaced)?,
            replaced,
        })
    }

    /// `graph` as it was before its squash revision `squash`: the revisions it replaced
    /// (from `replaced/`) in its place. Fails when some of them are gone.
    pub fn unsquashed(&self, graph: &RevisionGraph, squash: usize) -> Result<RevisionGraph> {
        let squash = graph.revision(squash);
        let mut revisions: Vec<Revision> = graph
            .revisions()
            .iter()
            .filter(|r| r.id != squash.id)
            .cloned()
            .collect();
        for id in &squash.replaces {
            let Some(original) = self.replaced.iter().find(|r| &r.id == id) else {
                return Err(Error::script(format!(
                    "revision {id}, which squash revision {} replaced, is not in {}; restore the replaced files from version control (docs/squash.md)",
                    squash.id,
                    Self::replaced_dir(&self.dir).display()
                )));
            };
            revisions.push(original.clone());
        }
        RevisionGraph::with_replaced(revisions, &self.replaced)
    }

    /// Creates the directory with `versions/`, a README and the template. Refuses a
    /// directory that exists and is not empty.
    pub fn create(dir: &Path) -> Result<()> {
        if let Ok(mut entries) = std::fs::read_dir(dir)
            && entries.next().is_some()
        {
            return Err(Error::script(format!(
                "{} already exists and is not empty; choose another directory with -d DIR, or remove it first",
                dir.display()
            )));
        }
        let versions = Self::versions_dir(dir);
        std::fs::create_dir_all(&versions).map_err(|e| Error::io("create", &versions, &e))?;
        write_file(&dir.join(README_FILE), README_TEXT)?;
        write_file(&dir.join(TEMPLATE_FILE), DEFAULT_TEMPLATE)
    }

    /// Writes a new revision file from the template and returns it, parsed back.
    pub fn write_revision(&self, new: &NewRevision) -> Result<Revision> {
        if self.graph.find(&new.id).is_some() {
            return Err(Error::script(format!(
                "revision id {} is already used",
                new.id
            )));
        }
        if let Some(i) = self.graph.find_label(&new.id) {
            let owner = self.graph.revision(i);
            return Err(Error::script(format!(
                "revision id {} is already a branch label (of {} in {}); choose another id",
                new.id,
                owner.id,
                owner.path.display()
            )));
        }
        let template_path = self.dir.join(TEMPLATE_FILE);
        let template = match std::fs::read_to_string(&template_path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => DEFAULT_TEMPLATE.to_string(),
            Err(e) => return Err(Error::io("read", &template_path, &e)),
        };
        let text = render_template(&template, new)
            .map_err(|what| Error::script(format!("{}: {what}", template_path.display())))?;
        let path =
            Self::versions_dir(&self.dir).join(format!("{}_{}.sql", new.id, slug(&new.message)));
        let revision = Revision::parse(&text, &path).map_err(|e| {
            Error::script(format!(
                "{} produces a revision mb cannot read ({}); compare it with the default template",
                template_path.display(),
                e.message
            ))
        })?;
        write_new_file(&path, &text)?;
        Ok(revision)
    }
}

/// The names of the `*.sql` files in `dir`, sorted.
fn sql_files(dir: &Path) -> std::io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        // The directory entry's own type avoids a stat call per file.
        let is_file = entry
            .file_type()
            .is_ok_and(|t| t.is_file() || t.is_symlink());
        let name = entry.file_name();
        if is_file && is_sql_name(&name) {
            names.push(name);
        }
    }
    names.sort_unstable();
    Ok(names)
}

/// Whether `Path::extension()` of `name` is `sql`, without parsing it as a path.
fn is_sql_name(name: &std::ffi::OsStr) -> bool {
    name.len() > ".sql".len() && name.as_encoded_bytes().ends_with(b".sql")
}

/// How a run loads revision files: through the cache when there is one, taking each
/// file's stamp when the cache is on.
struct Loader<'a> {
    cache: Option<&'a Cache>,
    stamps: bool,
}

/// A revision and what the cache needs to know about its file.
struct Loaded {
    revision: Revision,
    stamp: Option<FileStamp>,
    from_cache: bool,
}

impl Loader<'_> {
    /// Loads the revision files named `names` in `dir` on every core: start-up time
    /// with thousands of revisions is dominated by file system calls. (In file-name
    /// order, not directory order: that is usually the order the files, and so their
    /// inodes, were made in, which the kernel reads faster.) Listing the directory is
    /// serial, so it keeps names; each thread joins its own to the directory.
    fn load(&self, dir: &Path, subdir: Subdir, names: &[OsString]) -> Result<Vec<Loaded>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let dir_file = std::fs::File::open(dir).map_err(|e| Error::io("read", dir, &e))?;
        let files: Vec<(&OsString, Option<usize>)> = match self.cache {
            Some(cache) => names.iter().zip(cache.positions(subdir, names)).collect(),
            None => names.iter().map(|name| (name, None)).collect(),
        };
        crate::parallel::map(&files, 256, |&(name, position)| {
            let Some(cache) = self.cache else {
                let (revision, stamp) = Revision::load(&dir_file, dir, name, self.stamps)?;
                return Ok(Loaded {
                    revision,
                    stamp,
                    from_cache: false,
                });
            };
            // A stat, and the file is read only when the cache does not have it as it is.
            let stamp = FileStamp::at(&dir_file, name);
            let cached = position
                .zip(stamp)
                .and_then(|(at, stamp)| cache.text(at, &stamp));
            let revision = match cached {
                Some(text) => Revision::from_cached(text, dir, name)?,
                None => Revision::load(&dir_file, dir, name, false)?.0,
            };
            Ok(Loaded {
                revision,
                stamp,
                from_cache: cached.is_some(),
            })
        })
        .into_iter()
        .collect()
    }
}

/// What a new revision file says.
#[derive(Debug, Clone, Default)]
pub struct NewRevision {
    pub id: String,
    pub message: String,
    pub parents: Vec<String>,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<String>,
    /// For a squash revision: the revisions it replaces, oldest first.
    pub replaces: Vec<String>,
    pub create_date: String,
    pub upgrades: String,
    pub downgrades: String,
}

/// 12 random hex digits, like Alembic's revision ids.
pub fn new_revision_id() -> Result<String> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::new(
            crate::ErrorKind::Io,
            format!("no random numbers from the operating system: {e}"),
        )
    })?;
    Ok(crate::text::hex(&bytes))
}

/// `${name}` placeholders replaced; an unknown one is an error rather than left in.
fn render_template(template: &str, new: &NewRevision) -> std::result::Result<String, String> {
    let mut extra_headers = String::new();
    if !new.branch_labels.is_empty() {
        extra_headers.push_str(&format!(
            "-- Branch Labels: {}\n",
            new.branch_labels.join(", ")
        ));
    }
    if !new.depends_on.is_empty() {
        extra_headers.push_str(&format!("-- Depends On: {}\n", new.depends_on.join(", ")));
    }
    if !new.replaces.is_empty() {
        extra_headers.push_str(&format!("-- Replaces: {}\n", new.replaces.join(", ")));
    }
    let value = |name: &str| -> Option<String> {
        Some(match name {
            "message" => new.message.replace(['\n', '\r'], " "),
            "rev_id" => new.id.clone(),
            "down_revision" => new.parents.join(", "),
            "create_date" => new.create_date.clone(),
            "extra_headers" => extra_headers.clone(),
            "upgrades" => new.upgrades.clone(),
            "downgrades" => new.downgrades.clone(),
            _ => return None,
        })
    };
    let mut out = String::with_capacity(template.len() + new.upgrades.len() + new.downgrades.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            return Err("a '${' without its closing '}'".into());
        };
        let name = &rest[start + 2..start + len];
        out.push_str(&value(name).ok_or_else(|| {
            format!(
                "unknown placeholder ${{{name}}}; the template may use {}",
                PLACEHOLDERS.map(|p| format!("${{{p}}}")).join(", ")
            )
        })?);
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A file-name-safe form of a message: `"Posts table!"` -> `posts_table`.
pub fn slug(message: &str) -> String {
    let mut slug = String::new();
    for c in message.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
        if slug.chars().count() >= 40 {
            break;
        }
    }
    slug.trim_matches('_').to_string()
}

/// Creates `path`, which must not exist, with `text`. A write that fails part way (a
/// full disk) removes the file again rather than leave half a revision or config behind.
pub fn write_new_file(path: &Path, text: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io("create", path, &e))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| {
        let _ = std::fs::remove_file(path);
        Error::io("write", path, &e)
    })
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io("write", path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_short_lowercase_and_safe() {
        assert_eq!(slug("Posts table!"), "posts_table");
        assert_eq!(slug("  add   user.email "), "add_user_email");
        assert_eq!(slug("Ünïcode ok"), "ünïcode_ok");
        assert_eq!(slug(&"x".repeat(100)).len(), 40);
        assert_eq!(slug(""), "");
    }

    #[test]
    fn only_sql_files_are_listed_by_name_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b_2.sql",
            "a_1.sql",
            ".sql",
            "c.SQL",
            "d.sql.bak",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("e.sql")).unwrap();
        let names = sql_files(dir.path()).unwrap();
        assert_eq!(names, ["a_1.sql", "b_2.sql"]);
        // The same choice as the extension a path gives.
        for name in [".sql", "c.SQL", "d.sql.bak", "x..sql", "..sql"] {
            let by_path = Path::new(name).extension().is_some_and(|e| e == "sql");
            let listed = is_sql_name(std::ffi::OsStr::new(name));
            assert_eq!(listed, by_path, "{name}");
        }
    }

    #[test]
    fn revision_ids_are_twelve_hex_digits() {
        let id = new_revision_id().unwrap();
        assert_eq!(id.len(), 12);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(id, new_revision_id().unwrap());
    }

    #[test]
    fn the_default_template_renders_a_readable_revision() {
        let new = NewRevision {
            id: "780739b227a7".into(),
            message: "posts table".into(),
            parents: vec!["e517276bb1c2".into()],
            branch_labels: vec!["feature".into()],
            create_date: "2026-11-24 10:32:01.123456".into(),
            upgrades: "CREATE TABLE \"post\" (\"id\" INTEGER);\n".into(),
            downgrades: "DROP TABLE \"post\";\n".into(),
            ..NewRevision::default()
        };
        let text = render_template(DEFAULT_TEMPLATE, &new).unwrap();
        assert_eq!(
            text,
            "-- posts table\n--\n-- Revision ID: 780739b227a7\n-- Revises: e517276bb1c2\n-- Create Date: 2026-11-24 10:32:01.123456\n-- Branch Labels: feature\n--\n-- migrate:up\nCREATE TABLE \"post\" (\"id\" INTEGER);\n\n-- migrate:down\nDROP TABLE \"post\";\n\n"
        );
        let parsed = Revision::parse(&text, Path::new("x.sql")).unwrap();
        assert_eq!(parsed.branch_labels, vec!["feature"]);
        assert!(
            render_template("${nope}", &new)
                .unwrap_err()
                .contains("unknown placeholder ${nope}")
        );
    }
}
