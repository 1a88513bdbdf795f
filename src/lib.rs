//! branchwatch watches Kubernetes release branches for patch release managers: TestGrid health
//! of each branch, the cherry-pick queue and its presubmits on GitHub, and the patch release
//! clock — exported as Prometheus metrics and a JSON status API.
//!
//! # Layout
//! - [`config`]: the YAML configuration, validated all at once.
//! - [`sources`]: upstream clients (`testgrid`, `github`, `schedule`) that fetch and decode.
//! - [`release`]: Kubernetes versions, `schedule.yaml` parsing, release timing (pure).
//! - [`analysis`]: pure functions from source data plus `now` to a [`snapshot::Snapshot`].
//! - [`metrics`], [`server`]: read snapshots; never call upstream.
//! - [`daemon`]: poll loops, backoff, shared state, `once`.
//! - [`demo`]: the offline replay upstream used by `branchwatch demo` and the tests.

#![warn(missing_docs)]

pub mod analysis;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod metrics;
pub mod release;
pub mod server;
pub mod snapshot;
pub mod sources;
