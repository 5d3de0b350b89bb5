//! Emission factors: every version kept, none edited.

use diesel::prelude::*;

use super::schema::emission_factors as ef;
use super::DbConnection;
use crate::domain::co2e::Factor;

type Row = (String, String, String, String, f64, String, String, i64);

fn to_factor(r: Row) -> Factor {
    Factor {
        id: r.0,
        kind: r.1,
        subject: r.2,
        per: r.3,
        value: r.4,
        unit: r.5,
        source: r.6,
        version: r.7,
    }
}

/// Every version, by kind, subject and version.
pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Factor>> {
    let rows: Vec<Row> = ef::table
        .select((
            ef::id,
            ef::kind,
            ef::subject,
            ef::per,
            ef::value,
            ef::unit,
            ef::source,
            ef::version,
        ))
        .order((ef::kind, ef::subject, ef::version))
        .load(conn)?;
    Ok(rows.into_iter().map(to_factor).collect())
}

/// Adds the next version of (kind, subject) and returns it.
pub fn add_version(
    conn: &mut DbConnection,
    new: &Factor,
    now: chrono::NaiveDateTime,
) -> QueryResult<Factor> {
    let last: Option<i64> = ef::table
        .filter(ef::kind.eq(&new.kind))
        .filter(ef::subject.eq(&new.subject))
        .select(diesel::dsl::max(ef::version))
        .first(conn)?;
    let f = Factor {
        version: last.unwrap_or(0) + 1,
        ..new.clone()
    };
    diesel::insert_into(ef::table)
        .values((
            ef::id.eq(&f.id),
            ef::kind.eq(&f.kind),
            ef::subject.eq(&f.subject),
            ef::per.eq(&f.per),
            ef::value.eq(f.value),
            ef::unit.eq(&f.unit),
            ef::source.eq(&f.source),
            ef::version.eq(f.version),
            ef::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(f)
}
