//! What each database keeps of a name. PostgreSQL cuts a name longer than 63 bytes
//! without an error (so the table it creates is not the one declared, and `mb db check`
//! would report the difference forever); MySQL and MariaDB refuse names longer than 64
//! characters or holding a character outside the Basic Multilingual Plane (4 bytes in
//! UTF-8), but only when the statement runs. A declared schema is checked against the
//! databases it is meant for before anything is generated, at the place each name is
//! written.

use std::path::Path;

use super::declaration::Declaration;
use super::quoted;
use crate::dialect::Dialect;
use crate::{Error, Result};

/// The longest name PostgreSQL keeps, in bytes (NAMEDATALEN - 1).
pub const POSTGRES_MAX_NAME_BYTES: usize = 63;
/// The longest name MySQL and MariaDB accept, in characters.
pub const MYSQL_MAX_NAME_CHARS: usize = 64;

/// Why `dialect` would not keep `name` as it is, if it would not.
pub fn name_not_kept(dialect: Dialect, name: &str) -> Option<String> {
    match dialect {
        Dialect::Sqlite => None,
        Dialect::Postgres if name.len() > POSTGRES_MAX_NAME_BYTES => Some(format!(
            "the name {} is {} bytes long, and PostgreSQL keeps only the first {POSTGRES_MAX_NAME_BYTES} bytes of a name (the object would get a shorter name than declared) — shorten it",
            quoted(name),
            name.len()
        )),
        Dialect::Postgres => None,
        Dialect::Mysql => {
            let chars = name.chars().count();
            if chars > MYSQL_MAX_NAME_CHARS {
                return Some(format!(
                    "the name {} is {chars} characters long, and MySQL and MariaDB refuse names longer than {MYSQL_MAX_NAME_CHARS} characters — shorten it",
                    quoted(name)
                ));
            }
            let wide = name.chars().find(|c| c.len_utf8() == 4)?;
            Some(format!(
                "the name {} holds {wide:?} (U+{:04X}), a 4-byte UTF-8 character, which MySQL and MariaDB names cannot hold — use characters up to U+FFFF",
                quoted(name),
                u32::from(wide)
            ))
        }
    }
}

/// Refuses the first name of `declaration` (read from `file`) that one of `dialects`
/// would not keep, naming the place it is written.
pub fn refuse_names_not_kept(
    declaration: &Declaration,
    file: &Path,
    dialects: &[Dialect],
) -> Result<()> {
    let mut names: Vec<_> = declaration.names.iter().collect();
    names.sort_by_key(|(_, at)| (at.line, at.column));
    for (name, at) in names {
        for &dialect in dialects {
            if let Some(why) = name_not_kept(dialect, name) {
                return Err(Error::schema(format!(
                    "{}:{}:{}: {why}",
                    file.display(),
                    at.line,
                    at.column
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse::parse_declaration;

    #[test]
    fn each_database_has_its_own_limit() {
        let long = "n".repeat(64);
        assert_eq!(name_not_kept(Dialect::Sqlite, &long.repeat(10)), None);
        assert_eq!(name_not_kept(Dialect::Postgres, &long[..63]), None);
        assert!(
            name_not_kept(Dialect::Postgres, &long)
                .unwrap()
                .contains("64 bytes long")
        );
        // 32 two-byte characters are 64 bytes: too long for PostgreSQL, fine for MySQL.
        let accented = "é".repeat(32);
        assert!(name_not_kept(Dialect::Postgres, &accented).is_some());
        assert_eq!(name_not_kept(Dialect::Mysql, &accented), None);
        assert_eq!(name_not_kept(Dialect::Mysql, &long), None);
        assert!(
            name_not_kept(Dialect::Mysql, &format!("{long}n"))
                .unwrap()
                .contains("65 characters")
        );
        assert!(
            name_not_kept(Dialect::Mysql, "t😀")
                .unwrap()
                .contains("U+1F600")
        );
        assert_eq!(name_not_kept(Dialect::Postgres, "t😀"), None);
    }

    #[test]
    fn the_refusal_names_where_the_name_is_written() {
        let long = "c".repeat(70);
        let text = format!("CREATE TABLE \"t\" (\n  \"id\" INTEGER,\n  \"{long}\" TEXT\n);");
        let file = Path::new("schema.sql");
        let declaration = parse_declaration(&text, file).unwrap();
        assert!(refuse_names_not_kept(&declaration, file, &[Dialect::Sqlite]).is_ok());
        let error = refuse_names_not_kept(&declaration, file, &[Dialect::Sqlite, Dialect::Mysql])
            .unwrap_err();
        assert!(
            error.message.starts_with("schema.sql:3:3: the name \"ccc"),
            "{}",
            error.message
        );
        assert!(error.message.contains("70 characters"), "{}", error.message);
    }
}
