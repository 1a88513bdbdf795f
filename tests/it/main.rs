//! The integration tests, one binary (each test binary links the whole crate: one is faster to
//! build on two cores): the CLI, one poll against the replay upstream healthy and broken, the
//! meeting report (golden files), the running daemon, GitHub's schema, the alert rules,
//! dashboards and deploy manifests, a real Prometheus end to end, and the release manager's pages
//! in a real headless chromium.

mod cli;
mod dashboards;
mod deploy;
mod e2e_prometheus;
mod embargo;
mod faults;
mod fuzz_corpus;
mod graphql_schema;
mod once;
mod page;
mod playbook;
mod repo;
mod report;
mod rules;
mod serve;
mod support;
