//! Where time comes from. Only the poller (and the demo's replay) reads the clock; analysis
//! and everything downstream get `now` as a parameter.

use std::sync::Arc;

/// Reads the current unix time: the system clock, or a pinned or movable one in tests.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock, in unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// [`unix_now`] as a [`Clock`].
pub fn system() -> Clock {
    Arc::new(unix_now)
}
