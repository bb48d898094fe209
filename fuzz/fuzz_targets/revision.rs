//! A revision file: the header and sections, then each section split, parsed into
//! operations and rendered for every database, as `mb db upgrade` would.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mb::dialect::Dialect;
use mb::runtime::plan::Direction;
use mb::runtime::simulate::section_actions;
use mb::schema::Schema;
use mb::script::Revision;

fuzz_target!(|text: &str| {
    let Ok(revision) = Revision::parse(text, Path::new("fuzz.sql")) else {
        return;
    };
    for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
        let mut schema = Schema::default();
        for direction in [Direction::Up, Direction::Down] {
            let _ = section_actions(&revision, direction, dialect, Some(dialect), &mut schema);
        }
    }
});
