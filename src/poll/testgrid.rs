//! The TestGrid poll: every watched dashboard, one at a time as TestGrid's etiquette asks, then
//! the column headers of blocking tabs that ran since they were last read.

use std::collections::BTreeMap;

use super::{
    PollFailure, Polled, Poller,
    state::{DashboardFetch, Update},
};
use crate::sources::{http::retry_after_at, testgrid::TestgridError};

impl Poller {
    pub(super) async fn fetch_testgrid(&self, now: i64) -> Polled {
        let wanted: Vec<String> = {
            let state = self.state();
            let mut names: Vec<String> = state
                .inputs
                .branches
                .iter()
                .flat_map(|b| b.blocking.iter().chain(&b.informing))
                .cloned()
                .collect();
            names.dedup();
            names
        };
        let mut dashboards = BTreeMap::new();
        let mut failures: Vec<TestgridError> = Vec::new();
        for name in wanted {
            if dashboards.contains_key(&name) {
                continue;
            }
            let fetch = match self.testgrid.dashboard(&name).await {
                Ok(summary) => DashboardFetch::Found(summary),
                // TestGrid answered: the dashboard is missing, TestGrid is not down.
                Err(TestgridError::DashboardNotFound { .. }) => DashboardFetch::Missing,
                Err(error) => {
                    let message = error.to_string();
                    failures.push(error);
                    DashboardFetch::Failed(message)
                }
            };
            dashboards.insert(name, fetch);
        }
        let headers = self.fetch_headers(&dashboards).await;
        let failure = failures.first().map(|first| PollFailure {
            message: if failures.len() == 1 {
                first.to_string()
            } else {
                format!(
                    "{first} (and {} more dashboards failed)",
                    failures.len() - 1
                )
            },
            kind: first.kind(),
            not_before: failures
                .iter()
                .filter_map(|error| error.retry_after())
                .filter_map(|value| retry_after_at(value, now))
                .max(),
        });
        Polled {
            update: Some(Update::Testgrid {
                dashboards,
                headers,
            }),
            failure,
        }
    }
}
