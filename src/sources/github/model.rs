//! What GitHub says, as the rest of branchwatch sees it: PRs with their presubmit results,
//! cherry-pick parents, branch HEADs, rate limits, and what a cycle cost.

use std::collections::{BTreeMap, BTreeSet};

pub use crate::k8s::ci::ContextState;
use crate::k8s::{cherry_pick::CherryPickParents, release_note::Note};

/// A rate-limit reading.
#[derive(Clone, Debug, PartialEq)]
pub struct RateLimit {
    /// Points or requests left.
    pub remaining: i64,
    /// When it resets, unix seconds.
    pub reset_at: Option<i64>,
}

/// The latest result of one context on a PR's head commit.
#[derive(Clone, Debug, PartialEq)]
pub struct ContextResult {
    /// Context name (Prow job) or check-run name.
    pub name: String,
    pub state: ContextState,
    /// Description with Prow's U+2001 padding and ` BaseSHA:` suffix removed.
    pub description: String,
    /// The base SHA Prow tested against, from the description.
    pub base_sha: Option<String>,
    /// Link to the run.
    pub target_url: Option<String>,
    /// When the result was reported, unix seconds.
    pub created_at: Option<i64>,
}

/// GitHub's verdict on merging a PR into its base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mergeable {
    /// `MERGEABLE`.
    Clean,
    /// Merge conflicts: the PR needs a rebase.
    Conflicting,
    /// Not computed yet.
    Unknown,
}

impl Mergeable {
    /// GraphQL's `MergeableState`; anything unrecognised is `Unknown`.
    pub fn parse(text: Option<&str>) -> Mergeable {
        match text.map(str::trim) {
            Some("MERGEABLE") => Mergeable::Clean,
            Some("CONFLICTING") => Mergeable::Conflicting,
            _ => Mergeable::Unknown,
        }
    }
}

/// An open PR against a watched branch.
#[derive(Clone, Debug, PartialEq)]
pub struct PullRequest {
    pub number: u64,
    pub title: String,
    pub url: String,
    /// The parents its body, title or head ref names (read at decode time: the body itself is
    /// not kept, so memory does not follow the size of PR descriptions).
    pub parents: CherryPickParents,
    /// The release note of its own body.
    pub note: Note,
    /// Author login (None for deleted users).
    pub author: Option<String>,
    pub is_draft: bool,
    pub labels: Vec<String>,
    /// Milestone title, e.g. `v1.34`.
    pub milestone: Option<String>,
    pub base_ref: String,
    pub head_ref: String,
    pub head_oid: String,
    pub mergeable: Mergeable,
    /// Paths the PR changes (first 100), read when its head commit changes; None until known
    /// (and for master, whose PRs are not checked for dependency changes).
    pub changed_files: Option<Vec<String>>,
    /// Unix seconds.
    pub created_at: Option<i64>,
    /// Unix seconds.
    pub updated_at: Option<i64>,
    /// Latest result per context on the head commit.
    pub contexts: Vec<ContextResult>,
}

/// A cherry-pick's parent PR.
#[derive(Clone, Debug, PartialEq)]
pub struct ParentPr {
    pub number: u64,
    pub merged: bool,
    pub url: String,
    /// Its labels (release notes of automated cherry-picks come from here).
    pub labels: Vec<String>,
    /// The release note of its body (the body itself is not kept).
    pub note: Note,
}

/// The parents asked for, as GitHub answered.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parents {
    /// Found, by number.
    pub found: BTreeMap<u64, ParentPr>,
    /// Asked for and answered with nothing: deleted, or an issue's number, not a PR's.
    pub missing: BTreeSet<u64>,
}

/// A PR merged into a release branch, with what the release notes will say of it. Merged PRs
/// do not change: read once, kept.
#[derive(Clone, Debug, PartialEq)]
pub struct MergedPullRequest {
    pub number: u64,
    pub title: String,
    pub url: String,
    pub author: Option<String>,
    /// Unix seconds.
    pub merged_at: i64,
    pub base_ref: String,
    pub labels: Vec<String>,
    /// The parents its body, title or head ref names (an automated cherry-pick's notes are
    /// its parents').
    pub parents: CherryPickParents,
    /// The release note of its own body.
    pub note: Note,
}

/// The PRs merged into a branch since a time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MergedSince {
    /// Unix seconds: the branch's last patch release.
    pub since: i64,
    /// Every merge was read (false when the search was cut at its page bound).
    pub complete: bool,
    /// Newest merge first.
    pub pull_requests: Vec<MergedPullRequest>,
}

/// A repository milestone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Milestone {
    /// `v1.34`.
    pub title: String,
    /// `open` or `closed`.
    pub state: String,
    /// Unix seconds; None when it has no due date.
    pub due_on: Option<i64>,
    pub url: String,
}

/// A label taken off a PR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelRemoval {
    pub label: String,
    /// Unix seconds.
    pub at: i64,
    /// Who removed it (a public login; None for a deleted account).
    pub actor: Option<String>,
}

/// Branch HEADs: master and every `release-*` branch that exists.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BranchHeads {
    /// HEAD commit by branch name.
    pub heads: BTreeMap<String, String>,
    /// Every `release-*` branch (release and hotfix), for branch discovery.
    pub release_branches: Vec<String>,
    /// The repository's newest milestones.
    pub milestones: Vec<Milestone>,
}

/// What one GitHub cycle cost, and the errors that came with usable data.
#[derive(Clone, Debug, Default)]
pub struct Spend {
    /// GraphQL queries sent.
    pub graphql_queries: u32,
    /// GraphQL rate-limit points spent (sum of `rateLimit.cost`).
    pub graphql_points: u32,
    /// REST requests sent.
    pub rest_requests: u32,
    /// REST requests answered 304 (free).
    pub rest_not_modified: u32,
    /// GraphQL errors that came with usable partial data (bounded: the first few).
    pub partial_errors: Vec<String>,
    /// How many partial errors there were in all.
    pub partial_error_count: u64,
}

impl Spend {
    /// Most partial-error messages kept for the log.
    const KEPT_ERRORS: usize = 10;

    pub(crate) fn partial_error(&mut self, message: String) {
        self.partial_error_count = self.partial_error_count.saturating_add(1);
        if self.partial_errors.len() < Self::KEPT_ERRORS {
            self.partial_errors.push(message);
        }
    }
}
