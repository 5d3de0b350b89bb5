//! The supply chain's formats: EPCIS 2.0 (`epcis`), for partners' systems.

pub mod capture;
pub mod epcis;
