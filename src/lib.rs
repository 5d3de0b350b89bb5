//! Boucle follows every reusable container of a local reuse loop and computes its figures.
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod interop;
pub mod mail;
pub mod pages;
pub mod qr;
pub mod sim;
pub mod startup;
