//! The poller's mutable state — the last good inputs, the branches' status history, each
//! source's health and GitHub's rate limits — and how a finished poll changes it.

use std::collections::BTreeMap;

use crate::{
    analysis::{DashboardData, Inputs, StatusHistory, TabHeaders, WatchedBranch},
    k8s::{
        branches::{dashboards_of, discover_branches},
        eol::EndOfLife,
        schedule::Schedule,
        timing::PublishedRelease,
    },
    snapshot::{RateLimitReport, SourceReport},
    sources::{
        Source,
        github::model::{BranchHeads, LabelRemoval, MergedSince, Parents, PullRequest, RateLimit},
        testgrid::model::{ColumnHeader, DashboardSummary},
    },
};

/// Which branches to watch, and the dashboard templates that name their TestGrid boards.
#[derive(Clone, Debug)]
pub(crate) struct Watch {
    /// None for `branches: auto`.
    pub explicit: Option<Vec<String>>,
    pub blocking: Vec<String>,
    pub informing: Vec<String>,
}

impl Watch {
    /// The watched branches given what the sources know.
    pub fn branches(
        &self,
        schedule: Option<&Schedule>,
        eol: Option<&EndOfLife>,
        release_branches: &[String],
    ) -> Vec<String> {
        match &self.explicit {
            Some(list) => list.clone(),
            None => discover_branches(schedule, eol, release_branches),
        }
    }

    fn resolve(&self, inputs: &mut Inputs) {
        let names = self.branches(
            inputs.schedule.as_ref(),
            inputs.eol.as_ref(),
            &inputs.release_branches,
        );
        let resolved: Vec<WatchedBranch> = names
            .into_iter()
            .map(|name| WatchedBranch {
                blocking: dashboards_of(&name, &self.blocking),
                informing: dashboards_of(&name, &self.informing),
                name,
            })
            .collect();
        if inputs.branches != resolved {
            let names: Vec<&str> = resolved.iter().map(|b| b.name.as_str()).collect();
            tracing::info!(branches = ?names, "Watching branches.");
            inputs.branches = resolved;
        }
        // Data of dashboards no branch reads any more is dropped with them.
        let wanted: std::collections::BTreeSet<&String> = inputs
            .branches
            .iter()
            .flat_map(|b| b.blocking.iter().chain(&b.informing))
            .collect();
        inputs.dashboards.retain(|name, _| wanted.contains(name));
        inputs.headers.retain(|name, _| wanted.contains(name));
        let branches: std::collections::BTreeSet<&String> =
            inputs.branches.iter().map(|b| &b.name).collect();
        inputs
            .pull_requests
            .retain(|name, _| branches.contains(name));
    }
}

/// A dashboard as one TestGrid poll saw it.
#[derive(Debug)]
pub(crate) enum DashboardFetch {
    Found(DashboardSummary),
    /// TestGrid says it does not exist.
    Missing,
    /// The fetch failed; the last good summary stays.
    Failed(String),
}

/// What one finished poll brings; applied to a copy of the inputs, kept only if analysing the
/// result does not panic.
#[derive(Debug)]
pub(crate) enum Update {
    Testgrid {
        dashboards: BTreeMap<String, DashboardFetch>,
        /// Column headers read: (dashboard, tab, the tab's newest run, columns).
        headers: Vec<(String, String, Option<i64>, Vec<ColumnHeader>)>,
    },
    Github {
        heads: BranchHeads,
        pull_requests: BTreeMap<String, Vec<PullRequest>>,
        parents: Parents,
        releases: Vec<PublishedRelease>,
        merged: BTreeMap<String, MergedSince>,
        label_removals: BTreeMap<u64, Vec<LabelRemoval>>,
    },
    Schedule {
        schedule: Schedule,
        /// None when `eol.yaml` failed this time: the last good one stays.
        eol: Option<EndOfLife>,
    },
    /// Panics while being applied: proves the containment (tests only).
    #[cfg(test)]
    Panic,
}

impl Update {
    pub fn apply(self, inputs: &mut Inputs, watch: &Watch, now: i64) {
        match self {
            Update::Testgrid {
                dashboards,
                headers,
            } => {
                for (name, fetch) in dashboards {
                    let data = inputs.dashboards.entry(name).or_default();
                    match fetch {
                        DashboardFetch::Found(summary) => {
                            *data = DashboardData {
                                summary: Some(summary),
                                fetched_at: Some(now),
                                error: None,
                                missing: false,
                            };
                        }
                        DashboardFetch::Missing => {
                            *data = DashboardData {
                                summary: None,
                                fetched_at: Some(now),
                                error: None,
                                missing: true,
                            };
                        }
                        DashboardFetch::Failed(error) => data.error = Some(error),
                    }
                }
                for (dashboard, tab, read_at_run, columns) in headers {
                    inputs.headers.entry(dashboard).or_default().insert(
                        tab,
                        TabHeaders {
                            read_at_run,
                            columns,
                        },
                    );
                }
                // Headers of tabs that are gone go with them.
                for (dashboard, tabs) in &mut inputs.headers {
                    let current: Option<Vec<&str>> = inputs
                        .dashboards
                        .get(dashboard)
                        .and_then(|d| d.summary.as_ref())
                        .map(|s| s.tabs.iter().map(|t| t.name.as_str()).collect());
                    match current {
                        Some(current) => tabs.retain(|tab, _| current.contains(&tab.as_str())),
                        None => tabs.clear(),
                    }
                }
            }
            Update::Github {
                heads,
                pull_requests,
                parents,
                releases,
                merged,
                label_removals,
            } => {
                inputs.heads = heads.heads;
                inputs.release_branches = heads.release_branches;
                inputs.milestones = Some(heads.milestones);
                inputs.pull_requests = pull_requests;
                inputs.parents = parents.found;
                inputs.missing_parents = parents.missing;
                inputs.releases = releases;
                inputs.merged = merged;
                inputs.label_removals = label_removals;
            }
            Update::Schedule { schedule, eol } => {
                inputs.schedule = Some(schedule);
                if let Some(eol) = eol {
                    inputs.eol = Some(eol);
                }
            }
            #[cfg(test)]
            Update::Panic => {
                inputs.pull_requests.clear();
                panic!("byte index 40 is not a char boundary");
            }
        }
        watch.resolve(inputs);
    }
}

/// A source's poll history.
#[derive(Clone, Debug, Default)]
pub(crate) struct SourceHealth {
    pub up: bool,
    /// Unix seconds of the latest success.
    pub last_success: Option<i64>,
    /// Duration of the latest poll in seconds.
    pub last_poll_duration: Option<f64>,
    /// Why the latest poll failed, and its kind.
    pub last_error: Option<(String, &'static str)>,
    /// Not polled again before this time (the upstream's `Retry-After` or rate-limit reset).
    pub retry_at: Option<i64>,
}

/// Everything the poller knows between polls. Guarded by one std `Mutex` in the poller: it is
/// held only to apply a finished poll, analyse and publish (milliseconds, never across an
/// await), so the three poll loops never see half an update.
pub(crate) struct State {
    pub inputs: Inputs,
    pub history: StatusHistory,
    pub health: BTreeMap<Source, SourceHealth>,
    pub rate_limits: BTreeMap<String, RateLimit>,
}

impl State {
    /// Every source down until its first poll succeeds: a first poll that never finishes must
    /// not leave a source without a series.
    pub fn new(watch: &Watch) -> State {
        let mut inputs = Inputs::default();
        watch.resolve(&mut inputs);
        let health = Source::ALL
            .into_iter()
            .map(|source| {
                (
                    source,
                    SourceHealth {
                        last_error: Some(("not polled yet".to_string(), "not_polled")),
                        ..SourceHealth::default()
                    },
                )
            })
            .collect();
        State {
            inputs,
            history: StatusHistory::new(),
            health,
            rate_limits: BTreeMap::new(),
        }
    }

    /// The sources' health as the snapshot reports it.
    pub fn source_reports(&self) -> Vec<SourceReport> {
        Source::ALL
            .iter()
            .filter_map(|source| {
                self.health.get(source).map(|health| SourceReport {
                    source: *source,
                    up: health.up,
                    last_success: health.last_success,
                    last_poll_duration_seconds: health.last_poll_duration,
                    last_error: health.last_error.as_ref().map(|(m, _)| m.clone()),
                    error_kind: health.last_error.as_ref().map(|(_, k)| k.to_string()),
                    retry_at: health.retry_at,
                })
            })
            .collect()
    }

    pub fn rate_limit_reports(&self) -> Vec<RateLimitReport> {
        self.rate_limits
            .iter()
            .map(|(resource, limit)| RateLimitReport {
                resource: resource.clone(),
                remaining: limit.remaining,
                reset_at: limit.reset_at,
            })
            .collect()
    }
}
