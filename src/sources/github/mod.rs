//! GitHub: one fetch method per thing branchwatch reads — branch HEADs, a branch's open PRs,
//! parents of cherry-picks, changed files, releases — over GraphQL and ETag'd REST through
//! octocrab. The poller sequences them; the client never decides what to watch.

mod error;
mod graphql;
pub mod model;
pub mod queries;
mod rest;
mod wire;

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, VecDeque},
    sync::{Mutex, MutexGuard},
    time::Duration,
};

use octocrab::Octocrab;
use prometheus::IntCounter;
use serde_json::json;

pub use self::error::GithubError;
pub use self::rest::{decode_releases_page, next_link};
use self::{
    graphql::Budget,
    model::{
        BranchHeads, LabelRemoval, MergedPullRequest, MergedSince, ParentPr, Parents, PullRequest,
        Spend,
    },
    rest::{ReleasePage, plausible_release_time},
    wire::{
        AliasedData, Decoded, HeadsData, MergedData, SearchData, WireChangedFiles, WireParent,
        WireTagRef, WireTimeline,
    },
};
use super::{RequestCounter, http::EtagCache};
use crate::k8s::{
    timing::PublishedRelease,
    version::{BranchKind, Minor, PatchVersion},
};

/// Decodes `body` as the answer to every GraphQL document branchwatch sends, all the way to the
/// model (for fuzzing: no network, no budget).
pub fn decode_all_documents(body: &[u8]) {
    fn data<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
        let envelope: wire::Envelope = serde_json::from_slice(body).ok()?;
        if let Some(errors) = &envelope.errors {
            for error in errors {
                let _ = (
                    error.is_rate_limit(),
                    error.is_forbidden(),
                    error.describe(),
                );
            }
        }
        serde_json::from_value::<wire::Data<T>>(envelope.data?)
            .ok()
            .map(|d| d.body)
    }
    /// The nodes that decoded.
    fn good<T>(nodes: impl IntoIterator<Item = Option<Decoded<T>>>) -> impl Iterator<Item = T> {
        nodes.into_iter().flatten().filter_map(Decoded::ok)
    }
    if let Some(repo) = data::<HeadsData>(body).and_then(|d| d.repository) {
        let milestones = repo.milestones.unwrap_or_default().nodes;
        good(milestones).for_each(|m| drop(m.into_milestone()));
    }
    if let Some(search) = data::<SearchData>(body).and_then(|d| d.search) {
        good(search.nodes).for_each(|pr| drop(pr.into_pull_request()));
    }
    if let Some(repo) = data::<AliasedData<Decoded<WireParent>>>(body).and_then(|d| d.repository) {
        good(repo.into_values()).for_each(|parent| drop(parent.into_parent()));
    }
    let _ = data::<AliasedData<Decoded<WireChangedFiles>>>(body);
    for search in data::<MergedData>(body)
        .unwrap_or_default()
        .into_values()
        .flatten()
    {
        good(search.nodes).for_each(|merged| drop(merged.into_merged()));
    }
    if let Some(repo) = data::<AliasedData<Decoded<WireTimeline>>>(body).and_then(|d| d.repository)
    {
        for timeline in good(repo.into_values()) {
            let events = timeline.timeline_items.unwrap_or_default().nodes;
            good(events).for_each(|event| drop(event.into_removal()));
        }
    }
    if let Some(repo) =
        data::<AliasedData<wire::Nodes<WireTagRef>>>(body).and_then(|d| d.repository)
    {
        for refs in repo.into_values().flatten() {
            for tag in refs.nodes.into_iter().flatten() {
                let _ = tag.target.and_then(wire::WireTagTarget::date);
            }
        }
    }
}

/// Stop paging one branch's PRs after this many pages (GitHub search stops at 1,000 results).
const MAX_PR_PAGES: usize = 20;
/// Stop paging `release-*` branch refs after this many pages of 100.
const MAX_REF_PAGES: usize = 5;
/// Merged parents remembered across polls (a merged PR cannot un-merge); oldest evicted first.
const MAX_CACHED_PARENTS: usize = 5_000;
/// Changed-file lists remembered across polls (only open PRs of watched branches are kept).
const MAX_CACHED_FILE_LISTS: usize = 5_000;
/// Stop paging one branch's merged PRs after this many pages of 50.
const MAX_MERGED_PAGES: usize = 10;
/// Merged PRs kept per branch (the newest); a branch with more since its last release is
/// reported incomplete.
const MAX_MERGED_PER_BRANCH: usize = 500;
/// After a branch HEAD moves, its merged PRs are searched again on every poll for this long:
/// GitHub's search index lags a merge by seconds to minutes.
const MERGED_SETTLE_SECS: i64 = 600;
/// An incremental search starts this long before the newest merge already read (merges that
/// the index showed late are picked up; duplicates are dropped).
const MERGED_OVERLAP_SECS: i64 = 3_600;

/// Reads GitHub for the watched repository.
pub struct GithubClient {
    octo: Option<Octocrab>,
    /// The configured token file, shown when it holds no token.
    token_file: Option<String>,
    api_url: String,
    owner: String,
    repo: String,
    timeout: Duration,
    counter: RequestCounter,
    points: IntCounter,
    /// Shared by every request of every poll: a rate limit holds them all back.
    budget: Mutex<Budget>,
    merged_parents: Mutex<MergedParents>,
    /// Changed files per PR, with the head commit they were read at.
    changed_files: Mutex<HashMap<u64, (String, Vec<String>)>>,
    release_pages: EtagCache<ReleasePage>,
    /// Merged PRs per branch since its last release (merged PRs do not change).
    merged: Mutex<BTreeMap<String, MergedCache>>,
    /// Label removals per PR, with the time they were read from.
    removals: Mutex<HashMap<u64, (i64, Vec<LabelRemoval>)>>,
}

/// What one branch's merged PRs are, as far as read.
struct MergedCache {
    since: i64,
    /// The branch HEAD the last search saw, and when it was first seen.
    head: String,
    head_seen_at: i64,
    searched_at: i64,
    complete: bool,
    pull_requests: BTreeMap<u64, MergedPullRequest>,
}

/// A branch whose merged PRs are wanted: since its last patch release, at its current HEAD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergedWanted {
    pub branch: String,
    /// Unix seconds of its last patch release.
    pub since: i64,
    pub head: String,
}

/// Merged parents in insertion order, for eviction.
#[derive(Default)]
struct MergedParents {
    by_number: BTreeMap<u64, ParentPr>,
    order: VecDeque<u64>,
}

/// A poisoned lock only means a poll panicked mid-update; what it guards is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl GithubClient {
    /// A client; without a token every fetch fails with [`GithubError::MissingToken`].
    pub fn new(
        reqwest: reqwest::Client,
        github: &crate::config::GithubConfig,
        timeout: Duration,
        counter: RequestCounter,
        points: IntCounter,
    ) -> anyhow::Result<GithubClient> {
        let octo = match github.token_text() {
            Some(token) => Some(
                Octocrab::builder()
                    .base_uri(github.api_url.as_str())?
                    .personal_token(token.to_string())
                    .build_with_reqwest(reqwest)?,
            ),
            None => None,
        };
        Ok(GithubClient {
            octo,
            token_file: github
                .token_file
                .as_ref()
                .map(|path| crate::sources::http::excerpt(path.display().to_string().as_bytes())),
            api_url: github.api_url.trim_end_matches('/').to_string(),
            owner: github.owner.clone(),
            repo: github.repo.clone(),
            timeout,
            counter,
            points,
            budget: Mutex::default(),
            merged_parents: Mutex::default(),
            changed_files: Mutex::default(),
            release_pages: EtagCache::new(rest::MAX_RELEASE_PAGES),
            merged: Mutex::default(),
            removals: Mutex::default(),
        })
    }

    fn repo_name(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }

    fn budget(&self) -> MutexGuard<'_, Budget> {
        lock(&self.budget)
    }

    fn octo(&self) -> Result<&Octocrab, GithubError> {
        self.octo.as_ref().ok_or_else(|| GithubError::MissingToken {
            file: self.token_file.clone(),
        })
    }

    /// An aliased query on the watched repository (`repository { p123: ... }`): its aliases, or
    /// the repository's absence as an error.
    async fn aliased<T: serde::de::DeserializeOwned>(
        &self,
        spend: &mut Spend,
        query: &str,
        now: i64,
    ) -> Result<HashMap<String, Option<T>>, GithubError> {
        let answer = self
            .graphql::<AliasedData<T>>(
                spend,
                query,
                json!({"owner": self.owner, "name": self.repo}),
                now,
            )
            .await?;
        answer
            .body
            .repository
            .ok_or_else(|| self.repository_missing(spend))
    }

    fn repository_missing(&self, spend: &Spend) -> GithubError {
        GithubError::RepoNotFound {
            repo: self.repo_name(),
            message: spend
                .partial_errors
                .last()
                .cloned()
                .unwrap_or_else(|| "repository is null".to_string()),
        }
    }

    /// HEADs of master and every `release-*` branch (which also discovers hotfix branches).
    pub async fn branch_heads(
        &self,
        spend: &mut Spend,
        now: i64,
    ) -> Result<BranchHeads, GithubError> {
        let mut heads = BranchHeads::default();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_REF_PAGES {
            let answer = self
                .graphql::<HeadsData>(
                    spend,
                    queries::BRANCH_HEADS,
                    json!({"owner": self.owner, "name": self.repo, "cursor": cursor}),
                    now,
                )
                .await?;
            let repo = answer
                .body
                .repository
                .ok_or_else(|| self.repository_missing(spend))?;
            if let Some(oid) = repo.master.and_then(|m| m.target).and_then(|t| t.oid) {
                heads.heads.insert(BranchKind::Master.to_string(), oid);
            }
            if cursor.is_none() {
                let milestones = repo.milestones.unwrap_or_default().nodes;
                if milestones.len() > queries::MILESTONES_PER_PAGE {
                    return Err(GithubError::Decode(format!(
                        "a page of {} milestones holds {}",
                        queries::MILESTONES_PER_PAGE,
                        milestones.len()
                    )));
                }
                for milestone in milestones.into_iter().flatten() {
                    match milestone {
                        Decoded::Ok(milestone) => heads.milestones.push(milestone.into_milestone()),
                        Decoded::Bad(error) => {
                            spend.partial_error(format!("undecodable milestone: {error}"))
                        }
                    }
                }
            }
            if repo.refs.nodes.len() > queries::REFS_PER_PAGE {
                return Err(GithubError::Decode(format!(
                    "a page of {} refs holds {}",
                    queries::REFS_PER_PAGE,
                    repo.refs.nodes.len()
                )));
            }
            for node in repo.refs.nodes.into_iter().flatten() {
                match node {
                    Decoded::Ok(node) => {
                        if let Some(oid) = node.target.and_then(|t| t.oid) {
                            heads.release_branches.push(node.name.clone());
                            heads.heads.insert(node.name, oid);
                        }
                    }
                    Decoded::Bad(error) => spend.partial_error(format!("undecodable ref: {error}")),
                }
            }
            if !repo.refs.page_info.has_next_page {
                return Ok(heads);
            }
            cursor = repo.refs.page_info.end_cursor;
        }
        tracing::warn!(
            read = heads.release_branches.len(),
            "More release branches than branchwatch reads ({MAX_REF_PAGES} pages of {}); the rest are not seen.",
            queries::REFS_PER_PAGE
        );
        Ok(heads)
    }

    /// Open PRs of `branch`, 50 a page, with labels and the head commit's presubmits inline.
    pub async fn open_pull_requests(
        &self,
        spend: &mut Spend,
        branch: &str,
        now: i64,
    ) -> Result<Vec<PullRequest>, GithubError> {
        let search = queries::pull_request_search(&self.owner, &self.repo, branch);
        let mut prs: Vec<PullRequest> = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PR_PAGES {
            let answer = self
                .graphql::<SearchData>(
                    spend,
                    queries::BRANCH_PULL_REQUESTS,
                    json!({"query": search, "cursor": cursor}),
                    now,
                )
                .await?;
            let Some(page) = answer.body.search else {
                return Err(GithubError::Decode(
                    "search missing from BranchPullRequests".into(),
                ));
            };
            // More nodes than asked for is not GitHub: refuse rather than hold it all.
            if page.nodes.len() > queries::PULL_REQUESTS_PER_PAGE {
                return Err(GithubError::Decode(format!(
                    "a page of {} PRs holds {}",
                    queries::PULL_REQUESTS_PER_PAGE,
                    page.nodes.len()
                )));
            }
            for node in page.nodes.into_iter().flatten() {
                let pr = match node {
                    Decoded::Ok(wire) => wire.into_pull_request(),
                    Decoded::Bad(error) => {
                        spend.partial_error(format!("undecodable PR in {branch}: {error}"));
                        None
                    }
                };
                let Some(pr) = pr else { continue };
                if pr.labels.len() > queries::LABELS_PER_PR
                    || pr.contexts.len() > queries::CONTEXTS_PER_PR
                {
                    return Err(GithubError::Decode(format!(
                        "PR #{} has {} labels and {} contexts, more than the query asks for",
                        pr.number,
                        pr.labels.len(),
                        pr.contexts.len()
                    )));
                }
                // The search qualifier is exact, but a fake or a future GitHub might not be.
                if pr.base_ref == branch || pr.base_ref.is_empty() {
                    prs.push(pr);
                }
            }
            if !page.page_info.has_next_page || page.page_info.end_cursor.is_none() {
                cursor = None;
                break;
            }
            cursor = page.page_info.end_cursor;
        }
        if cursor.is_some() {
            tracing::warn!(
                branch,
                read = prs.len(),
                "More open PRs than branchwatch reads for one branch (its {MAX_PR_PAGES} pages of {}); the rest are not seen.",
                queries::PULL_REQUESTS_PER_PAGE
            );
        }
        prs.sort_by_key(|pr| pr.number);
        prs.dedup_by_key(|pr| pr.number);
        Ok(prs)
    }

    /// Parent PRs by number, batched; merged ones come from the cache (a merged PR cannot
    /// un-merge). A number that is an issue, or was deleted, is reported missing.
    pub async fn parents(
        &self,
        spend: &mut Spend,
        numbers: &BTreeSet<u64>,
        now: i64,
    ) -> Result<Parents, GithubError> {
        let mut parents = BTreeMap::new();
        let mut missing = BTreeSet::new();
        let mut to_fetch = Vec::new();
        {
            let cache = lock(&self.merged_parents);
            for number in numbers {
                match cache.by_number.get(number) {
                    Some(parent) => {
                        parents.insert(*number, parent.clone());
                    }
                    None => to_fetch.push(*number),
                }
            }
        }
        for chunk in to_fetch.chunks(queries::MAX_PARENTS_PER_QUERY) {
            let mut repo = self
                .aliased::<Decoded<WireParent>>(spend, &queries::parent_pull_requests(chunk), now)
                .await?;
            for number in chunk {
                match repo.remove(&format!("p{number}")).flatten() {
                    Some(Decoded::Ok(wire)) => {
                        let parent = wire.into_parent();
                        if parent.merged {
                            self.remember_merged(parent.clone());
                        }
                        parents.insert(*number, parent);
                    }
                    Some(Decoded::Bad(error)) => {
                        spend.partial_error(format!("undecodable parent #{number}: {error}"))
                    }
                    None => {
                        missing.insert(*number);
                    }
                }
            }
        }
        Ok(Parents {
            found: parents,
            missing,
        })
    }

    fn remember_merged(&self, parent: ParentPr) {
        let mut cache = lock(&self.merged_parents);
        if cache
            .by_number
            .insert(parent.number, parent.clone())
            .is_none()
        {
            cache.order.push_back(parent.number);
        }
        while cache.order.len() > MAX_CACHED_PARENTS {
            if let Some(oldest) = cache.order.pop_front() {
                cache.by_number.remove(&oldest);
            }
        }
    }

    /// The changed paths (first 100) of each PR `(number, head commit)`: from the cache when the
    /// head is the one they were read at, else in batches. PRs absent from `prs` are forgotten.
    pub async fn changed_files(
        &self,
        spend: &mut Spend,
        prs: &[(u64, String)],
        now: i64,
    ) -> Result<BTreeMap<u64, Vec<String>>, GithubError> {
        let stale: Vec<u64> = {
            let cache = lock(&self.changed_files);
            prs.iter()
                .filter(|(number, head)| {
                    cache.get(number).is_none_or(|(read_at, _)| read_at != head)
                })
                .map(|(number, _)| *number)
                .collect()
        };
        for chunk in stale.chunks(queries::MAX_FILES_PRS_PER_QUERY) {
            let mut repo = self
                .aliased::<Decoded<WireChangedFiles>>(spend, &queries::changed_files(chunk), now)
                .await?;
            let mut cache = lock(&self.changed_files);
            for number in chunk {
                match repo.remove(&format!("p{number}")).flatten() {
                    Some(Decoded::Ok(wire)) => {
                        let paths: Vec<String> = wire
                            .files
                            .unwrap_or_default()
                            .nodes
                            .into_iter()
                            .flatten()
                            .map(|f| f.path)
                            .filter(|p| !p.is_empty())
                            .take(queries::CHANGED_FILES_PER_PR)
                            .collect();
                        cache.insert(wire.number, (wire.head_ref_oid, paths));
                    }
                    Some(Decoded::Bad(error)) => spend
                        .partial_error(format!("undecodable changed files of #{number}: {error}")),
                    None => {}
                }
            }
        }
        let mut cache = lock(&self.changed_files);
        let open: BTreeSet<u64> = prs.iter().map(|(n, _)| *n).collect();
        cache.retain(|number, _| open.contains(number));
        if cache.len() > MAX_CACHED_FILE_LISTS {
            cache.clear();
        }
        Ok(prs
            .iter()
            .filter_map(|(number, head)| {
                cache
                    .get(number)
                    .filter(|(read_at, _)| read_at == head)
                    .map(|(_, paths)| (*number, paths.clone()))
            })
            .collect())
    }

    /// The PRs merged into each wanted branch since its last patch release. Merged PRs are read
    /// once and kept; a branch is searched again only when its HEAD moved (then for
    /// [`MERGED_SETTLE_SECS`], as the search index catches up), from the newest merge already
    /// read. Branches not wanted any more are forgotten.
    pub async fn merged_pull_requests(
        &self,
        spend: &mut Spend,
        wanted: &[MergedWanted],
        now: i64,
    ) -> Result<BTreeMap<String, MergedSince>, GithubError> {
        let searches: Vec<(String, i64)> = {
            let mut cache = lock(&self.merged);
            cache.retain(|branch, _| wanted.iter().any(|w| &w.branch == branch));
            wanted
                .iter()
                .filter_map(|want| {
                    let entry = cache
                        .entry(want.branch.clone())
                        .or_insert_with(|| MergedCache {
                            since: want.since,
                            head: want.head.clone(),
                            head_seen_at: now.saturating_sub(MERGED_SETTLE_SECS),
                            searched_at: i64::MIN,
                            complete: false,
                            pull_requests: BTreeMap::new(),
                        });
                    if want.since < entry.since {
                        // The last release went back (a release was deleted): read it all again.
                        entry.pull_requests.clear();
                        entry.complete = false;
                        entry.searched_at = i64::MIN;
                    }
                    entry.since = want.since;
                    entry
                        .pull_requests
                        .retain(|_, pr| pr.merged_at >= want.since);
                    if entry.head != want.head {
                        entry.head = want.head.clone();
                        entry.head_seen_at = now;
                    }
                    let settled = entry.searched_at >= entry.head_seen_at + MERGED_SETTLE_SECS;
                    if entry.complete && settled {
                        return None;
                    }
                    let from = match entry.pull_requests.values().map(|pr| pr.merged_at).max() {
                        Some(newest) if entry.complete => {
                            (newest - MERGED_OVERLAP_SECS).max(want.since)
                        }
                        _ => want.since,
                    };
                    Some((want.branch.clone(), from))
                })
                .collect()
        };
        let mut found: BTreeMap<String, (Vec<MergedPullRequest>, bool)> = BTreeMap::new();
        if !searches.is_empty() {
            let mut pending: Vec<(String, String, Option<String>)> = searches
                .iter()
                .map(|(branch, from)| {
                    let query = queries::merged_search(&self.owner, &self.repo, branch, *from);
                    (branch.clone(), query, None)
                })
                .collect();
            for _ in 0..MAX_MERGED_PAGES {
                if pending.is_empty() {
                    break;
                }
                let mut variables = serde_json::Map::new();
                for (i, (_, query, cursor)) in pending.iter().enumerate() {
                    variables.insert(format!("q{i}"), json!(query));
                    variables.insert(format!("c{i}"), json!(cursor));
                }
                let answer = self
                    .graphql::<MergedData>(
                        spend,
                        &queries::merged_pull_requests(pending.len()),
                        serde_json::Value::Object(variables),
                        now,
                    )
                    .await?;
                let mut pages = answer.body;
                let mut next = Vec::new();
                for (i, (branch, query, _)) in pending.into_iter().enumerate() {
                    let Some(Some(page)) = pages.remove(&format!("b{i}")) else {
                        return Err(GithubError::Decode(format!(
                            "the merged PRs of {branch} are missing from the answer"
                        )));
                    };
                    if page.nodes.len() > queries::MERGED_PER_PAGE {
                        return Err(GithubError::Decode(format!(
                            "a page of {} merged PRs holds {}",
                            queries::MERGED_PER_PAGE,
                            page.nodes.len()
                        )));
                    }
                    let entry = found.entry(branch.clone()).or_insert((Vec::new(), true));
                    for node in page.nodes.into_iter().flatten() {
                        match node {
                            Decoded::Ok(wire) => {
                                if let Some(pr) = wire.into_merged() {
                                    if pr.base_ref == branch || pr.base_ref.is_empty() {
                                        entry.0.push(pr);
                                    }
                                }
                            }
                            Decoded::Bad(error) => spend.partial_error(format!(
                                "undecodable merged PR in {branch}: {error}"
                            )),
                        }
                    }
                    match page.page_info.end_cursor {
                        Some(cursor) if page.page_info.has_next_page => {
                            next.push((branch, query, Some(cursor)))
                        }
                        _ => {}
                    }
                }
                pending = next;
            }
            // Still more pages after the bound: what was read is kept, marked incomplete.
            for (branch, _, _) in pending {
                if let Some(entry) = found.get_mut(&branch) {
                    entry.1 = false;
                }
            }
        }
        let mut cache = lock(&self.merged);
        let mut result = BTreeMap::new();
        for want in wanted {
            let Some(entry) = cache.get_mut(&want.branch) else {
                continue;
            };
            if let Some((prs, complete)) = found.remove(&want.branch) {
                let was_complete = entry.complete || entry.pull_requests.is_empty();
                for pr in prs.into_iter().filter(|pr| pr.merged_at >= want.since) {
                    entry.pull_requests.insert(pr.number, pr);
                }
                entry.complete = complete && was_complete;
                entry.searched_at = now;
                if entry.pull_requests.len() > MAX_MERGED_PER_BRANCH {
                    let mut by_time: Vec<(i64, u64)> = entry
                        .pull_requests
                        .values()
                        .map(|pr| (pr.merged_at, pr.number))
                        .collect();
                    by_time.sort_unstable();
                    let excess = by_time.len() - MAX_MERGED_PER_BRANCH;
                    for (_, number) in by_time.into_iter().take(excess) {
                        entry.pull_requests.remove(&number);
                    }
                    entry.complete = false;
                }
            }
            let mut pull_requests: Vec<MergedPullRequest> =
                entry.pull_requests.values().cloned().collect();
            pull_requests.sort_by_key(|pr| std::cmp::Reverse((pr.merged_at, pr.number)));
            result.insert(
                want.branch.clone(),
                MergedSince {
                    since: want.since,
                    complete: entry.complete,
                    pull_requests,
                },
            );
        }
        Ok(result)
    }

    /// The label removals of each PR `(number, since)` since that time (unix seconds), read
    /// once per PR and time (the past does not change). PRs not asked for are forgotten.
    pub async fn label_removals(
        &self,
        spend: &mut Spend,
        wanted: &[(u64, i64)],
        now: i64,
    ) -> Result<BTreeMap<u64, Vec<LabelRemoval>>, GithubError> {
        let to_fetch: Vec<(u64, i64)> = {
            let mut cache = lock(&self.removals);
            cache.retain(|number, _| wanted.iter().any(|(n, _)| n == number));
            wanted
                .iter()
                .filter(|(number, since)| {
                    cache
                        .get(number)
                        .is_none_or(|(read_since, _)| read_since != since)
                })
                .copied()
                .collect()
        };
        for chunk in to_fetch.chunks(queries::MAX_TIMELINES_PER_QUERY) {
            let prs: Vec<(u64, String)> = chunk
                .iter()
                .map(|(number, since)| {
                    let since = chrono::DateTime::from_timestamp(*since, 0)
                        .unwrap_or_default()
                        .format("%Y-%m-%dT%H:%M:%SZ")
                        .to_string();
                    (*number, since)
                })
                .collect();
            let mut repo = self
                .aliased::<Decoded<WireTimeline>>(spend, &queries::label_removals(&prs), now)
                .await?;
            let mut cache = lock(&self.removals);
            for (number, since) in chunk {
                match repo.remove(&format!("p{number}")).flatten() {
                    Some(Decoded::Ok(wire)) => {
                        let nodes = wire.timeline_items.unwrap_or_default().nodes;
                        if nodes.len() > queries::UNLABELED_EVENTS_PER_PR {
                            return Err(GithubError::Decode(format!(
                                "a page of {} timeline events of #{number} holds {}",
                                queries::UNLABELED_EVENTS_PER_PR,
                                nodes.len()
                            )));
                        }
                        let removals = nodes
                            .into_iter()
                            .flatten()
                            .filter_map(|node| node.ok()?.into_removal())
                            .collect();
                        cache.insert(*number, (*since, removals));
                    }
                    Some(Decoded::Bad(error)) => {
                        spend.partial_error(format!("undecodable timeline of #{number}: {error}"))
                    }
                    // Closed or deleted since: nothing to re-approve.
                    None => {
                        cache.insert(*number, (*since, Vec::new()));
                    }
                }
            }
        }
        let cache = lock(&self.removals);
        Ok(wanted
            .iter()
            .filter_map(|(number, since)| {
                cache
                    .get(number)
                    .filter(|(read_since, _)| read_since == since)
                    .map(|(_, removals)| (*number, removals.clone()))
            })
            .collect())
    }

    /// Latest patch releases of `minors`: GitHub release objects (paged as far as needed, with
    /// ETags), plus release tags that have no release object (published at tag time).
    pub async fn releases(
        &self,
        spend: &mut Spend,
        minors: &[Minor],
        now: i64,
    ) -> Result<Vec<PublishedRelease>, GithubError> {
        if minors.is_empty() {
            return Ok(Vec::new());
        }
        let mut releases = self.release_pages(spend, minors, now).await?;
        let pairs: Vec<(u64, u64)> = minors.iter().map(|m| (m.major, m.minor)).collect();
        let mut repo = self
            .aliased::<wire::Nodes<WireTagRef>>(spend, &queries::release_tags(&pairs), now)
            .await?;
        let known: BTreeSet<PatchVersion> = releases.iter().map(|r| r.version).collect();
        for (major, minor) in pairs {
            let Some(Some(refs)) = repo.remove(&format!("m{major}_{minor}")) else {
                continue;
            };
            for tag in refs.nodes.into_iter().flatten() {
                let Some(version) = PatchVersion::parse_tag(&tag.name) else {
                    continue;
                };
                if known.contains(&version) || version.minor() != Minor::new(major, minor) {
                    continue;
                }
                let date = tag.target.and_then(wire::WireTagTarget::date);
                if let Some(published_at) = date.filter(|at| plausible_release_time(*at, now)) {
                    releases.push(PublishedRelease {
                        version,
                        published_at,
                    });
                }
            }
        }
        Ok(releases)
    }
}
