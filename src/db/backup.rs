//! `boucle backup` and `boucle restore`: a consistent copy of a live SQLite database, taken
//! while scans go on, and its checked return in place of (or beside) the database.
//!
//! PostgreSQL has its own tools for both; the messages give the commands.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::Sqlite;

use super::{Backend, Db, SQLITE_MIGRATIONS};

const POSTGRES_BACKUP: &str = "DATABASE_URL names a PostgreSQL database: back it up with \
    pg_dump --format=custom --file=boucle.dump \"$DATABASE_URL\" (a consistent snapshot, taken \
    while the service runs), as the README says";
const POSTGRES_RESTORE: &str = "DATABASE_URL names a PostgreSQL database: restore a dump of \
    pg_dump with pg_restore --clean --if-exists --no-owner --dbname=\"$DATABASE_URL\" \
    boucle.dump, with every instance of the service stopped, as the README says";

/// What a copy holds, read from the copy itself after its integrity check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub events: i64,
    pub containers: i64,
    /// The migrations the copy was made under.
    pub migrations: Vec<String>,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn sqlite_path(url: &str) -> anyhow::Result<&Path> {
    if Backend::of_url(url) == Backend::Postgres {
        bail!("not a SQLite database: {}", super::redact(url));
    }
    if url.starts_with("file:") || url.starts_with("sqlite:") || url == ":memory:" {
        bail!("DATABASE_URL {url:?} is a URI; give the database file's path, e.g. boucle.db");
    }
    Ok(Path::new(url))
}

fn utf8(path: &Path) -> anyhow::Result<&str> {
    path.to_str().with_context(|| {
        format!(
            "{} is not a UTF-8 path; choose another name",
            path.display()
        )
    })
}

/// Takes a consistent copy of the live database at `url` into `file`, which must not exist.
/// `VACUUM INTO` reads one snapshot inside a read transaction, so the service goes on
/// recording scans while it runs, and the copy is compacted and checked before this returns.
pub fn backup(url: &str, file: &Path) -> anyhow::Result<String> {
    if Backend::of_url(url) == Backend::Postgres {
        bail!("{POSTGRES_BACKUP}");
    }
    let source = sqlite_path(url)?;
    if !source.is_file() {
        bail!("there is no database at {url} (DATABASE_URL) to back up");
    }
    if file.exists() {
        bail!(
            "{} exists already; a backup never overwrites a file: give a new name",
            file.display()
        );
    }
    let started = Instant::now();
    let db = Db::connect(url, 1)?;
    let mut conn = db.read_conn().context("cannot open the database")?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(utf8(file)?)
        .execute(&mut *conn)
        .with_context(|| format!("cannot write the backup into {}", file.display()))?;
    let contents = inspect(file).with_context(|| {
        format!(
            "the copy in {} does not read back; it is not a backup",
            file.display()
        )
    })?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(format!(
        "backed up {url} into {}: {} events, {} containers, {:.1} MB in {:.1} s; integrity check ok",
        file.display(),
        contents.events,
        contents.containers,
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    ))
}

/// Opens a copy, runs SQLite's integrity check on it and counts what it holds.
pub fn inspect(file: &Path) -> anyhow::Result<Contents> {
    if !file.is_file() {
        bail!("there is no file {}", file.display());
    }
    let mut conn = SqliteConnection::establish(utf8(file)?)
        .with_context(|| format!("cannot open {} as a SQLite database", file.display()))?;
    let check: Vec<Line> =
        diesel::sql_query("SELECT integrity_check AS line FROM pragma_integrity_check")
            .load(&mut conn)
            .with_context(|| format!("{} is not a SQLite database", file.display()))?;
    if check.len() != 1 || check[0].line != "ok" {
        let lines: Vec<String> = check.into_iter().take(5).map(|l| l.line).collect();
        bail!(
            "{} fails SQLite's integrity check: {}",
            file.display(),
            lines.join("; ")
        );
    }
    let count = |conn: &mut SqliteConnection, table: &str| -> anyhow::Result<i64> {
        let rows: Vec<Count> = diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .load(conn)
            .with_context(|| {
                format!(
                    "{} holds no Boucle database (no table {table})",
                    file.display()
                )
            })?;
        Ok(rows.first().map_or(0, |c| c.n))
    };
    let events = count(&mut conn, "events")?;
    let containers = count(&mut conn, "containers")?;
    let migrations: Vec<Line> = diesel::sql_query(
        "SELECT version AS line FROM __diesel_schema_migrations ORDER BY version",
    )
    .load(&mut conn)
    .with_context(|| {
        format!(
            "{} holds no Boucle database (no migrations)",
            file.display()
        )
    })?;
    Ok(Contents {
        events,
        containers,
        migrations: migrations.into_iter().map(|l| l.line).collect(),
    })
}

/// Checks the backup `file` and puts it in place of the database at `url`: into a new file,
/// or, with `replace`, in place of a database that no program has open, which is kept beside
/// it (renamed) rather than deleted. Nothing changes at `url` unless every check passed.
pub fn restore(url: &str, file: &Path, replace: bool) -> anyhow::Result<String> {
    if Backend::of_url(url) == Backend::Postgres {
        bail!("{POSTGRES_RESTORE}");
    }
    let target = sqlite_path(url)?;
    let contents = inspect(file)?;
    let known: Vec<String> = MigrationSource::<Sqlite>::migrations(&SQLITE_MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("cannot read the migrations: {e}"))?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    if let Some(newer) = contents.migrations.iter().find(|v| !known.contains(v)) {
        bail!(
            "{} was made by a newer Boucle (its migration {newer} is not known to this one); restore it with that version or a later one",
            file.display()
        );
    }
    if target.exists() && replace {
        ensure_unused(target)?;
    }
    if target.exists() && !replace {
        bail!(
            "{url} (DATABASE_URL) is a database already; add --replace to put the backup in its place (the database there now is kept, renamed), or give a new DATABASE_URL"
        );
    }
    // Copy and check beside the target, so that the final step is a rename.
    let staged = with_suffix(target, ".restoring");
    remove_database(&staged)?;
    let outcome = stage(file, &staged, &contents);
    if outcome.is_err() {
        let _ = remove_database(&staged);
    }
    let checked = outcome?;
    let kept = if target.exists() {
        match set_aside(target) {
            Ok(kept) => Some(kept),
            Err(e) => {
                let _ = remove_database(&staged);
                return Err(e);
            }
        }
    } else {
        None
    };
    std::fs::rename(&staged, target).with_context(|| {
        format!(
            "cannot move the restored database {} to {url}",
            staged.display()
        )
    })?;
    let mut message = format!(
        "restored {} into {url}: {} events, {} containers; integrity check ok; {checked}",
        file.display(),
        contents.events,
        contents.containers
    );
    if let Some(kept) = kept {
        message.push_str(&format!(
            "\nthe database that was there is kept as {}",
            kept.display()
        ));
    }
    Ok(message)
}

/// Copies the backup into `staged`, brings it to this version's migrations and checks that
/// its figures and holdings agree with its events.
fn stage(file: &Path, staged: &Path, contents: &Contents) -> anyhow::Result<String> {
    let mut conn = SqliteConnection::establish(utf8(file)?)
        .with_context(|| format!("cannot open {}", file.display()))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(utf8(staged)?)
        .execute(&mut conn)
        .with_context(|| format!("cannot write {}", staged.display()))?;
    drop(conn);
    let db = Db::connect(utf8(staged)?, 1)?;
    db.migrate()?;
    let mut conn = db.write_conn().context("cannot open the restored copy")?;
    let fresh = super::check::recompute(&mut conn, |_| {})?;
    let diffs = super::check::differences(&mut conn, &fresh)?;
    if !diffs.is_empty() {
        bail!(
            "the backup's stored figures disagree with its events in {} places (first: {}); run boucle check-figures --repair on a copy of it, then restore that",
            diffs.len(),
            diffs[0]
        );
    }
    if fresh.events as i64 != contents.events {
        bail!(
            "the restored copy holds {} events, the backup {}",
            fresh.events,
            contents.events
        );
    }
    Ok(format!(
        "the figures agree with the {} events",
        fresh.events
    ))
}

/// Renames the database at `target` (and its log) out of the way, once no program has it
/// open: an exclusive lock is refused while any connection, such as a running service's, is.
fn set_aside(target: &Path) -> anyhow::Result<PathBuf> {
    let mut conn = ensure_unused(target)?;
    conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")
        .with_context(|| format!("cannot fold the log of {} into it", target.display()))?;
    drop(conn);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let kept = with_suffix(target, &format!(".before-restore-{stamp}"));
    for suffix in ["", "-wal", "-shm"] {
        let from = with_suffix(target, suffix);
        if from.exists() {
            std::fs::rename(&from, with_suffix(&kept, suffix))
                .with_context(|| format!("cannot set {} aside", from.display()))?;
        }
    }
    Ok(kept)
}

/// An exclusive hold on the database at `target`, refused while any other connection has it
/// open (in WAL mode each keeps a shared lock on the file); released when dropped.
fn ensure_unused(target: &Path) -> anyhow::Result<SqliteConnection> {
    let mut conn = SqliteConnection::establish(utf8(target)?)
        .with_context(|| format!("cannot open {}", target.display()))?;
    conn.batch_execute(
        "PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; \
         SELECT count(*) FROM sqlite_master; COMMIT;",
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "{} is in use (a running boucle serve, or another program, has it open: {e}); stop it, then restore again",
            target.display()
        )
    })?;
    Ok(conn)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_database(path: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let p = with_suffix(path, suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", p.display())),
        }
    }
    Ok(())
}
