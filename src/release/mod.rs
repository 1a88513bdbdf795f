//! Kubernetes patch releases: version parsing, the published schedule, and release timing.

pub mod eol;
pub mod schedule;
pub mod timing;
pub mod version;
