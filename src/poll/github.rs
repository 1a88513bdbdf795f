//! The GitHub poll, in order: branch HEADs and milestones (and so which branches exist), the
//! watched branches' open PRs, the watched minors' releases, the PRs merged since each release,
//! the parents that open and merged cherry-picks name, the changed files of release-branch PRs
//! whose head moved, and — after a release that ended a freeze — when the open PRs that lack
//! `cherry-pick-approved` lost it.

use std::collections::{BTreeMap, BTreeSet};

use super::{PollFailure, Polled, Poller, state::Update};
use crate::{
    k8s::{
        branches::minors_of,
        cherry_pick::CHERRY_PICK_APPROVED,
        timing::{FREEZE_LEAD_SECS, ended_freeze, last_release},
        version::BranchKind,
    },
    sources::github::{GithubError, MergedWanted, model::Spend},
};

impl Poller {
    pub(super) async fn fetch_github(&self, now: i64) -> Polled {
        let mut spend = Spend::default();
        let result = self.github_cycle(&mut spend, now).await;
        self.counters
            .graphql_errors
            .inc_by(spend.partial_error_count);
        if let Some(first) = spend.partial_errors.first() {
            // A partial error can quote what it could not decode: not in embargo-safe mode.
            let first = if self.settings.embargo {
                "(withheld: privacy.embargo)"
            } else {
                first.as_str()
            };
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
                message: if self.settings.embargo {
                    error.embargo_safe_message()
                } else {
                    error.to_string()
                },
            }),
        }
    }

    async fn github_cycle(&self, spend: &mut Spend, now: i64) -> Result<Update, GithubError> {
        let heads = self.github.branch_heads(spend, now).await?;
        let (watched, schedule) = {
            let state = self.state();
            let watched = self.watch.branches(
                state.inputs.schedule.as_ref(),
                state.inputs.eol.as_ref(),
                &heads.release_branches,
            );
            (watched, state.inputs.schedule.clone())
        };
        let mut pull_requests = BTreeMap::new();
        for branch in &watched {
            let prs = self.github.open_pull_requests(spend, branch, now).await?;
            pull_requests.insert(branch.clone(), prs);
        }
        let releases = self
            .github
            .releases(spend, &minors_of(&watched), now)
            .await?;

        // Release branches with a release: what merged since it, and whose approval the freeze
        // it ended took off.
        let mut merged_wanted = Vec::new();
        let mut removals_wanted = Vec::new();
        for branch in &watched {
            let Some(BranchKind::Release(minor)) = BranchKind::parse(branch) else {
                continue;
            };
            let Some(last) = last_release(minor, &releases, now) else {
                continue;
            };
            if let Some(head) = heads.heads.get(branch) {
                merged_wanted.push(MergedWanted {
                    branch: branch.clone(),
                    since: last.published_at,
                    head: head.clone(),
                });
            }
            let freeze = schedule
                .as_ref()
                .and_then(|s| ended_freeze(last, s.branch(minor), &s.upcoming));
            if let Some(freeze) = freeze {
                let since = freeze.from.saturating_sub(FREEZE_LEAD_SECS);
                removals_wanted.extend(
                    pull_requests
                        .get(branch)
                        .into_iter()
                        .flatten()
                        .filter(|pr| !pr.labels.iter().any(|l| l == CHERRY_PICK_APPROVED))
                        .filter(|pr| pr.created_at.is_none_or(|at| at <= freeze.until))
                        .map(|pr| (pr.number, since)),
                );
            }
        }
        let merged = self
            .github
            .merged_pull_requests(spend, &merged_wanted, now)
            .await?;

        let wanted: BTreeSet<u64> = pull_requests
            .values()
            .flatten()
            .flat_map(|pr| pr.parents.numbers.iter().copied())
            .chain(
                merged
                    .values()
                    .flat_map(|m| &m.pull_requests)
                    .filter(|pr| pr.parents.automated)
                    .flat_map(|pr| pr.parents.numbers.iter().copied()),
            )
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
        let label_removals = self
            .github
            .label_removals(spend, &removals_wanted, now)
            .await?;
        Ok(Update::Github {
            heads,
            pull_requests,
            parents,
            releases,
            merged,
            label_removals,
        })
    }
}
