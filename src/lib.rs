//! branchwatch watches Kubernetes release branches for patch release managers: TestGrid health
//! of each branch, the cherry-pick queue and its presubmits on GitHub, and the patch release
//! clock — exported as Prometheus metrics and a JSON status API.
//!
//! # Layout
//! Sources fetch and decode; `poll` owns the clock and the last good data; pure analysis turns
//! that data and an explicit `now` into an immutable snapshot; metrics and the API only read
//! snapshots. Imports run one way:
//! `cli → app → {poll, server, metrics}`; `poll → {sources, analysis, k8s, snapshot}`;
//! `analysis → {snapshot, k8s, source models}`; `server, metrics, page, report → snapshot`;
//! `sources → k8s`; `k8s → ∅`.
//!
//! - [`cli`], [`app`], `shutdown`: the process edge and the wiring; `remote` reads a running
//!   instance's status for `report --from`.
//! - [`config`]: the YAML configuration, validated all at once.
//! - `k8s`: Kubernetes vocabulary — versions, branches, cherry-pick naming, schedule, timing.
//! - `sources`: TestGrid, GitHub and schedule clients (fetch and decode only).
//! - [`poll`]: one loop per source, the state, one analysis and publish per finished poll.
//! - `analysis`: (inputs, history, settings, now) → snapshot.
//! - [`snapshot`]: the output model and its cell; [`metrics`], [`page`], [`report`], `server`:
//!   read it.
//! - [`page`]: the release manager's desk, `/` and `/branches/<branch>`, as HTML.
//! - [`demo`]: the offline replay upstream used by `branchwatch demo` and the tests.

#![warn(missing_docs)]

pub mod app;
pub mod cli;
mod clock;
pub mod config;
pub mod demo;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod k8s;
pub mod metrics;
pub mod page;
pub mod poll;
mod remote;
pub mod report;
mod server;
mod shutdown;
pub mod snapshot;
pub(crate) mod sources;

mod analysis;
#[cfg(test)]
mod fixtures;

pub use clock::{Clock, unix_now};
pub use sources::{Outcome, Source, github::queries};
