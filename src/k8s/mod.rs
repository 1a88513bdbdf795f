//! The Kubernetes vocabulary, pure and self-contained (it imports nothing of the crate):
//! versions and branch names, which branches exist to watch, how a cherry-pick names its
//! parents and what its labels mean, release notes in PR bodies, TestGrid and Prow states,
//! `schedule.yaml` and `eol.yaml`, and patch release timing.

pub mod branches;
pub mod cherry_pick;
pub mod ci;
pub mod eol;
mod lenient;
pub mod release_note;
pub mod schedule;
pub mod timing;
pub mod version;
