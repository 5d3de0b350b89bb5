//! Both migration trees must give the same tables, views and columns.

use std::collections::BTreeMap;

use boucle::db::Db;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::helpers::{fresh_database, Backend};

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    nullable: String,
}

type Schema = BTreeMap<String, Vec<(String, bool)>>;

fn schema_of(backend: Backend) -> Schema {
    let fresh = fresh_database(backend);
    let url = fresh.url.clone();
    let db = Db::connect(&url, 1).expect("connect");
    db.migrate().expect("migrations apply");
    let mut conn = db.write_conn().expect("conn");
    let sql = match backend {
        Backend::Sqlite => "SELECT m.name AS table_name, p.name AS column_name, CASE WHEN p.\"notnull\" = 1 OR p.pk > 0 THEN 'NO' ELSE 'YES' END AS nullable \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '__diesel%'",
        Backend::Postgres => "SELECT table_name::text AS table_name, column_name::text AS column_name, is_nullable::text AS nullable \
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '__diesel%'",
    };
    let rows: Vec<Column> = diesel::sql_query(sql)
        .load(&mut *conn)
        .expect("schema query");
    let mut schema = Schema::new();
    for r in rows {
        schema
            .entry(r.table_name)
            .or_default()
            .push((r.column_name, r.nullable == "YES"));
    }
    for cols in schema.values_mut() {
        cols.sort();
    }
    schema
}

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    value: String,
}

#[test]
fn the_sqlite_tree_applies_on_a_file_in_wal_mode() {
    let schema = schema_of(Backend::Sqlite);
    assert!(
        schema.contains_key("events") && schema.contains_key("containers"),
        "{schema:?}"
    );
    let fresh = fresh_database(Backend::Sqlite);
    let url = fresh.url.clone();
    let db = Db::connect(&url, 1).expect("connect");
    let mut conn = db.read_conn().expect("conn");
    let mut setting = |sql: &str| -> String {
        let rows: Vec<Setting> = diesel::sql_query(sql).load(&mut *conn).expect("pragma");
        rows.into_iter().next().map(|r| r.value).expect("one row")
    };
    assert_eq!(
        setting("SELECT journal_mode AS value FROM pragma_journal_mode"),
        "wal"
    );
    assert_eq!(
        setting("SELECT CAST(synchronous AS TEXT) AS value FROM pragma_synchronous"),
        "1",
        "NORMAL"
    );
    assert_eq!(
        setting("SELECT CAST(foreign_keys AS TEXT) AS value FROM pragma_foreign_keys"),
        "1"
    );
    assert_eq!(
        setting("SELECT CAST(timeout AS TEXT) AS value FROM pragma_busy_timeout"),
        "5000"
    );
    drop(conn);
}

#[test]
#[cfg_attr(
    not(boucle_postgres),
    ignore = "PostgreSQL runs skipped: set BOUCLE_TEST_POSTGRES_URL to run them"
)]
fn both_trees_give_the_same_tables_views_and_columns() {
    let sqlite = schema_of(Backend::Sqlite);
    let mut postgres = schema_of(Backend::Postgres);
    // Where PostgreSQL's writers append their counters (migration 14); SQLite's one writer
    // keeps them in place. The views over both, which readers read, are compared.
    for only_postgres in ["daily_figure_deltas", "holding_deltas"] {
        assert!(postgres.remove(only_postgres).is_some(), "{only_postgres}");
    }
    assert!(sqlite.contains_key("holdings_now") && sqlite.contains_key("daily_figures_now"));
    assert_eq!(
        sqlite.keys().collect::<Vec<_>>(),
        postgres.keys().collect::<Vec<_>>()
    );
    for (table, cols) in &sqlite {
        assert_eq!(Some(cols), postgres.get(table), "table {table}");
    }
}
