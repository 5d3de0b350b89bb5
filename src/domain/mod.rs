//! Pure rules: no HTTP, no database. Unit- and property-tested on their own.

pub mod access;
pub mod bounds;
pub mod co2e;
pub mod code;
pub mod distance;
pub mod figures;
pub mod gs1;
pub mod report;
pub mod roles;
pub mod state;
pub mod time;
pub mod timeline;
pub mod trips;
pub mod words;

/// A check of an e-mail address: one `@`, something before it, a dotted domain after it, no
/// spaces, and an address the mail library can send to.
pub fn valid_email(email: &str) -> bool {
    plain_email(email) && email.parse::<lettre::Address>().is_ok()
}

fn plain_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}
