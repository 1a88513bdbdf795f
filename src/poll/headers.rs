//! Column headers, for readiness at HEAD: which blocking tabs need them read again (a new run
//! since the last read, on a branch whose HEAD is known), read a few at a time. Best effort:
//! the headers API is a separate host, and a failure only leaves readiness unknown for a tab.

use std::collections::BTreeMap;

use futures_util::{StreamExt, stream};

use super::{Poller, state::DashboardFetch};
use crate::sources::testgrid::model::ColumnHeader;

/// Concurrent column-header requests (dashboards themselves are read one at a time).
const HEADER_CONCURRENCY: usize = 4;
/// Header requests in one poll at most; tabs beyond it are read at the next poll (their
/// headers are still stale then). Kubernetes' five branches have about 110 blocking tabs.
pub(super) const MAX_HEADER_REQUESTS_PER_POLL: usize = 300;

impl Poller {
    /// Reads the headers of blocking tabs whose newest run changed since they were read.
    pub(super) async fn fetch_headers(
        &self,
        dashboards: &BTreeMap<String, DashboardFetch>,
    ) -> Vec<(String, String, Option<i64>, Vec<ColumnHeader>)> {
        let mut wanted: Vec<(String, String, Option<i64>)> = {
            let state = self.state();
            let inputs = &state.inputs;
            inputs
                .branches
                .iter()
                .filter(|b| inputs.heads.contains_key(&b.name))
                .flat_map(|b| b.blocking.iter())
                .filter_map(|name| match dashboards.get(name) {
                    Some(DashboardFetch::Found(summary)) => Some((name, &summary.tabs)),
                    _ => inputs
                        .dashboards
                        .get(name)
                        .and_then(|d| d.summary.as_ref())
                        .map(|summary| (name, &summary.tabs)),
                })
                .flat_map(|(name, tabs)| {
                    tabs.iter()
                        .map(move |tab| (name.clone(), tab.name.clone(), tab.last_run))
                })
                .filter(|(dashboard, tab, last_run)| {
                    inputs
                        .headers
                        .get(dashboard)
                        .and_then(|tabs| tabs.get(tab))
                        .is_none_or(|read| read.read_at_run != *last_run)
                })
                .collect()
        };
        wanted.sort();
        wanted.dedup();
        if wanted.len() > MAX_HEADER_REQUESTS_PER_POLL {
            tracing::info!(
                tabs = wanted.len(),
                limit = MAX_HEADER_REQUESTS_PER_POLL,
                "More tabs ran than headers are read per poll; the rest at the next poll."
            );
            wanted.truncate(MAX_HEADER_REQUESTS_PER_POLL);
        }
        let fetched: Vec<_> = stream::iter(wanted)
            .map(|(dashboard, tab, last_run)| async move {
                let result = self.testgrid.headers(&dashboard, &tab).await;
                (dashboard, tab, last_run, result)
            })
            .buffer_unordered(HEADER_CONCURRENCY)
            .collect()
            .await;
        let mut first_error = None;
        let mut headers = Vec::new();
        for (dashboard, tab, last_run, result) in fetched {
            match result {
                Ok(columns) => headers.push((dashboard, tab, last_run, columns)),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        if let Some(error) = first_error {
            tracing::debug!(%error, "Some TestGrid column headers could not be read; readiness at HEAD is unknown for those tabs.");
        }
        headers
    }
}
