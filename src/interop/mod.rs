//! The supply chain's formats: EPCIS 2.0 export and capture, and CSV imports and exports.

pub mod capture;
pub mod cli;
pub mod csv;
pub mod csv_export;
pub mod epcis;
pub mod epcis_read;
