//! Timestamps are stored in UTC to the microsecond, the precision both databases keep.

use chrono::{NaiveDateTime, SubsecRound, TimeDelta};

/// How far ahead of the server's clock a device's time may be.
pub const MAX_CLOCK_AHEAD: TimeDelta = TimeDelta::minutes(5);

pub fn truncate(t: NaiveDateTime) -> NaiveDateTime {
    t.trunc_subsecs(6)
}

/// Whether `at` lies more than the allowed skew after `now`.
pub fn too_far_ahead(at: NaiveDateTime, now: NaiveDateTime) -> bool {
    at > now + MAX_CLOCK_AHEAD
}

/// Serde forms of a UTC time as RFC 3339 with `Z`, as every time of the API is shown.
pub mod rfc3339 {
    use chrono::{NaiveDateTime, SecondsFormat};
    use serde::Serializer;

    pub fn text(t: &NaiveDateTime) -> String {
        t.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    pub fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&text(t))
    }

    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(
            t: &Option<NaiveDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&text(t)),
                None => s.serialize_none(),
            }
        }
    }
}
