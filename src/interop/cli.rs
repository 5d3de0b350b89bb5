//! `boucle import` and `boucle export`, with a progress bar on standard error.

use std::path::Path;

use anyhow::{bail, Context};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};

use super::csv::{import as import_rows, Import, ImportError, ImportSettings};
use super::csv_export::{export_containers, export_events, export_sites, export_types};
use crate::config::Config;
use crate::db::{write_tx, DbConnection};

fn bar(total: Option<u64>, what: &str) -> ProgressBar {
    let bar = match total {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    let template = if total.is_some() {
        "{msg} [{bar:30}] {pos}/{len} rows"
    } else {
        "{msg} {pos} rows"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

pub fn import(
    conn: &mut DbConnection,
    config: &Config,
    what: &str,
    file: &Path,
) -> anyhow::Result<String> {
    let kind = Import::parse(what)
        .with_context(|| format!("{what:?} cannot be imported; give sites, types or containers"))?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let progress = bar(Some(0), &format!("importing {what}"));
    let settings = ImportSettings {
        code_prefix: &config.code_prefix,
        gs1: config.gs1.as_ref(),
        user_id: None,
        now: crate::db::catalog::now(),
    };
    let done = write_tx(conn, |c| {
        import_rows(c, kind, &text, &settings, &|n, total| {
            progress.set_length(total);
            progress.set_position(n);
        })
    });
    progress.finish_and_clear();
    match done {
        Ok(n) => {
            eprintln!("imported {n} {what} from {}", file.display());
            Ok(String::new())
        }
        Err(ImportError::Row(e)) => bail!("{}: {e}", file.display()),
        Err(ImportError::Database(e)) => Err(e),
    }
}

fn day(flag: &str, text: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("{flag} {text:?} is not a date; give YYYY-MM-DD"))
}

pub fn export(
    conn: &mut DbConnection,
    what: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> anyhow::Result<String> {
    let stdout = std::io::stdout();
    let mut out = csv::Writer::from_writer(stdout.lock());
    let progress = bar(None, &format!("exporting {what}"));
    let tick = |n: u64| progress.set_position(n);
    let n = match what {
        "containers" => export_containers(conn, &mut out, &tick)?,
        "sites" => export_sites(conn, &mut out)?,
        "types" => export_types(conn, &mut out)?,
        "events" => {
            let start = from
                .map(|f| day("--from", f))
                .transpose()?
                .unwrap_or(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default());
            let end = match to {
                Some(t) => day("--to", t)?,
                None => chrono::Utc::now().date_naive() + chrono::Days::new(1),
            };
            if start >= end {
                bail!("--from {start} must be before --to {end}; --to is excluded");
            }
            let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
            export_events(conn, midnight(start), midnight(end), &mut out, &tick)?
        }
        other => bail!("{other:?} cannot be exported; give events, containers, sites or types"),
    };
    out.flush()?;
    progress.finish_and_clear();
    eprintln!("exported {n} {what}");
    Ok(String::new())
}
