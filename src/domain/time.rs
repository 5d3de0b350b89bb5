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
