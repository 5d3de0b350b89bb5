//! The binary's command line, run as a user would.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::{fresh_database, Backend};

pub(crate) fn boucle(db: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_boucle"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("boucle runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("boucle ends");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_first_coordinator_and_its_token_from_the_command_line() {
    let fresh = fresh_database(Backend::Sqlite);
    let db = fresh.url.clone();
    let (ok, out, err) = boucle(
        &db,
        &[
            "user",
            "add",
            "--email",
            "Coord@Loop.test",
            "--role",
            "coordinator",
            "--password-stdin",
        ],
        "long enough secret\n",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "");
    let (ok, out, err) = boucle(
        &db,
        &[
            "token",
            "create",
            "--email",
            "coord@loop.test",
            "--name",
            "laptop",
        ],
        "",
    );
    assert!(ok, "{err}");
    let token = out.strip_suffix('\n').expect("one line");
    assert!(
        token.starts_with("bcl_") && !token.contains(char::is_whitespace),
        "{out:?}"
    );
    let (ok, _, err) = boucle(
        &db,
        &[
            "user",
            "add",
            "--email",
            "coord@loop.test",
            "--role",
            "coordinator",
            "--password-stdin",
        ],
        "long enough secret\n",
    );
    assert!(!ok);
    assert!(
        err.contains("a user with the e-mail coord@loop.test exists already"),
        "{err}"
    );
    let (ok, _, err) = boucle(
        &db,
        &[
            "user",
            "add",
            "--email",
            "till@shop.test",
            "--role",
            "shop",
            "--password-stdin",
        ],
        "long enough secret\n",
    );
    assert!(!ok);
    assert!(
        err.contains("a shop user belongs to a site: give --site SITE_ID"),
        "{err}"
    );
    let (ok, _, err) = boucle(
        &db,
        &[
            "user",
            "add",
            "--email",
            "x@shop.test",
            "--role",
            "boss",
            "--password-stdin",
        ],
        "long enough secret\n",
    );
    assert!(
        !ok && err.contains("--role \"boss\" is not a role"),
        "{err}"
    );
    // An address mail cannot be sent to is refused when the user is saved.
    for bad in [
        "lea@laiterie",
        "lea laiterie@x.fr",
        "lea@@x.fr",
        "lea@x..fr",
    ] {
        let (ok, _, err) = boucle(
            &db,
            &[
                "user",
                "add",
                "--email",
                bad,
                "--role",
                "coordinator",
                "--password-stdin",
            ],
            "long enough secret\n",
        );
        assert!(!ok, "{bad} accepted");
        assert!(
            err.contains(&format!(
                "--email {bad:?} is not an e-mail address mail can be sent to"
            )),
            "{err}"
        );
    }
    let (ok, _, err) = boucle(
        &db,
        &[
            "user",
            "add",
            "--email",
            "z@shop.test",
            "--role",
            "coordinator",
            "--language",
            "de",
            "--password-stdin",
        ],
        "long enough secret\n",
    );
    assert!(
        !ok && err.contains("--language \"de\" is not offered; give fr or en"),
        "{err}"
    );
    let (ok, _, err) = boucle(
        &db,
        &[
            "user",
            "add",
            "--email",
            "y@shop.test",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!ok && err.contains("at least 8 characters"), "{err}");
}

#[test]
fn an_unreachable_server_gives_the_real_error() {
    let (ok, _, err) = boucle("postgres://boucle@127.0.0.1:9/boucle", &["migrate"], "");
    assert!(!ok);
    assert!(
        err.contains("cannot connect to PostgreSQL at postgres://boucle@127.0.0.1:9/boucle"),
        "{err}"
    );
    assert!(err.to_lowercase().contains("connection refused"), "{err}");
    let (ok, _, err) = boucle("/nonexistent-dir/sub/boucle.db", &["migrate"], "");
    assert!(!ok);
    assert!(
        err.contains("cannot open the SQLite database file /nonexistent-dir/sub/boucle.db"),
        "{err}"
    );
}
