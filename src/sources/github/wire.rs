//! GitHub's JSON as sent: one typed envelope per GraphQL document (no `Value` walking), the
//! REST release item, and their conversion into the model. A node that does not decode is kept
//! as its error (GitHub sends partial data; one bad PR must not lose the page).

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};

use super::model::{
    ContextResult, ContextState, LabelRemoval, Mergeable, MergedPullRequest, Milestone, ParentPr,
    PullRequest,
};
use crate::{
    k8s::{
        cherry_pick::{self, CherryPickParents},
        ci::parse_prow_description,
        release_note::{self, Note, readable_body},
    },
    sources::http::rfc3339,
};

/// `{"data": ..., "errors": [...]}`: the errors are judged first (a rate limit comes with
/// `data: null`), then `data` is decoded as the document's [`Data`].
#[derive(Deserialize)]
pub(super) struct Envelope {
    #[serde(default)]
    pub data: Option<serde_json::Value>,
    #[serde(default)]
    pub errors: Option<Vec<GraphqlError>>,
}

/// A document's data, with `rateLimit` beside its own fields.
#[derive(Deserialize)]
pub(super) struct Data<T> {
    #[serde(rename = "rateLimit", default)]
    pub rate_limit: Option<WireRateLimit>,
    #[serde(flatten)]
    pub body: T,
}

#[derive(Deserialize, Clone)]
pub(super) struct GraphqlError {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub extensions: Option<GraphqlErrorExtensions>,
}

#[derive(Deserialize, Clone)]
pub(super) struct GraphqlErrorExtensions {
    #[serde(default)]
    pub code: Option<String>,
}

impl GraphqlError {
    /// GitHub says "rate limited" in a 200 too: `type: RATE_LIMITED` (or `RATE_LIMIT`, or in
    /// `extensions.code`).
    pub fn is_rate_limit(&self) -> bool {
        self.has_code(&["RATE_LIMITED", "RATE_LIMIT"])
    }

    pub fn is_forbidden(&self) -> bool {
        self.has_code(&["FORBIDDEN"])
    }

    fn has_code(&self, codes: &[&str]) -> bool {
        let matches = |text: Option<&str>| {
            text.is_some_and(|t| codes.contains(&t.trim().to_ascii_uppercase().as_str()))
        };
        matches(self.kind.as_deref())
            || matches(self.extensions.as_ref().and_then(|e| e.code.as_deref()))
    }

    pub fn describe(&self) -> String {
        match &self.kind {
            Some(kind) => format!("{kind}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireRateLimit {
    #[serde(default)]
    pub cost: Option<i64>,
    #[serde(default)]
    pub remaining: Option<i64>,
    #[serde(default)]
    pub reset_at: Option<String>,
}

/// A node that decoded, or why it did not.
pub(super) enum Decoded<T> {
    Ok(T),
    Bad(String),
}

impl<T> Decoded<T> {
    /// The node, if it decoded.
    pub(super) fn ok(self) -> Option<T> {
        match self {
            Decoded::Ok(node) => Some(node),
            Decoded::Bad(_) => None,
        }
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Decoded<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(match serde_json::from_value(value) {
            Ok(node) => Decoded::Ok(node),
            Err(error) => Decoded::Bad(error.to_string()),
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct PageInfo {
    #[serde(default)]
    pub has_next_page: bool,
    #[serde(default)]
    pub end_cursor: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Named {
    #[serde(default)]
    pub name: String,
}

#[derive(Deserialize)]
pub(super) struct Nodes<T> {
    #[serde(default = "Vec::new")]
    pub nodes: Vec<Option<T>>,
}

impl<T> Default for Nodes<T> {
    fn default() -> Self {
        Nodes { nodes: Vec::new() }
    }
}

// === BranchHeads ===

#[derive(Deserialize)]
pub(super) struct HeadsData {
    pub repository: Option<HeadsRepository>,
}

#[derive(Deserialize)]
pub(super) struct HeadsRepository {
    #[serde(default)]
    pub master: Option<WireRef>,
    pub refs: RefConnection,
    #[serde(default)]
    pub milestones: Option<Nodes<Decoded<WireMilestoneFull>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireMilestoneFull {
    pub title: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub due_on: Option<String>,
    #[serde(default)]
    pub url: String,
}

impl WireMilestoneFull {
    pub(super) fn into_milestone(self) -> Milestone {
        Milestone {
            title: self.title,
            state: self
                .state
                .map(|s| s.trim().to_ascii_lowercase())
                .unwrap_or_default(),
            due_on: rfc3339(self.due_on.as_deref()),
            url: self.url,
        }
    }
}

#[derive(Deserialize)]
pub(super) struct WireRef {
    pub name: String,
    #[serde(default)]
    pub target: Option<WireTarget>,
}

#[derive(Deserialize)]
pub(super) struct WireTarget {
    #[serde(default)]
    pub oid: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RefConnection {
    #[serde(default, rename = "pageInfo")]
    pub page_info: PageInfo,
    #[serde(default = "Vec::new")]
    pub nodes: Vec<Option<Decoded<WireRef>>>,
}

// === BranchPullRequests ===

#[derive(Deserialize)]
pub(super) struct SearchData {
    pub search: Option<Search>,
}

#[derive(Deserialize)]
pub(super) struct Search {
    #[serde(default, rename = "pageInfo")]
    pub page_info: PageInfo,
    #[serde(default = "Vec::new")]
    pub nodes: Vec<Option<Decoded<WirePullRequest>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WirePullRequest {
    /// `PullRequest`; the search can return other node types, which carry no fields.
    #[serde(default, rename = "__typename")]
    pub typename: String,
    #[serde(default)]
    pub number: Option<u64>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub is_draft: bool,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub mergeable: Option<String>,
    #[serde(default)]
    pub base_ref_name: String,
    #[serde(default)]
    pub head_ref_name: String,
    #[serde(default)]
    pub head_ref_oid: String,
    #[serde(default)]
    pub author: Option<WireAuthor>,
    #[serde(default)]
    pub milestone: Option<WireMilestone>,
    #[serde(default)]
    pub labels: Option<Nodes<Named>>,
    #[serde(default)]
    pub status_check_rollup: Option<WireRollup>,
}

#[derive(Deserialize)]
pub(super) struct WireAuthor {
    #[serde(default)]
    pub login: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct WireMilestone {
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct WireRollup {
    #[serde(default)]
    pub contexts: Option<Nodes<WireContext>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireContext {
    #[serde(default, rename = "__typename")]
    pub typename: String,
    // StatusContext
    #[serde(default)]
    pub context: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub target_url: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    // CheckRun
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub details_url: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub completed_at: Option<String>,
}

impl WireContext {
    pub(super) fn into_result(self) -> Option<ContextResult> {
        if self.typename == "CheckRun" || (self.context.is_none() && self.name.is_some()) {
            let state =
                ContextState::from_check_run(self.status.as_deref(), self.conclusion.as_deref());
            return Some(ContextResult {
                name: self.name?,
                state,
                description: self.conclusion.unwrap_or_default().to_ascii_lowercase(),
                base_sha: None,
                target_url: self.details_url,
                created_at: rfc3339(self.completed_at.as_deref())
                    .or_else(|| rfc3339(self.started_at.as_deref())),
            });
        }
        let state = ContextState::from_status(self.state.as_deref().unwrap_or(""));
        let (description, base_sha) =
            parse_prow_description(self.description.as_deref().unwrap_or(""));
        Some(ContextResult {
            name: self.context?,
            state,
            description,
            base_sha,
            target_url: self.target_url,
            created_at: rfc3339(self.created_at.as_deref()),
        })
    }
}

/// GitHub caps a PR title at 256 characters; a longer one is not GitHub's and is cut (with `…`)
/// so that it cannot make every snapshot large.
const MAX_TITLE_CHARS: usize = 1_024;

fn bounded_title(title: String) -> String {
    match title.char_indices().nth(MAX_TITLE_CHARS) {
        Some((at, _)) => format!("{}…", &title[..at]),
        None => title,
    }
}

/// What a PR's title and body say, read once at decode (the body itself is not kept): the title,
/// bounded; the cherry-pick parents (from the body, the title or the head ref); the release note.
fn read_text(
    number: u64,
    title: String,
    body: Option<String>,
    head_ref: &str,
) -> (String, CherryPickParents, Note) {
    let body = body.unwrap_or_default();
    let body = readable_body(&body);
    let title = bounded_title(title);
    let parents = cherry_pick::parents(number, &title, body, head_ref);
    (title, parents, release_note::parse(body))
}

impl WirePullRequest {
    /// The PR, or None for another node type. Counts of labels and contexts are returned too,
    /// so that the caller can judge the page.
    pub(super) fn into_pull_request(self) -> Option<PullRequest> {
        if !self.typename.is_empty() && self.typename != "PullRequest" {
            return None;
        }
        let contexts = self
            .status_check_rollup
            .and_then(|rollup| rollup.contexts)
            .unwrap_or_default()
            .nodes
            .into_iter()
            .flatten()
            .filter_map(WireContext::into_result)
            .collect();
        let number = self.number?;
        let (title, parents, note) = read_text(number, self.title, self.body, &self.head_ref_name);
        Some(PullRequest {
            number,
            parents,
            note,
            title,
            url: self.url,
            author: self.author.and_then(|a| a.login),
            is_draft: self.is_draft,
            labels: label_names(self.labels),
            milestone: self.milestone.and_then(|m| m.title),
            base_ref: self.base_ref_name,
            head_ref: self.head_ref_name,
            head_oid: self.head_ref_oid,
            mergeable: Mergeable::parse(self.mergeable.as_deref()),
            changed_files: None,
            created_at: rfc3339(self.created_at.as_deref()),
            updated_at: rfc3339(self.updated_at.as_deref()),
            contexts,
        })
    }
}

// === Aliased lookups: ParentPullRequests, ChangedFiles, ReleaseTags ===

/// `repository { p123: ..., p456: ... }`.
#[derive(Deserialize)]
pub(super) struct AliasedData<T> {
    pub repository: Option<HashMap<String, Option<T>>>,
}

#[derive(Deserialize)]
pub(super) struct WireParent {
    pub number: u64,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub merged: bool,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub labels: Option<Nodes<Named>>,
}

fn label_names(labels: Option<Nodes<Named>>) -> Vec<String> {
    labels
        .unwrap_or_default()
        .nodes
        .into_iter()
        .flatten()
        .map(|l| l.name)
        .collect()
}

impl WireParent {
    pub(super) fn into_parent(self) -> ParentPr {
        ParentPr {
            number: self.number,
            merged: self.merged,
            url: self.url,
            labels: label_names(self.labels),
            note: release_note::parse(self.body.as_deref().unwrap_or("")),
        }
    }
}

// === MergedPullRequests ===

/// `{"b0": {search}, "b1": ...}` beside `rateLimit`.
pub(super) type MergedData = HashMap<String, Option<MergedSearch>>;

#[derive(Deserialize)]
pub(super) struct MergedSearch {
    #[serde(default, rename = "pageInfo")]
    pub page_info: PageInfo,
    #[serde(default = "Vec::new")]
    pub nodes: Vec<Option<Decoded<WireMerged>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireMerged {
    #[serde(default, rename = "__typename")]
    pub typename: String,
    #[serde(default)]
    pub number: Option<u64>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub merged_at: Option<String>,
    #[serde(default)]
    pub base_ref_name: String,
    #[serde(default)]
    pub head_ref_name: String,
    #[serde(default)]
    pub author: Option<WireAuthor>,
    #[serde(default)]
    pub labels: Option<Nodes<Named>>,
}

impl WireMerged {
    /// The merged PR; None for another node type, or one without a number or merge time (not
    /// merged after all).
    pub(super) fn into_merged(self) -> Option<MergedPullRequest> {
        if !self.typename.is_empty() && self.typename != "PullRequest" {
            return None;
        }
        let number = self.number?;
        let merged_at = rfc3339(self.merged_at.as_deref())?;
        let (title, parents, note) = read_text(number, self.title, self.body, &self.head_ref_name);
        Some(MergedPullRequest {
            number,
            parents,
            note,
            title,
            url: self.url,
            author: self.author.and_then(|a| a.login),
            merged_at,
            base_ref: self.base_ref_name,
            labels: label_names(self.labels),
        })
    }
}

// === LabelRemovals ===

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireTimeline {
    #[serde(default)]
    pub timeline_items: Option<Nodes<Decoded<WireUnlabeled>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireUnlabeled {
    #[serde(default, rename = "__typename")]
    pub typename: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub actor: Option<WireAuthor>,
    #[serde(default)]
    pub label: Option<Named>,
}

impl WireUnlabeled {
    pub(super) fn into_removal(self) -> Option<LabelRemoval> {
        if !self.typename.is_empty() && self.typename != "UnlabeledEvent" {
            return None;
        }
        Some(LabelRemoval {
            label: self.label?.name,
            at: rfc3339(self.created_at.as_deref())?,
            actor: self.actor.and_then(|a| a.login),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireChangedFiles {
    pub number: u64,
    #[serde(default)]
    pub head_ref_oid: String,
    #[serde(default)]
    pub files: Option<Nodes<WirePath>>,
}

#[derive(Deserialize)]
pub(super) struct WirePath {
    #[serde(default)]
    pub path: String,
}

#[derive(Deserialize)]
pub(super) struct WireTagRef {
    pub name: String,
    #[serde(default)]
    pub target: Option<WireTagTarget>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireTagTarget {
    #[serde(default)]
    pub tagger: Option<WireTagger>,
    #[serde(default)]
    pub target: Option<Box<WireTagTarget>>,
    #[serde(default)]
    pub committed_date: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct WireTagger {
    #[serde(default)]
    pub date: Option<String>,
}

impl WireTagTarget {
    /// The tagger's date of an annotated tag, else the tagged commit's date.
    pub(super) fn date(self) -> Option<i64> {
        rfc3339(self.tagger.and_then(|t| t.date).as_deref())
            .or_else(|| rfc3339(self.committed_date.as_deref()))
            .or_else(|| {
                self.target
                    .and_then(|inner| rfc3339(inner.committed_date.as_deref()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pr_node_that_does_not_decode_is_kept_as_its_error_and_the_page_survives() {
        let page: Envelope = serde_json::from_str(
            r#"{"data": {"rateLimit": {"cost": 1, "remaining": 4990, "resetAt": "2026-11-25T13:00:00Z"},
                "search": {"pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": [
                  {"__typename": "PullRequest", "number": 1, "title": "ok", "baseRefName": "release-1.34"},
                  {"__typename": "PullRequest", "number": "not a number"},
                  {"__typename": "Issue"},
                  null]}}}"#,
        )
        .unwrap();
        let data: Data<SearchData> = serde_json::from_value(page.data.unwrap()).unwrap();
        assert_eq!(data.rate_limit.unwrap().cost, Some(1));
        let nodes = data.body.search.unwrap().nodes;
        assert!(matches!(nodes[0], Some(Decoded::Ok(_))));
        assert!(matches!(nodes[1], Some(Decoded::Bad(_))));
        let Some(Decoded::Ok(issue)) = nodes.into_iter().nth(2).unwrap() else {
            panic!("an Issue node decodes")
        };
        assert!(issue.into_pull_request().is_none(), "not a PR");
    }

    #[test]
    fn rate_limit_errors_are_recognised_however_they_are_spelled() {
        let errors: Vec<GraphqlError> = serde_json::from_str(
            r#"[{"type": "RATE_LIMITED", "message": "API rate limit exceeded"},
                {"message": "x", "extensions": {"code": "RATE_LIMIT"}},
                {"type": "rate_limited", "message": "y"},
                {"type": "NOT_FOUND", "message": "Could not resolve"}]"#,
        )
        .unwrap();
        let flags: Vec<bool> = errors.iter().map(GraphqlError::is_rate_limit).collect();
        assert_eq!(flags, [true, true, true, false]);
    }

    #[test]
    fn merged_search_milestones_and_label_removals_decode_from_githubs_shapes() {
        let merged: Data<MergedData> = serde_json::from_str(
            r#"{"rateLimit": {"cost": 1, "remaining": 4980, "resetAt": "2026-11-25T13:00:00Z"},
                "b0": {"pageInfo": {"hasNextPage": true, "endCursor": "Y3Vyc29yOjE="}, "nodes": [
                  {"__typename": "Issue"}, null]}}"#,
        )
        .unwrap();
        assert_eq!(merged.rate_limit.unwrap().cost, Some(1));
        let page = merged.body.get("b0").unwrap().as_ref().unwrap();
        assert!(page.page_info.has_next_page);
        assert_eq!(page.nodes.len(), 2);
        let merged: Data<MergedData> = serde_json::from_str(
            r#"{"b0": {"nodes": [{"__typename": "PullRequest", "number": 131003, "title": "Automated cherry pick of #128519: fix",
                 "body": "Cherry pick of #128519 on release-1.34.\r\n\r\n```release-note\r\nFixed a kubelet panic.\r\n```",
                 "mergedAt": "2026-11-20T09:12:44Z", "baseRefName": "release-1.34", "headRefName": "x",
                 "author": null, "labels": {"nodes": [{"name": "kind/bug"}]}},
                 {"__typename": "PullRequest", "number": 131004, "mergedAt": null}]}}"#,
        )
        .unwrap();
        let nodes = merged.body.into_values().next().unwrap().unwrap().nodes;
        let decoded: Vec<Option<MergedPullRequest>> = nodes
            .into_iter()
            .flatten()
            .map(|n| match n {
                Decoded::Ok(wire) => wire.into_merged(),
                Decoded::Bad(e) => panic!("{e}"),
            })
            .collect();
        let first = decoded[0].as_ref().unwrap();
        assert_eq!(first.parents.numbers, vec![128519]);
        assert!(first.parents.automated);
        assert_eq!(first.note.text.as_deref(), Some("Fixed a kubelet panic."));
        assert_eq!(first.merged_at, 1_795_165_964);
        assert!(first.author.is_none(), "a deleted account");
        assert!(decoded[1].is_none(), "not merged after all");

        let milestone: WireMilestoneFull = serde_json::from_str(
            r#"{"title": "v1.34", "state": "OPEN", "dueOn": null, "url": "https://github.com/kubernetes/kubernetes/milestone/134"}"#,
        )
        .unwrap();
        let milestone = milestone.into_milestone();
        assert_eq!((milestone.state.as_str(), milestone.due_on), ("open", None));

        let timeline: WireTimeline = serde_json::from_str(
            r#"{"number": 131512, "timelineItems": {"totalCount": 2412, "nodes": [
                 {"__typename": "UnlabeledEvent", "createdAt": "2026-11-20T09:00:00Z", "actor": {"login": "dave-release"}, "label": {"name": "cherry-pick-approved"}},
                 {"__typename": "UnlabeledEvent", "createdAt": "2026-11-20T09:00:00Z", "actor": null, "label": null},
                 {"__typename": "LabeledEvent"}]}}"#,
        )
        .unwrap();
        let removals: Vec<LabelRemoval> = timeline
            .timeline_items
            .unwrap()
            .nodes
            .into_iter()
            .flatten()
            .filter_map(|n| n.ok()?.into_removal())
            .collect();
        assert_eq!(removals.len(), 1);
        assert_eq!(removals[0].actor.as_deref(), Some("dave-release"));
    }

    #[test]
    fn a_megabyte_body_is_read_only_as_far_as_github_allows() {
        let body = format!(
            "Cherry pick of #128519 on release-1.34.\r\n\r\n```release-note\r\nFixed it.\r\n```\r\n{}",
            "é".repeat(600_000)
        );
        let node = serde_json::json!({
            "__typename": "PullRequest", "number": 131003, "title": "Automated cherry pick of #128519: fix",
            "body": body, "baseRefName": "release-1.34", "headRefName": "x", "headRefOid": "abc",
        });
        let pr: WirePullRequest = serde_json::from_value(node.clone()).unwrap();
        let pr = pr.into_pull_request().unwrap();
        assert_eq!(
            pr.parents.numbers,
            vec![128519],
            "read before the body is dropped"
        );
        assert_eq!(pr.note.text.as_deref(), Some("Fixed it."));
        let mut merged = node;
        merged["mergedAt"] = serde_json::json!("2026-11-20T09:12:44Z");
        let merged: WireMerged = serde_json::from_value(merged).unwrap();
        let merged = merged.into_merged().unwrap();
        assert_eq!(merged.note.text.as_deref(), Some("Fixed it."));
        assert_eq!(merged.parents.numbers, vec![128519]);
    }
}
