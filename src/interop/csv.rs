//! CSV imports and exports, for loops moving from spreadsheets. An import is all-or-nothing:
//! every row is checked and written in one transaction, and the first bad row stops it with
//! its line, its column and what is wrong.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::NaiveDateTime;

use crate::db::catalog::{find_site, find_type, insert_site, insert_type};
use crate::db::containers::{commission, commission_code, Commission};
use crate::db::scans::find_by_serial;
use crate::db::DbConnection;
use crate::domain::code::parse_any;
use crate::domain::gs1::CompanyPrefix;
use crate::http::catalog::{site_of, type_of, NewSite, NewType};

/// What makes a spreadsheet read a cell as a formula.
const FORMULA_START: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// A text cell (a name, an address) as a spreadsheet should show it: one that begins like a
/// formula gets a leading apostrophe, which spreadsheets show as text, so that a name typed
/// by a partner never runs in a coordinator's spreadsheet (OWASP, CSV injection). Numbers
/// are written as they are.
pub fn text_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_START) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// The text of a cell [`text_cell`] wrote: imported again, an export gives the same names.
fn from_text_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => cell,
    }
}

/// What can be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Import {
    Sites,
    Types,
    Containers,
}

impl Import {
    pub fn parse(text: &str) -> Option<Import> {
        match text {
            "sites" => Some(Import::Sites),
            "types" => Some(Import::Types),
            "containers" => Some(Import::Containers),
            _ => None,
        }
    }

    /// The columns of the file: required ones, then optional ones.
    pub fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Import::Sites => (&["name", "kind", "lat", "lon"], &["id", "address", "email"]),
            Import::Types => (
                &["name", "material", "tare_mass_g", "single_use_mass_g"],
                &["id", "capacity_ml"],
            ),
            Import::Containers => (&["type_id", "site_id"], &["code", "commissioned_at"]),
        }
    }
}

/// Why an import stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// The line in the file, the header being line 1.
    pub line: u64,
    pub column: String,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}; nothing was imported",
            self.line, self.column, self.message
        )
    }
}

/// An import that failed: a bad row, or the database.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Row(RowError),
    #[error(transparent)]
    Database(#[from] anyhow::Error),
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> Self {
        ImportError::Database(e.into())
    }
}

/// Settings an import needs.
pub struct ImportSettings<'a> {
    pub code_prefix: &'a str,
    pub gs1: Option<&'a CompanyPrefix>,
    pub user_id: Option<&'a str>,
    pub now: NaiveDateTime,
}

struct Row<'a> {
    line: u64,
    cells: HashMap<&'a str, String>,
}

impl Row<'_> {
    fn error(&self, column: &str, message: impl Into<String>) -> ImportError {
        ImportError::Row(RowError {
            line: self.line,
            column: column.to_owned(),
            message: message.into(),
        })
    }

    fn text(&self, column: &str) -> Option<String> {
        self.cells
            .get(column)
            .map(|v| from_text_cell(v.trim()).to_owned())
            .filter(|v| !v.is_empty())
    }

    fn number(&self, column: &str) -> Result<Option<f64>, ImportError> {
        self.text(column)
            .map(|v| {
                v.replace(',', ".")
                    .parse::<f64>()
                    .map_err(|_| self.error(column, format!("{v:?} is not a number")))
            })
            .transpose()
    }

    fn required_number(&self, column: &str) -> Result<f64, ImportError> {
        self.number(column)?
            .ok_or_else(|| self.error(column, "a number is needed here"))
    }
}

/// A file read: its header's columns, and each row with its line.
type Table = (Vec<String>, Vec<(u64, csv::StringRecord)>);

/// Reads the header and the rows of `text`, checking the columns of `what`.
fn rows(what: Import, text: &str) -> Result<Table, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let header_error = |message: String| {
        ImportError::Row(RowError {
            line: 1,
            column: "(header)".into(),
            message,
        })
    };
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| header_error(format!("the header cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let (required, optional) = what.columns();
    for column in required {
        if !headers.iter().any(|h| h == column) {
            return Err(header_error(format!(
                "the column {column} is missing; the header is {}{}",
                required.join(","),
                optional.iter().map(|o| format!(",{o}")).collect::<String>()
            )));
        }
    }
    if let Some(unknown) = headers
        .iter()
        .find(|h| !required.contains(&h.as_str()) && !optional.contains(&h.as_str()))
    {
        return Err(header_error(format!(
            "{unknown:?} is not a column of this import; give {} and optionally {}",
            required.join(", "),
            optional.join(", ")
        )));
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            ImportError::Row(RowError {
                line,
                column: "(row)".into(),
                message: format!("the row cannot be read: {e}"),
            })
        })?;
        let line = record.position().map_or(0, |p| p.line());
        out.push((line, record));
    }
    Ok((headers, out))
}

/// Imports `text` into the database in the caller's transaction; `progress` hears of each
/// row written. Returns the number of rows.
pub fn import(
    conn: &mut DbConnection,
    what: Import,
    text: &str,
    settings: &ImportSettings,
    progress: &dyn Fn(u64, u64),
) -> Result<usize, ImportError> {
    let (headers, records) = rows(what, text)?;
    let total = records.len() as u64;
    let mut seen_ids = HashSet::new();
    for (done, (line, record)) in records.iter().enumerate() {
        let row = Row {
            line: *line,
            cells: headers
                .iter()
                .map(String::as_str)
                .zip(record.iter().map(str::to_owned))
                .collect(),
        };
        if let Some(id) = row.text("id") {
            if !seen_ids.insert(id.clone()) {
                return Err(row.error("id", format!("the id {id} is given twice in the file")));
            }
        }
        match what {
            Import::Sites => import_site(conn, &row)?,
            Import::Types => import_type(conn, &row)?,
            Import::Containers => import_container(conn, &row, settings)?,
        }
        progress(done as u64 + 1, total);
    }
    Ok(records.len())
}

fn refused(row: &Row, (column, e): crate::http::catalog::FieldError) -> ImportError {
    row.error(column, e.to_string())
}

fn import_site(conn: &mut DbConnection, row: &Row) -> Result<(), ImportError> {
    let site = site_of(NewSite {
        id: row.text("id"),
        name: row.text("name").unwrap_or_default(),
        kind: row.text("kind").unwrap_or_default(),
        lat: row.required_number("lat")?,
        lon: row.required_number("lon")?,
        address: row.text("address"),
        email: row.text("email"),
    })
    .map_err(|e| refused(row, e))?;
    if find_site(conn, &site.id)?.is_some() {
        return Err(row.error(
            "id",
            format!("a site with the id {} exists already", site.id),
        ));
    }
    insert_site(conn, &site)?;
    Ok(())
}

fn import_type(conn: &mut DbConnection, row: &Row) -> Result<(), ImportError> {
    let t = type_of(NewType {
        id: row.text("id"),
        name: row.text("name").unwrap_or_default(),
        material: row.text("material").unwrap_or_default(),
        capacity_ml: row.number("capacity_ml")?,
        tare_mass_g: row.required_number("tare_mass_g")?,
        single_use_mass_g: row.required_number("single_use_mass_g")?,
    })
    .map_err(|e| refused(row, e))?;
    if find_type(conn, &t.id)?.is_some() {
        return Err(row.error(
            "id",
            format!("a container type with the id {} exists already", t.id),
        ));
    }
    insert_type(conn, &t)?;
    Ok(())
}

fn import_container(
    conn: &mut DbConnection,
    row: &Row,
    s: &ImportSettings,
) -> Result<(), ImportError> {
    let type_id = row
        .text("type_id")
        .ok_or_else(|| row.error("type_id", "a container type id is needed here"))?;
    if find_type(conn, &type_id)?.is_none() {
        return Err(row.error(
            "type_id",
            format!("no container type has the id {type_id}; import the types first"),
        ));
    }
    let site_id = row
        .text("site_id")
        .ok_or_else(|| row.error("site_id", "a site id is needed here"))?;
    if find_site(conn, &site_id)?.is_none() {
        return Err(row.error(
            "site_id",
            format!("no site has the id {site_id}; import the sites first"),
        ));
    }
    let at = match row.text("commissioned_at") {
        None => s.now,
        Some(t) => crate::http::parse_time("commissioned_at", &t)
            .map_err(|e| row.error("commissioned_at", e.to_string()))?,
    };
    if crate::domain::time::too_far_ahead(at, s.now) {
        return Err(row.error(
            "commissioned_at",
            format!("{at} UTC is ahead of the server's clock"),
        ));
    }
    let order = Commission {
        type_id: &type_id,
        site_id: &site_id,
        count: 1,
        at,
        user_id: s.user_id,
        prefix: s.code_prefix,
        now: s.now,
    };
    match row.text("code") {
        None => {
            commission(conn, &order)?;
        }
        Some(code) => {
            let parsed = parse_any(&code, s.code_prefix, s.gs1)
                .map_err(|e| row.error("code", format!("{code:?} is not a container code: {e}")))?;
            if find_by_serial(conn, &parsed.code, false)?.is_some() {
                return Err(row.error(
                    "code",
                    format!(
                        "a container with the code {} exists already",
                        parsed.code.display(s.code_prefix)
                    ),
                ));
            }
            commission_code(
                conn,
                &order,
                &parsed.code,
                &uuid::Uuid::now_v7().to_string(),
            )?;
        }
    }
    Ok(())
}
