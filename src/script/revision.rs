//! One revision file: a header in SQL comments that a Flask-Migrate user recognises,
//! then `-- migrate:up` and `-- migrate:down` sections. The header, not the file name,
//! is the source of truth.

use std::ffi::OsStr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::cache::FileStamp;
use crate::{Error, Result};

pub const UP_MARKER: &str = "-- migrate:up";
pub const DOWN_MARKER: &str = "-- migrate:down";
/// Header directive: run this revision outside a transaction (`CREATE INDEX CONCURRENTLY`).
pub const NO_TRANSACTION_MARKER: &str = "-- mb:no-transaction";
/// Directive: the data this revision drops or narrows is meant to go. In the header it
/// covers both sections; in a section, that section.
pub const ALLOW_DATA_LOSS_MARKER: &str = "-- mb:allow-data-loss";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub id: String,
    /// `Revises:` — several for a merge, none for a base.
    pub parents: Vec<String>,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<String>,
    /// `Replaces:` — the revisions a squash revision stands for, oldest first (see
    /// docs/squash.md).
    pub replaces: Vec<String>,
    pub message: String,
    pub create_date: Option<String>,
    pub no_transaction: bool,
    pub path: PathBuf,
    /// The file's text with line endings normalized to `\n`.
    pub text: String,
    pub up: Section,
    pub down: Section,
}

/// Where a section's SQL is in the revision's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    range: Range<usize>,
    /// The file line of the section's first line.
    pub first_line: usize,
    /// Whether the section (or the header) carries [`ALLOW_DATA_LOSS_MARKER`].
    pub allows_data_loss: bool,
}

impl Revision {
    pub fn up_sql(&self) -> &str {
        &self.text[self.up.range.clone()]
    }
    pub fn down_sql(&self) -> &str {
        &self.text[self.down.range.clone()]
    }
    /// SHA-256 of the normalized text, as lowercase hex.
    pub fn checksum(&self) -> String {
        checksum(&self.text)
    }
    /// The file name, for messages.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Reads and parses the revision file `name` in the directory `dir_path`, which
    /// `dir` is open on; `with_stamp`, with the open file's stamp (for the cache, see
    /// `cache.rs`).
    pub fn load(
        dir: &std::fs::File,
        dir_path: &Path,
        name: &OsStr,
        with_stamp: bool,
    ) -> Result<(Revision, Option<FileStamp>)> {
        let path = path_in(dir_path, name);
        let (bytes, stamp) =
            read_file(dir, name, &path, with_stamp).map_err(|e| Error::io("read", &path, &e))?;
        let text = crate::text::utf8_text(bytes, path.display()).map_err(Error::script)?;
        // Most files need no normalizing: keep the text read rather than copy it.
        let has_cr = memchr::memchr(b'\r', text.as_bytes()).is_some();
        let text = match has_cr || text.starts_with('\u{feff}') {
            true => normalize_line_endings(&text),
            false => text,
        };
        Ok((Revision::parse_normalized(text, path)?, stamp))
    }

    /// Parses `text`, the cached text of the file `name` in `dir_path` (line endings
    /// already normalized).
    pub fn from_cached(text: &str, dir_path: &Path, name: &OsStr) -> Result<Revision> {
        Revision::parse_normalized(text.to_owned(), path_in(dir_path, name))
    }

    pub fn parse(text: &str, path: &Path) -> Result<Revision> {
        Revision::parse_normalized(normalize_line_endings(text), path.to_path_buf())
    }

    fn parse_normalized(text: String, path: PathBuf) -> Result<Revision> {
        if text.trim().is_empty() {
            return Err(Error::script(format!(
                "{}: the file is empty; a revision needs a header with '-- Revision ID:' and the sections '{UP_MARKER}' and '{DOWN_MARKER}' (`mb db revision` writes one)",
                path.display()
            )));
        }
        let at =
            |line: usize, what: String| Error::script(format!("{}:{line}: {what}", path.display()));
        let mut header = Header::default();
        let mut up_start: Option<(usize, usize)> = None;
        let mut down_start: Option<(usize, usize, usize)> = None;
        let mut allows_data_loss = [false; 2];
        let mut offset = 0;
        for (index, line) in lines_inclusive(&text).enumerate() {
            let number = index + 1;
            let next_offset = offset + line.len();
            if up_start.is_some() && !may_be_a_marker(line) {
                offset = next_offset;
                continue;
            }
            let trimmed = trim(line);
            if trimmed == UP_MARKER {
                if up_start.is_some() {
                    return Err(at(
                        number,
                        format!("a second '{UP_MARKER}'; a revision has one up section"),
                    ));
                }
                if down_start.is_some() {
                    return Err(at(
                        number,
                        format!(
                            "'{UP_MARKER}' comes after '{DOWN_MARKER}'; put the up section first"
                        ),
                    ));
                }
                up_start = Some((next_offset, number + 1));
            } else if trimmed == DOWN_MARKER {
                if down_start.is_some() {
                    return Err(at(
                        number,
                        format!("a second '{DOWN_MARKER}'; a revision has one down section"),
                    ));
                }
                if up_start.is_none() {
                    return Err(at(
                        number,
                        format!(
                            "'{DOWN_MARKER}' comes before '{UP_MARKER}'; put the up section first"
                        ),
                    ));
                }
                down_start = Some((next_offset, number + 1, offset));
            } else if up_start.is_none() {
                header.read_line(trimmed).map_err(|what| at(number, what))?;
            } else if trimmed.starts_with("-- mb:") {
                if trimmed != ALLOW_DATA_LOSS_MARKER {
                    return Err(at(
                        number,
                        format!(
                            "unknown directive '{trimmed}' in a section; a section takes '{ALLOW_DATA_LOSS_MARKER}' ('{NO_TRANSACTION_MARKER}' goes in the header)"
                        ),
                    ));
                }
                allows_data_loss[usize::from(down_start.is_some())] = true;
            }
            offset = next_offset;
        }
        let (Some((up_offset, up_line)), Some((down_offset, down_line, down_marker_offset))) =
            (up_start, down_start)
        else {
            let missing = if up_start.is_none() {
                UP_MARKER
            } else {
                DOWN_MARKER
            };
            return Err(Error::script(format!(
                "{}: no '{missing}' line; a revision needs '{UP_MARKER}' and then '{DOWN_MARKER}' (either section may be empty)",
                path.display()
            )));
        };
        let id = header.id.ok_or_else(|| {
            Error::script(format!(
                "{}: no '-- Revision ID: <id>' line in the header; every revision needs one",
                path.display()
            ))
        })?;
        Ok(Revision {
            id,
            parents: header.parents,
            branch_labels: header.branch_labels,
            depends_on: header.depends_on,
            replaces: header.replaces,
            message: header.message,
            create_date: header.create_date,
            no_transaction: header.no_transaction,
            path,
            up: Section {
                range: up_offset..down_marker_offset,
                first_line: up_line,
                allows_data_loss: header.allow_data_loss || allows_data_loss[0],
            },
            down: Section {
                range: down_offset..text.len(),
                first_line: down_line,
                allows_data_loss: header.allow_data_loss || allows_data_loss[1],
            },
            text,
        })
    }
}

/// `dir_path` joined with `name`. Sized up front: `join` grows its buffer with `realloc`,
/// which in glibc always takes the allocator's lock, and the threads loading files then
/// wait on each other.
fn path_in(dir_path: &Path, name: &OsStr) -> PathBuf {
    let mut path = PathBuf::with_capacity(dir_path.as_os_str().len() + 1 + name.len());
    path.push(dir_path);
    path.push(name);
    path
}

/// `text.split_inclusive('\n')`, found with `memchr`: a revision's lines are short,
/// and 10,000 files' worth of them are split at every start-up.
fn lines_inclusive(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', rest.as_bytes()).map_or(rest.len(), |i| i + 1);
        let (line, tail) = rest.split_at(end);
        rest = tail;
        Some(line)
    })
}

/// `s.trim()`: ASCII whitespace is trimmed byte by byte first, which leaves `trim` one
/// character to look at on each side instead of decoding every one it removes.
fn trim(s: &str) -> &str {
    s.trim_ascii().trim()
}

/// Whether a section's `line` can be a marker or directive once trimmed: those start
/// with `-`. False only when the first character that is not ASCII whitespace is some
/// other ASCII character that is not whitespace either (U+000B is whitespace to `trim`
/// and not to `trim_ascii`), so statements are passed over without trimming them.
fn may_be_a_marker(line: &str) -> bool {
    match line.trim_ascii_start().as_bytes().first() {
        Some(&b) => b == b'-' || b == 0x0B || !b.is_ascii(),
        None => true,
    }
}

#[derive(Default)]
struct Header {
    /// The message's lines, joined by spaces.
    message: String,
    message_done: bool,
    id: Option<String>,
    parents: Vec<String>,
    parents_seen: bool,
    branch_labels: Vec<String>,
    depends_on: Vec<String>,
    replaces: Vec<String>,
    create_date: Option<String>,
    no_transaction: bool,
    allow_data_loss: bool,
}

impl Header {
    fn add_to_message(&mut self, line: &str) {
        if !self.message.is_empty() {
            self.message.push(' ');
        }
        self.message.push_str(line);
    }

    fn read_line(&mut self, line: &str) -> std::result::Result<(), String> {
        if line.is_empty() {
            return Ok(());
        }
        if line.starts_with("-- mb:") {
            match line {
                NO_TRANSACTION_MARKER => self.no_transaction = true,
                ALLOW_DATA_LOSS_MARKER => self.allow_data_loss = true,
                _ => {
                    return Err(format!(
                        "unknown directive '{line}'; mb knows '{NO_TRANSACTION_MARKER}' and '{ALLOW_DATA_LOSS_MARKER}'"
                    ));
                }
            }
            return Ok(());
        }
        let Some(comment) = line.strip_prefix("--") else {
            return Err(format!(
                "SQL before '{UP_MARKER}'; the header holds only '--' comments, statements go below '{UP_MARKER}' or '{DOWN_MARKER}'"
            ));
        };
        let comment = trim(comment);
        if comment.is_empty() {
            self.message_done = !self.message.is_empty() || self.message_done;
            return Ok(());
        }
        let Some((key, value)) = comment.split_once(':') else {
            if !self.message_done {
                self.add_to_message(comment);
            }
            return Ok(());
        };
        let value = trim(value);
        match trim(key) {
            "Revision ID" => {
                if self.id.is_some() {
                    return Err("a second 'Revision ID' line".into());
                }
                self.id = Some(parse_id(value)?);
            }
            "Revises" => {
                if self.parents_seen {
                    return Err("a second 'Revises' line; list several parents on one line, separated by commas".into());
                }
                self.parents_seen = true;
                self.parents = parse_list("Revises", value, parse_id)?;
            }
            "Branch Labels" => {
                self.branch_labels = parse_list("Branch Labels", value, parse_label)?
            }
            "Depends On" => self.depends_on = parse_list("Depends On", value, parse_id)?,
            "Replaces" => self.replaces = parse_list("Replaces", value, parse_id)?,
            "Create Date" => self.create_date = Some(value.to_string()),
            _ if !self.message_done => self.add_to_message(comment),
            _ => {}
        }
        self.message_done = true;
        Ok(())
    }
}

/// Revision ids go into the version table and file names: letters, digits and `_` only.
pub fn parse_id(value: &str) -> std::result::Result<String, String> {
    let valid = !value.is_empty()
        && value.len() <= 32
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(value.to_string())
    } else {
        Err(format!(
            "'{value}' is not a valid revision id; use 1 to 32 letters, digits or '_' (mb makes 12 hex digits)"
        ))
    }
}

/// Words that mean something in a revision target, so no branch label may be one.
pub const RESERVED_LABELS: [&str; 4] = ["head", "heads", "base", "current"];

/// A branch label names a branch in targets (`LABEL@head`): a revision id's characters,
/// and not a word targets already use.
pub fn parse_label(value: &str) -> std::result::Result<String, String> {
    let label = parse_id(value).map_err(|_| {
        format!("'{value}' is not a valid branch label; use 1 to 32 letters, digits or '_'")
    })?;
    if RESERVED_LABELS.contains(&label.as_str()) {
        return Err(format!(
            "'{label}' cannot be a branch label: targets use it for {}; choose another name",
            match label.as_str() {
                "head" | "heads" => "the newest revisions",
                "base" => "the state before the first revision",
                _ => "the database's revision",
            }
        ));
    }
    Ok(label)
}

/// A comma-separated header value; an entry listed twice is a mistake worth a word.
fn parse_list(
    key: &str,
    value: &str,
    parse: fn(&str) -> std::result::Result<String, String>,
) -> std::result::Result<Vec<String>, String> {
    let mut items: Vec<String> =
        Vec::with_capacity(value.bytes().filter(|&b| b == b',').count() + 1);
    for item in value.split(',').map(trim).filter(|v| !v.is_empty()) {
        let item = parse(item)?;
        if items.contains(&item) {
            return Err(format!("'{key}: {value}' lists {item} twice; list it once"));
        }
        items.push(item);
    }
    Ok(items)
}

pub use crate::text::normalize_line_endings;

/// The bytes of a file. `std::fs::read` and `File::read_to_end` first ask for the size
/// and position (statx, lseek: two system calls per file, which count with 10,000
/// revisions); through `Take` it just reads into the spare capacity of a buffer each
/// thread reuses, and the result is one allocation of the file's exact size.
fn read_file(
    dir: &std::fs::File,
    name: &OsStr,
    path: &Path,
    with_stamp: bool,
) -> std::io::Result<(Vec<u8>, Option<FileStamp>)> {
    use std::io::Read;
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> =
            std::cell::RefCell::new(Vec::with_capacity(64 * 1024));
    }
    let file = open_in(dir, name, path)?;
    // Taken before reading: a write in between changes the stamp, so the text read is
    // never cached under a stamp newer than it.
    let stamp = if with_stamp {
        FileStamp::of(&file)
    } else {
        None
    };
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        file.take(u64::MAX).read_to_end(buffer)?;
        Ok((buffer.as_slice().to_vec(), stamp))
    })
}

/// Opens the file `name` relative to `dir` (`openat`): the kernel then looks up one path
/// component per file instead of every component of the full `path`, which counts with
/// 10,000 revision files.
#[cfg(unix)]
fn open_in(dir: &std::fs::File, name: &OsStr, _path: &Path) -> std::io::Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    Ok(std::fs::File::from(fd))
}

#[cfg(not(unix))]
fn open_in(_dir: &std::fs::File, _name: &OsStr, path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

pub fn checksum(normalized_text: &str) -> String {
    crate::text::hex(&Sha256::digest(normalized_text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Text made of the characters the line helpers treat specially: every kind of
    /// whitespace `trim` knows (ASCII, U+000B, Unicode), dashes, newlines.
    fn line_text() -> impl Strategy<Value = String> {
        let piece = proptest::sample::select(vec![
            " ",
            "\t",
            "\n",
            "\r",
            "\u{b}",
            "\u{c}",
            "\u{a0}",
            "\u{2003}",
            "\u{85}",
            "-",
            "-- migrate:up",
            "x",
            "é",
            ";",
        ]);
        proptest::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn the_line_helpers_do_what_the_standard_library_does(text in line_text()) {
            let lines: Vec<&str> = lines_inclusive(&text).collect();
            prop_assert_eq!(&lines, &text.split_inclusive('\n').collect::<Vec<_>>());
            for line in lines {
                prop_assert_eq!(trim(line), line.trim());
                if !may_be_a_marker(line) {
                    prop_assert!(!line.trim().starts_with('-'), "{:?} was passed over", line);
                }
            }
        }
    }

    const FILE: &str = "-- posts table\n--\n-- Revision ID: 780739b227a7\n-- Revises: e517276bb1c2\n-- Create Date: 2026-11-24 10:32:01.123456\n--\n-- migrate:up\nCREATE TABLE \"post\" (\"id\" INTEGER PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE \"post\";\n";

    fn parse(text: &str) -> Result<Revision> {
        Revision::parse(text, Path::new("v/x.sql"))
    }

    #[test]
    fn parses_header_and_sections() {
        let r = parse(FILE).unwrap();
        assert_eq!(r.id, "780739b227a7");
        assert_eq!(r.parents, vec!["e517276bb1c2"]);
        assert_eq!(r.message, "posts table");
        assert_eq!(r.create_date.as_deref(), Some("2026-11-24 10:32:01.123456"));
        assert_eq!(
            r.up_sql(),
            "CREATE TABLE \"post\" (\"id\" INTEGER PRIMARY KEY);\n\n"
        );
        assert_eq!(r.up.first_line, 8);
        assert_eq!(r.down_sql(), "DROP TABLE \"post\";\n");
        assert_eq!(r.down.first_line, 11);
        assert!(!r.no_transaction);
    }

    #[test]
    fn merges_labels_dependencies_and_directives() {
        let text = "-- merge\n-- Revision ID: m1\n-- Revises: a1, b2\n-- Branch Labels: feature\n-- Depends On: c3\n-- mb:no-transaction\n-- migrate:up\n-- migrate:down\n";
        let r = parse(text).unwrap();
        assert_eq!(r.parents, vec!["a1", "b2"]);
        assert_eq!(r.branch_labels, vec!["feature"]);
        assert_eq!(r.depends_on, vec!["c3"]);
        assert!(r.no_transaction);
        assert_eq!(r.up_sql(), "");
        assert_eq!(r.down_sql(), "");
    }

    #[test]
    fn allow_data_loss_covers_its_section_or_with_the_header_both() {
        let r = parse(FILE).unwrap();
        assert!(!r.up.allows_data_loss && !r.down.allows_data_loss);
        let in_down = FILE.replace(
            "-- migrate:down\n",
            "-- migrate:down\n-- mb:allow-data-loss\n",
        );
        let r = parse(&in_down).unwrap();
        assert!(!r.up.allows_data_loss && r.down.allows_data_loss);
        assert!(r.down_sql().starts_with("-- mb:allow-data-loss\n"));
        let in_up = FILE.replace(
            "-- migrate:up\n",
            "-- migrate:up\n  -- mb:allow-data-loss\n",
        );
        let r = parse(&in_up).unwrap();
        assert!(r.up.allows_data_loss && !r.down.allows_data_loss);
        let in_header = FILE.replace("--\n-- migrate:up", "-- mb:allow-data-loss\n-- migrate:up");
        let r = parse(&in_header).unwrap();
        assert!(r.up.allows_data_loss && r.down.allows_data_loss);
        assert_eq!(
            parse(&FILE.replace(
                "-- migrate:down\n",
                "-- migrate:down\n-- mb:allow-dataloss\n"
            ))
            .unwrap_err()
            .message,
            "v/x.sql:11: unknown directive '-- mb:allow-dataloss' in a section; a section takes '-- mb:allow-data-loss' ('-- mb:no-transaction' goes in the header)"
        );
    }

    #[test]
    fn base_revision_has_no_parents() {
        let r =
            parse("-- first\n-- Revision ID: a1\n-- Revises:\n-- migrate:up\n-- migrate:down\n")
                .unwrap();
        assert!(r.parents.is_empty());
    }

    #[test]
    fn crlf_does_not_change_the_checksum() {
        let lf = parse(FILE).unwrap();
        let crlf = parse(&FILE.replace('\n', "\r\n")).unwrap();
        assert_eq!(lf.checksum(), crlf.checksum());
        assert_eq!(lf.up_sql(), crlf.up_sql());
        assert_ne!(
            lf.checksum(),
            parse(&FILE.replace("PRIMARY KEY", "PRIMARY  KEY"))
                .unwrap()
                .checksum()
        );
        assert_eq!(lf.checksum().len(), 64);
    }

    #[test]
    fn malformed_files_get_located_errors() {
        let err = |text: &str| parse(text).unwrap_err().message;
        assert_eq!(
            err("-- x\n-- Revision ID: a1\n-- migrate:up\n"),
            "v/x.sql: no '-- migrate:down' line; a revision needs '-- migrate:up' and then '-- migrate:down' (either section may be empty)"
        );
        assert!(
            err("-- x\n-- migrate:up\n-- migrate:down\n")
                .contains("no '-- Revision ID: <id>' line")
        );
        assert!(
            err("-- Revision ID: a b\n-- migrate:up\n-- migrate:down\n")
                .starts_with("v/x.sql:1: 'a b' is not a valid revision id")
        );
        assert!(
            err("-- Revision ID: a\nSELECT 1;\n-- migrate:up\n-- migrate:down\n")
                .starts_with("v/x.sql:2: SQL before")
        );
        assert!(
            err("-- Revision ID: a\n-- migrate:down\n-- migrate:up\n")
                .starts_with("v/x.sql:2: '-- migrate:down' comes before")
        );
        assert!(
            err("-- Revision ID: a\n-- mb:whatever\n-- migrate:up\n-- migrate:down\n")
                .contains("unknown directive")
        );
        assert!(err("").contains("the file is empty"));
        assert_eq!(
            err("-- Revision ID: m\n-- Revises: a, b, a\n-- migrate:up\n-- migrate:down\n"),
            "v/x.sql:2: 'Revises: a, b, a' lists a twice; list it once"
        );
        assert!(
            err("-- Revision ID: m\n-- Branch Labels: heads\n-- migrate:up\n-- migrate:down\n")
                .starts_with("v/x.sql:2: 'heads' cannot be a branch label")
        );
        assert!(
            err("-- Revision ID: m\n-- Branch Labels: a-b\n-- migrate:up\n-- migrate:down\n")
                .contains("'a-b' is not a valid branch label")
        );
        assert!(err("-- Revision ID: a\n").contains("no '-- migrate:up' line"));
    }
}
