//! The revision files' text, kept in one file: `.mb_cache/revisions` in the migrations
//! directory. With it, start-up costs a `stat` of each revision file instead of an
//! open, two reads and a close: about a third of the kernel's work per file, which is
//! most of what `current`, `heads` and `history` spend with thousands of revisions.
//!
//! A cached text is used only while its file's [`FileStamp`] is what it was when the
//! text was read: any write to a file changes its change time (ctime), which nobody can
//! set by hand, and a file put in its place has another inode. A change within the file
//! system's time stamp resolution could keep the ctime, so a file is cached only once its
//! ctime is [`SETTLED`] before the run began: a later write then gets a later time
//! (Git's index has the same "racy" rule). The cache is only ever an optimization: a
//! cache that is missing, from another format or damaged is ignored, one that cannot be
//! written is not written, and `MB_NO_CACHE=1` turns it off (see docs/files.md).

use std::ffi::OsStr;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const CACHE_DIR: &str = ".mb_cache";
const CACHE_FILE: &str = "revisions";
/// The environment variable that turns the cache off when set to anything but empty.
const NO_CACHE_VAR: &str = "MB_NO_CACHE";
/// Changed on any change to the layout below, or to what a cached text is (it is the
/// file's text with line endings normalized, see `Revision::load`).
const MAGIC: &[u8] = b"mb revision cache 1\n";
const END: &[u8] = b"end\n";
/// How long before the run a file must have last changed to be cached: longer than any
/// file system's time stamp resolution (FAT's 2 s is the coarsest).
const SETTLED: Duration = Duration::from_secs(3);

/// The directory of the migrations directory a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subdir {
    Versions = 0,
    Replaced = 1,
}

/// What tells one version of a file from another without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    dev: u64,
    ino: u64,
    size: u64,
    /// Seconds and nanoseconds since the epoch.
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileStamp {
    /// The stamp of the file `name` in the directory `dir` is open on (following a
    /// symbolic link, as opening it does); `None` where that is not known.
    #[cfg(unix)]
    pub fn at(dir: &std::fs::File, name: &OsStr) -> Option<FileStamp> {
        let stat = rustix::fs::statat(dir, name, rustix::fs::AtFlags::empty()).ok()?;
        FileStamp::from_stat(&stat)
    }

    /// The stamp of an open file.
    #[cfg(unix)]
    pub fn of(file: &std::fs::File) -> Option<FileStamp> {
        FileStamp::from_stat(&rustix::fs::fstat(file).ok()?)
    }

    #[cfg(not(unix))]
    pub fn at(_dir: &std::fs::File, _name: &OsStr) -> Option<FileStamp> {
        None
    }

    #[cfg(not(unix))]
    pub fn of(_file: &std::fs::File) -> Option<FileStamp> {
        None
    }

    /// The fields' types differ between platforms, hence the conversions.
    #[cfg(unix)]
    fn from_stat(stat: &rustix::fs::Stat) -> Option<FileStamp> {
        #[allow(clippy::useless_conversion)]
        Some(FileStamp {
            dev: u64::try_from(stat.st_dev).ok()?,
            ino: u64::try_from(stat.st_ino).ok()?,
            size: u64::try_from(stat.st_size).ok()?,
            mtime: (
                i64::try_from(stat.st_mtime).ok()?,
                i64::try_from(stat.st_mtime_nsec).ok()?,
            ),
            ctime: (
                i64::try_from(stat.st_ctime).ok()?,
                i64::try_from(stat.st_ctime_nsec).ok()?,
            ),
        })
    }

    /// Whether the file last changed [`SETTLED`] or more before `started`.
    pub fn is_settled(&self, started: SystemTime) -> bool {
        let Ok(since_epoch) = started.duration_since(SystemTime::UNIX_EPOCH) else {
            return false;
        };
        let limit = since_epoch.saturating_sub(SETTLED);
        let (seconds, nanos) = self.ctime;
        (seconds, nanos) < (limit.as_secs() as i64, i64::from(limit.subsec_nanos()))
    }
}

/// Whether the cache is on: `MB_NO_CACHE` is unset or empty.
pub fn enabled() -> bool {
    std::env::var_os(NO_CACHE_VAR).is_none_or(|value| value.is_empty())
}

fn cache_file(migrations_dir: &Path) -> PathBuf {
    migrations_dir.join(CACHE_DIR).join(CACHE_FILE)
}

/// A cache as read: the file's bytes and where each entry is in them, sorted by
/// directory and name.
pub struct Cache {
    bytes: memmap2::Mmap,
    entries: Vec<Entry>,
}

struct Entry {
    subdir: Subdir,
    name: Range<usize>,
    stamp: FileStamp,
    text: Range<usize>,
}

impl Cache {
    /// The cache of `migrations_dir`; `None` when there is none or it is not one this
    /// version of mb wrote whole.
    pub fn read(migrations_dir: &Path) -> Option<Cache> {
        let file = std::fs::File::open(cache_file(migrations_dir)).ok()?;
        // Mapped rather than read: the texts are then copied once, from the page cache
        // straight into the revisions, and the kernel maps the pages in blocks instead of
        // faulting in a fresh buffer page by page.
        // SAFETY: the bytes must not change while mapped. mb never writes a cache file
        // in place: it writes a new one and renames it over the old (see `write`), which
        // leaves the mapped file as it was.
        let bytes = unsafe { memmap2::Mmap::map(&file) }.ok()?;
        let entries = parse(&bytes)?;
        Some(Cache { bytes, entries })
    }

    fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// For each of `names` (sorted, in `subdir`), where its entry is, if it has one.
    /// One walk through both sorted lists: looking each name up would compare names
    /// about 14 times each with 10,000 revisions.
    pub fn positions<'a>(
        &'a self,
        subdir: Subdir,
        names: &'a [std::ffi::OsString],
    ) -> impl Iterator<Item = Option<usize>> + 'a {
        let mut entries = self.entries.iter().enumerate().peekable();
        names.iter().map(move |name| {
            let name = (subdir, name.as_encoded_bytes());
            while let Some((index, entry)) = entries.peek() {
                match (entry.subdir, &self.bytes[entry.name.clone()]).cmp(&name) {
                    std::cmp::Ordering::Less => entries.next(),
                    std::cmp::Ordering::Equal => return Some(*index),
                    std::cmp::Ordering::Greater => return None,
                };
            }
            None
        })
    }

    /// The cached text of the entry at `position`, if it is cached with `stamp`.
    pub fn text(&self, position: usize, stamp: &FileStamp) -> Option<&str> {
        let entry = &self.entries[position];
        if entry.stamp != *stamp {
            return None;
        }
        std::str::from_utf8(&self.bytes[entry.text.clone()]).ok()
    }
}

/// A revision file as one run loaded it.
#[derive(Clone, Copy)]
pub struct LoadedFile<'a> {
    pub subdir: Subdir,
    pub name: &'a OsStr,
    /// `None` where the file's stamp is not known: such a file is not cached.
    pub stamp: Option<FileStamp>,
    /// Whether the text came from the cache.
    pub from_cache: bool,
    /// The text as `Revision` keeps it (line endings normalized).
    pub text: &'a str,
}

/// Writes the cache of `migrations_dir` again, with the settled files of `files`, unless
/// the cache `old` holds exactly those already. `started` is when the run began looking
/// at the files. Failing to write is not an error: the next run reads the files again.
pub fn update<'a>(
    migrations_dir: &Path,
    old: Option<&Cache>,
    started: SystemTime,
    files: impl Iterator<Item = LoadedFile<'a>> + Clone,
) {
    if is_current(old, started, files.clone()) {
        return;
    }
    // (A text over 4 GiB does not fit the layout's length field, and is not cached.)
    let mut settled: Vec<(LoadedFile, FileStamp)> = files
        .filter(|file| u32::try_from(file.text.len()).is_ok())
        .filter_map(|file| {
            let stamp = file.stamp.filter(|s| s.is_settled(started))?;
            Some((file, stamp))
        })
        .collect();
    settled.sort_unstable_by(|(a, _), (b, _)| {
        (a.subdir, a.name.as_encoded_bytes()).cmp(&(b.subdir, b.name.as_encoded_bytes()))
    });
    let _ = write(migrations_dir, &settled);
}

/// Whether `old` holds exactly the settled files among `files`: every settled file came
/// from it, and it has no other entries. Decided without collecting anything, as it is
/// on every run.
fn is_current<'a>(
    old: Option<&Cache>,
    started: SystemTime,
    files: impl Iterator<Item = LoadedFile<'a>>,
) -> bool {
    let mut hits = 0;
    for file in files {
        if file.from_cache {
            hits += 1;
        } else if file.stamp.is_some_and(|stamp| stamp.is_settled(started)) {
            return false;
        }
    }
    old.map_or(0, Cache::entry_count) == hits
}

fn write(migrations_dir: &Path, files: &[(LoadedFile, FileStamp)]) -> std::io::Result<()> {
    let dir = migrations_dir.join(CACHE_DIR);
    match std::fs::create_dir(&dir) {
        Ok(()) => {
            // Like pytest's and ruff's caches: the directory keeps itself out of Git
            // and out of backups that honour the tag. A directory left without them
            // would stay so (it is only made once): it goes again.
            let marked = std::fs::write(
                dir.join(".gitignore"),
                "# Made by mb: a cache of the revision files, safe to delete.\n*\n",
            )
            .and_then(|()| {
                std::fs::write(
                    dir.join("CACHEDIR.TAG"),
                    "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by mb.\n",
                )
            });
            if let Err(e) = marked {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let bytes = serialize(files);
    // Written aside and renamed into place, so a reader sees the old cache or the new
    // one, never half of one, when two runs write at once.
    let temporary = dir.join(format!("{CACHE_FILE}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&temporary)
        .and_then(|mut file| file.write_all(&bytes))
        .and_then(|()| std::fs::rename(&temporary, dir.join(CACHE_FILE)));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

// The layout, all integers little-endian: MAGIC, the entry count (u32), the entries,
// END. An entry: its directory (u8), its name's length (u16) and bytes, its stamp (dev,
// ino, size as u64; mtime and ctime as i64 seconds and i64 nanoseconds), its text's
// length (u32) and bytes.

fn serialize(files: &[(LoadedFile, FileStamp)]) -> Vec<u8> {
    let size: usize = files
        .iter()
        .map(|(file, _)| 64 + file.name.len() + file.text.len())
        .sum();
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + size + END.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(files.len() as u32).to_le_bytes());
    for (file, stamp) in files {
        let name = file.name.as_encoded_bytes();
        out.push(file.subdir as u8);
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name);
        for value in [stamp.dev, stamp.ino, stamp.size] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        for value in [stamp.mtime.0, stamp.mtime.1, stamp.ctime.0, stamp.ctime.1] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&(file.text.len() as u32).to_le_bytes());
        out.extend_from_slice(file.text.as_bytes());
    }
    out.extend_from_slice(END);
    out
}

/// The entries of a cache file; `None` unless the whole file is well formed and its
/// entries are in strictly increasing order.
fn parse(bytes: &[u8]) -> Option<Vec<Entry>> {
    let mut reader = Reader { bytes, at: 0 };
    if reader.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let count = u32::from_le_bytes(reader.array()?) as usize;
    // Each entry takes at least 67 bytes: a count larger than the file can hold is
    // damage, not a reason to reserve gigabytes.
    let mut entries: Vec<Entry> = Vec::with_capacity(count.min(bytes.len() / 67));
    for _ in 0..count {
        let subdir = match reader.take(1)?[0] {
            0 => Subdir::Versions,
            1 => Subdir::Replaced,
            _ => return None,
        };
        let name_len = u16::from_le_bytes(reader.array()?) as usize;
        let name = reader.range(name_len)?;
        let [dev, ino, size] = [(); 3].map(|()| reader.array().map(u64::from_le_bytes));
        let [mtime_s, mtime_ns, ctime_s, ctime_ns] =
            [(); 4].map(|()| reader.array().map(i64::from_le_bytes));
        let stamp = FileStamp {
            dev: dev?,
            ino: ino?,
            size: size?,
            mtime: (mtime_s?, mtime_ns?),
            ctime: (ctime_s?, ctime_ns?),
        };
        let text_len = u32::from_le_bytes(reader.array()?) as usize;
        let text = reader.range(text_len)?;
        if let Some(last) = entries.last() {
            let ordered = (last.subdir, &bytes[last.name.clone()]) < (subdir, &bytes[name.clone()]);
            if !ordered {
                return None;
            }
        }
        entries.push(Entry {
            subdir,
            name,
            stamp,
            text,
        });
    }
    (reader.take(END.len())? == END && reader.at == bytes.len()).then_some(entries)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn range(&mut self, len: usize) -> Option<Range<usize>> {
        let end = self
            .at
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len())?;
        let range = self.at..end;
        self.at = end;
        Some(range)
    }

    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let range = self.range(len)?;
        Some(&self.bytes[range])
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(ctime: i64) -> FileStamp {
        FileStamp {
            dev: 1,
            ino: 2,
            size: 3,
            mtime: (ctime, 5),
            ctime: (ctime, 7),
        }
    }

    fn loaded<'a>(
        subdir: Subdir,
        name: &'a str,
        stamp: FileStamp,
        text: &'a str,
    ) -> LoadedFile<'a> {
        LoadedFile {
            subdir,
            name: OsStr::new(name),
            stamp: Some(stamp),
            from_cache: false,
            text,
        }
    }

    /// A file as `is_current` sees it: its stamp, and whether it came from the cache.
    fn seen(stamp: Option<FileStamp>, from_cache: bool) -> LoadedFile<'static> {
        LoadedFile {
            stamp,
            from_cache,
            ..loaded(Subdir::Versions, "x.sql", self::stamp(0), "")
        }
    }

    #[test]
    fn a_written_cache_reads_back_and_answers_only_for_the_same_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            loaded(Subdir::Versions, "b.sql", stamp(100), "-- b\n"),
            loaded(Subdir::Replaced, "a.sql", stamp(100), "-- replaced a\n"),
            loaded(Subdir::Versions, "a.sql", stamp(100), "-- a é\n"),
            // Changed a moment before the run: not cached.
            loaded(Subdir::Versions, "c.sql", stamp(1_000), "-- c\n"),
        ];
        let started = SystemTime::UNIX_EPOCH + Duration::from_secs(1_001);
        update(dir.path(), None, started, files.iter().copied());
        let cache = Cache::read(dir.path()).expect("the cache was written");
        assert_eq!(cache.entry_count(), 3);
        let text = |subdir, name: &str, stamp| {
            let names = [name.into()];
            let position = cache.positions(subdir, &names).next().flatten()?;
            cache.text(position, &stamp)
        };
        assert_eq!(
            text(Subdir::Versions, "a.sql", stamp(100)),
            Some("-- a é\n")
        );
        assert_eq!(
            text(Subdir::Replaced, "a.sql", stamp(100)),
            Some("-- replaced a\n")
        );
        assert_eq!(text(Subdir::Versions, "b.sql", stamp(100)), Some("-- b\n"));
        assert_eq!(text(Subdir::Versions, "b.sql", stamp(101)), None);
        assert_eq!(text(Subdir::Versions, "c.sql", stamp(1_000)), None);
        assert_eq!(text(Subdir::Versions, "d.sql", stamp(100)), None);
        let names = ["0.sql", "a.sql", "aa.sql", "b.sql", "c.sql"].map(std::ffi::OsString::from);
        assert_eq!(
            cache
                .positions(Subdir::Versions, &names)
                .collect::<Vec<_>>(),
            [None, Some(0), None, Some(1), None]
        );
        assert_eq!(
            cache
                .positions(Subdir::Replaced, &names)
                .collect::<Vec<_>>(),
            [None, Some(2), None, None, None]
        );
        let ignore = std::fs::read_to_string(dir.path().join(".mb_cache/.gitignore")).unwrap();
        assert!(ignore.lines().any(|line| line == "*"));
    }

    #[test]
    fn a_cache_is_current_when_it_holds_exactly_the_settled_files() {
        let dir = tempfile::tempdir().unwrap();
        let started = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let files = [
            loaded(Subdir::Versions, "a.sql", stamp(100), "-- a\n"),
            loaded(Subdir::Versions, "b.sql", stamp(100), "-- b\n"),
        ];
        assert!(is_current(None, started, std::iter::empty()));
        assert!(!is_current(
            None,
            started,
            [seen(Some(stamp(100)), false)].into_iter()
        ));
        // Not settled, or no stamp: nothing to cache.
        let unsettled = [seen(Some(stamp(999)), false), seen(None, false)];
        assert!(is_current(None, started, unsettled.into_iter()));
        update(dir.path(), None, started, files.iter().copied());
        let cache = Cache::read(dir.path()).unwrap();
        let both = [seen(Some(stamp(100)), true), seen(Some(stamp(100)), true)];
        assert!(is_current(Some(&cache), started, both.into_iter()));
        // A file gone, or one read from its file again.
        assert!(!is_current(
            Some(&cache),
            started,
            both[..1].iter().copied()
        ));
        let reread = [both[0], seen(Some(stamp(200)), false)];
        assert!(!is_current(Some(&cache), started, reread.into_iter()));
        // Both gone: the cache is written again, empty.
        update(dir.path(), Some(&cache), started, std::iter::empty());
        assert_eq!(Cache::read(dir.path()).unwrap().entry_count(), 0);
        // And a current cache is left as it is.
        let empty = Cache::read(dir.path()).unwrap();
        // (Replaced, not written in place: `empty` maps the old file.)
        std::fs::remove_file(cache_file(dir.path())).unwrap();
        std::fs::write(cache_file(dir.path()), b"left as it is").unwrap();
        update(dir.path(), Some(&empty), started, std::iter::empty());
        assert_eq!(
            std::fs::read(cache_file(dir.path())).unwrap(),
            b"left as it is"
        );
        std::fs::write(cache_file(dir.path()), b"damaged").unwrap();
        assert!(
            Cache::read(dir.path()).is_none(),
            "a damaged cache is not read"
        );
    }

    #[test]
    fn damaged_caches_are_ignored_whatever_the_damage() {
        let files = [
            loaded(Subdir::Versions, "a.sql", stamp(100), "-- a\n"),
            loaded(Subdir::Versions, "b.sql", stamp(100), "-- b\n"),
        ];
        let settled: Vec<_> = files.iter().map(|f| (*f, stamp(100))).collect();
        let bytes = serialize(&settled);
        assert_eq!(parse(&bytes).map(|e| e.len()), Some(2));
        for cut in 0..bytes.len() {
            assert!(parse(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(b'\n');
        assert!(parse(&longer).is_none());
        let mut out_of_order = serialize(&[settled[1], settled[0]]);
        assert!(parse(&out_of_order).is_none());
        out_of_order[MAGIC.len() - 2] = b'9';
        assert!(parse(&out_of_order).is_none(), "another format");
    }

    #[test]
    fn settled_means_changed_long_enough_before_the_run() {
        let started = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        assert!(stamp(996).is_settled(started));
        assert!(!stamp(997).is_settled(started));
        assert!(!stamp(2_000).is_settled(started));
    }
}
