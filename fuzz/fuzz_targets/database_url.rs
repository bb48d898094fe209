//! Database URLs as they come from `--database-url`, `DATABASE_URL` or mb.toml.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mb::config::DatabaseUrl;
use mb::config::mask::mask_passwords;

fuzz_target!(|raw: &str| {
    let _ = mask_passwords(raw, Some(raw));
    if let Ok(url) = DatabaseUrl::parse(raw, Path::new("/project")) {
        let _ = url.to_string();
        let _ = url.dialect();
    }
});
