//! `schema.sql`: parsed into the schema model, which must then compare with itself.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mb::schema::parse::parse_schema_sql;

fuzz_target!(|text: &str| {
    if let Ok(schema) = parse_schema_sql(text, Path::new("schema.sql")) {
        assert!(mb::autogenerate::diff(&schema, &schema).is_empty());
    }
});
