//! Integration tests: the real service on port 0, each test with its own database, on
//! SQLite and (when BOUCLE_TEST_POSTGRES_URL names a server) on PostgreSQL.

mod access;
mod append_only;
mod basics;
mod browser;
mod cli;
mod containers;
mod csv_io;
mod epcis;
mod epcis_capture;
mod flows;
mod gs1;
mod helpers;
mod mail;
mod mail_delivery;
mod mail_prefs;
mod mail_smtp;
mod mailbox;
mod migrations;
mod openapi;
mod openapi_check;
mod openapi_shapes;
mod pages;
mod pages_coordinator;
mod pages_manage;
mod pages_staff;
mod pages_till;
mod pages_tour;
mod pages_work;
mod replay;
mod reports;
mod reports_more;
mod scans;
mod simulate;
mod undo;
mod wash;
