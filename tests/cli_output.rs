//! How mb writes to people (docs/cli.md): colour only on a terminal or with
//! `CLICOLOR_FORCE`, never with `NO_COLOR`; the status line of long runs only on a
//! terminal, erased at the end; shell completions.

mod common;

use std::process::Command;

use common::{Db, TestProject};

const ESC: char = '\x1b';

/// A project with `count` revisions r01, r02, … (each creates a table).
fn long_chain(count: usize) -> TestProject {
    let ids: Vec<String> = (1..=count).map(|n| format!("r{n:02}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    TestProject::with_chain(Db::Sqlite, &ids)
}

/// `mb ARGS` with the colour variables as given (and none from the test's environment).
fn mb_with_colour(p: &TestProject, args: &[&str], vars: &[(&str, &str)]) -> (String, String) {
    let mut command = p.mb_process(".");
    command
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .args(args)
        .envs(vars.iter().copied());
    let output = command.output().unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn pipes_get_no_colour_unless_forced_and_no_color_wins() {
    let p = long_chain(2);
    p.ok(&["db", "upgrade", "+1"]);
    for args in [&["db", "history", "-i"][..], &["db", "show", "nope"]] {
        let (stdout, stderr) = mb_with_colour(&p, args, &[]);
        assert!(
            !stdout.contains(ESC) && !stderr.contains(ESC),
            "{stdout}{stderr}"
        );

        let (stdout, stderr) =
            mb_with_colour(&p, args, &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
        assert!(
            !stdout.contains(ESC) && !stderr.contains(ESC),
            "{stdout}{stderr}"
        );
    }
    let (history, _) = mb_with_colour(&p, &["db", "history", "-i"], &[("CLICOLOR_FORCE", "1")]);
    assert_eq!(
        history,
        "r01 -> r02 \x1b[1m\x1b[32m(head)\x1b[0m, create t_r02\n<base> -> r01 \x1b[1m\x1b[32m(current)\x1b[0m, create t_r01\n"
    );
    let (_, error) = mb_with_colour(&p, &["db", "show", "nope"], &[("CLICOLOR_FORCE", "1")]);
    assert!(
        error.starts_with("\x1b[1m\x1b[31merror:\x1b[0m no revision 'nope'"),
        "{error:?}"
    );
}

#[test]
fn a_long_run_shows_no_status_line_outside_a_terminal() {
    let p = long_chain(12);
    let run = p.ok(&["db", "upgrade"]);
    assert!(!run.stderr.contains("Applying"), "{}", run.stderr);
    assert!(!run.stderr.contains('\r') && !run.stderr.contains(ESC));
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.starts_with("Running upgrade"))
            .count(),
        12
    );
}

/// Runs `mb ARGS` in the project under `script`, whose pseudo-terminal makes stderr a
/// terminal; `None` (with a loud note) where `script` is not installed.
fn on_a_terminal(p: &TestProject, args: &str) -> Option<String> {
    let which = Command::new("sh")
        .args(["-c", "command -v script"])
        .output()
        .unwrap();
    if !which.status.success() {
        eprintln!("SKIPPED: the terminal case needs `script` (util-linux / bsdutils)");
        return None;
    }
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_mb"));
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(p.root())
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    Some(String::from_utf8(output.stdout).unwrap())
}

#[test]
fn a_long_run_on_a_terminal_shows_a_status_line_and_erases_it() {
    let p = long_chain(12);
    let Some(screen) = on_a_terminal(&p, "db upgrade") else {
        return;
    };
    let erase = "\r\x1b[2K";
    for n in 1..=12 {
        assert!(
            screen.contains(&format!("{erase}Applying {n}/12 …")),
            "{screen:?}"
        );
    }
    assert!(screen.contains("Running upgrade r11 -> r12, create t_r12"));
    // The last status line is erased before the summary, which stays.
    let last = screen.rfind("Applying 12/12 …").unwrap();
    let after = &screen[last..];
    assert!(after.contains(erase), "{after:?}");
    assert!(!after[after.find(erase).unwrap()..].contains("Applying"));
    assert!(
        screen
            .trim_end()
            .ends_with("Upgraded 12 revisions; the database is at r12 (create t_r12)."),
        "{screen:?}"
    );

    // A short run shows none.
    let p = long_chain(2);
    let screen = on_a_terminal(&p, "db upgrade").unwrap();
    assert!(!screen.contains("Applying"), "{screen:?}");
}

#[test]
fn a_table_rebuild_on_a_terminal_says_so() {
    let p = TestProject::new();
    p.write_revision(
        "t1",
        "",
        "table",
        "CREATE TABLE \"post\" (\"id\" INTEGER PRIMARY KEY, \"body\" VARCHAR(10));\n",
        "DROP TABLE \"post\";\n",
    );
    p.write_revision(
        "t2",
        "t1",
        "wider",
        "ALTER TABLE \"post\" ALTER COLUMN \"body\" TYPE TEXT;\n",
        "ALTER TABLE \"post\" ALTER COLUMN \"body\" TYPE VARCHAR(10);\n",
    );
    let Some(screen) = on_a_terminal(&p, "db upgrade") else {
        return;
    };
    assert!(
        screen.contains("\r\x1b[2KApplying 2/2: rebuilding table \"post\" …"),
        "{screen:?}"
    );
}

#[test]
fn completions_for_each_shell() {
    let p = TestProject::empty();
    for (shell, sign) in [
        ("bash", "complete -F _mb"),
        ("zsh", "#compdef mb"),
        ("fish", "complete -c mb"),
    ] {
        let script = p.ok(&["completions", shell]).stdout;
        assert!(script.contains(sign), "{shell}: {script}");
        assert!(
            script.contains("inspect") && script.contains("from-database"),
            "{shell}"
        );
    }
    let output = p.mb().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}
