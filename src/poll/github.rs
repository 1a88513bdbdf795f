//! The GitHub poll, in order: branch HEADs (and so which branches exist), the watched branches'
//! open PRs, the parents their cherry-picks name, the changed files of release-branch PRs whose
//! head moved, and the watched minors' releases.

use std::collections::{BTreeMap, BTreeSet};

use super::{PollFailure, Polled, Poller, state::Update};
use crate::{
    k8s::{branches::minors_of, cherry_pick, version::BranchKind},
    sources::github::{GithubError, model::Spend},
};

impl Poller {
    pub(super) async fn fetch_github(&self, now: i64) -> Polled {
        let mut spend = Spend::default();
        let result = self.github_cycle(&mut spend, now).await;
        self.counters
            .graphql_errors
            .inc_by(spend.partial_error_count);
        if let Some(first) = spend.partial_errors.first() {
            tracing::warn!(
                errors = spend.partial_error_count,
                %first,
                "GitHub returned partial data with errors; using what is valid."
            );
        }
        tracing::debug!(
            queries = spend.graphql_queries,
            points = spend.graphql_points,
            rest = spend.rest_requests,
            not_modified = spend.rest_not_modified,
            "GitHub cycle cost."
        );
        match result {
            Ok(update) => Polled {
                update: Some(update),
                failure: None,
            },
            Err(error) => Polled::failed(PollFailure {
                not_before: error.retry_not_before(now),
                kind: error.kind(),
                message: error.to_string(),
            }),
        }
    }

    async fn github_cycle(&self, spend: &mut Spend, now: i64) -> Result<Update, GithubError> {
        let heads = self.github.branch_heads(spend, now).await?;
        let watched = {
            let state = self.state();
            self.watch.branches(
                state.inputs.schedule.as_ref(),
                state.inputs.eol.as_ref(),
                &heads.release_branches,
            )
        };
        let mut pull_requests = BTreeMap::new();
        for branch in &watched {
            let prs = self.github.open_pull_requests(spend, branch, now).await?;
            pull_requests.insert(branch.clone(), prs);
        }
        let wanted: BTreeSet<u64> = pull_requests
            .values()
            .flatten()
            .flat_map(|pr| {
                cherry_pick::parents(pr.number, &pr.title, &pr.body, &pr.head_ref).numbers
            })
            .collect();
        let parents = self.github.parents(spend, &wanted, now).await?;
        // Master's PRs are not checked for dependency changes: it has a thousand of them, and
        // the playbook's scrutiny is for what goes into a patch release.
        let release_prs: Vec<(u64, String)> = pull_requests
            .iter()
            .filter(|(branch, _)| !matches!(BranchKind::parse(branch), Some(BranchKind::Master)))
            .flat_map(|(_, prs)| prs.iter().map(|pr| (pr.number, pr.head_oid.clone())))
            .collect();
        let files = self.github.changed_files(spend, &release_prs, now).await?;
        for pr in pull_requests.values_mut().flatten() {
            pr.changed_files = files.get(&pr.number).cloned();
        }
        let releases = self
            .github
            .releases(spend, &minors_of(&watched), now)
            .await?;
        Ok(Update::Github {
            heads,
            pull_requests,
            parents,
            releases,
        })
    }
}
