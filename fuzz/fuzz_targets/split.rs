//! The statement splitter, with each database's tokenizer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mb::dialect::Dialect;
use mb::script::split::split_statements;

fuzz_target!(|text: &str| {
    for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
        if let Ok(statements) = split_statements(text, 1, dialect) {
            for statement in statements {
                assert!(statement.line >= 1);
            }
        }
    }
});
