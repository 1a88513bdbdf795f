//! Every GraphQL document branchwatch sends to GitHub. Each is validated against GitHub's public
//! schema in `tests/graphql_schema.rs`; keep them here so that test sees them all.
//!
//! Costs follow GitHub's formula (sum of requests per connection at its `first`, divided by 100,
//! rounded, minimum 1); the real cost is read from `rateLimit { cost }` on every response.

/// Refs per page of [`BRANCH_HEADS`].
pub const REFS_PER_PAGE: usize = 100;
/// PRs per page of [`BRANCH_PULL_REQUESTS`] (its `first:`), and labels and status contexts
/// read per PR: a page holding more is not GitHub's and is refused.
pub const PULL_REQUESTS_PER_PAGE: usize = 50;
/// See [`PULL_REQUESTS_PER_PAGE`].
pub const LABELS_PER_PR: usize = 50;
/// See [`PULL_REQUESTS_PER_PAGE`].
pub const CONTEXTS_PER_PR: usize = 100;

/// Milestones read with the branch HEADs: the newest 100 by number hold every supported
/// minor's `vX.Y`.
pub const MILESTONES_PER_PAGE: usize = 100;

/// Branch HEADs: master plus every `release-*` branch (which also discovers hotfix branches),
/// and the newest milestones (each release branch's `vX.Y`, with its due date). Cost: 1 point
/// per page of 100 refs (2 connections: 0.02, rounded up to the minimum of 1).
pub const BRANCH_HEADS: &str = r#"query BranchHeads($owner: String!, $name: String!, $cursor: String) {
  rateLimit { cost remaining resetAt limit used }
  repository(owner: $owner, name: $name) {
    master: ref(qualifiedName: "refs/heads/master") { name target { oid } }
    refs(refPrefix: "refs/heads/", query: "release-", first: 100, after: $cursor) {
      pageInfo { hasNextPage endCursor }
      nodes { name target { oid } }
    }
    milestones(first: 100, orderBy: {field: NUMBER, direction: DESC}) {
      nodes { title state dueOn url }
    }
  }
}"#;

/// Open PRs of one base branch, 50 per page, with labels and the head commit's status contexts
/// and check runs inline. Cost: 1 (search) + 50 (labels) + 50 (rollup contexts) requests = 1 point.
pub const BRANCH_PULL_REQUESTS: &str = r#"query BranchPullRequests($query: String!, $cursor: String) {
  rateLimit { cost remaining resetAt limit used }
  search(type: ISSUE, query: $query, first: 50, after: $cursor) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes {
      __typename
      ... on PullRequest {
        number
        title
        url
        body
        isDraft
        createdAt
        updatedAt
        mergeable
        baseRefName
        headRefName
        headRefOid
        author { login }
        milestone { title }
        labels(first: 50) { nodes { name } }
        statusCheckRollup {
          contexts(first: 100) {
            nodes {
              __typename
              ... on StatusContext { context state description targetUrl createdAt }
              ... on CheckRun { name status conclusion detailsUrl startedAt completedAt }
            }
          }
        }
      }
    }
  }
}"#;

/// The search string for open PRs of `branch` in `owner/repo`.
pub fn pull_request_search(owner: &str, repo: &str, branch: &str) -> String {
    format!("repo:{owner}/{repo} is:pr is:open base:{branch}")
}

/// Most parents fetched in one aliased query; 50 keeps the response small and the cost at 1.
pub const MAX_PARENTS_PER_QUERY: usize = 50;

/// Parent PRs of cherry-picks, batched with one alias per number (`p<number>`), with the body
/// their release note is read from. Cost: 50 label connections = 1 point.
pub fn parent_pull_requests(numbers: &[u64]) -> String {
    aliased_pull_requests(
        "ParentPullRequests",
        "",
        numbers,
        "number url state merged mergedAt baseRefName body labels(first: 30) { nodes { name } }",
    )
}

/// `query <name>($owner, $name<variables>) { repository { p<n>: pullRequest(number: <n>) {
/// <fields> } ... } }`: one alias per PR number.
fn aliased_pull_requests(name: &str, variables: &str, numbers: &[u64], fields: &str) -> String {
    let mut query = format!(
        "query {name}($owner: String!, $name: String!{variables}) {{\n  rateLimit {{ cost remaining resetAt limit used }}\n  repository(owner: $owner, name: $name) {{\n"
    );
    for number in numbers {
        query.push_str(&format!(
            "    p{number}: pullRequest(number: {number}) {{ {fields} }}\n"
        ));
    }
    query.push_str("  }\n}");
    query
}

/// Most PRs whose changed files are read in one aliased query: 50 × 100 paths keeps the
/// response small, and the cost at 1.
pub const MAX_FILES_PRS_PER_QUERY: usize = 50;
/// Changed paths read per PR (GitHub's page maximum); enough to see `go.mod` or `vendor/`.
pub const CHANGED_FILES_PER_PR: usize = 100;

/// The changed files of open PRs (one alias `p<number>` each), read only when a PR's head
/// commit changed: a dependency bump shows in `go.mod`, `vendor/` or
/// `build/dependencies.yaml` whatever its title says. Cost: 50 file connections = 1 point.
pub fn changed_files(numbers: &[u64]) -> String {
    aliased_pull_requests(
        "ChangedFiles",
        "",
        numbers,
        &format!(
            "number headRefOid files(first: {CHANGED_FILES_PER_PR}) {{ totalCount nodes {{ path }} }}"
        ),
    )
}

/// Release tags of the given minors (one alias `m<major>_<minor>` each), newest first: the
/// fallback when a patch release has a tag but no GitHub release object. Cost: 1 point.
pub fn release_tags(minors: &[(u64, u64)]) -> String {
    let mut query = String::from(
        "query ReleaseTags($owner: String!, $name: String!) {\n  rateLimit { cost remaining resetAt limit used }\n  repository(owner: $owner, name: $name) {\n",
    );
    for (major, minor) in minors {
        query.push_str(&format!(
            "    m{major}_{minor}: refs(refPrefix: \"refs/tags/\", query: \"v{major}.{minor}.\", first: 50, orderBy: {{field: TAG_COMMIT_DATE, direction: DESC}}) {{\n      nodes {{ name target {{ __typename oid ... on Tag {{ tagger {{ date }} target {{ ... on Commit {{ committedDate }} }} }} ... on Commit {{ committedDate }} }} }}\n    }}\n"
        ));
    }
    query.push_str("  }\n}");
    query
}

/// Merged PRs read per page of [`merged_pull_requests`] (its `first:`).
pub const MERGED_PER_PAGE: usize = 50;

/// The search string for PRs of `owner/repo` merged into `branch` at or after `since` (unix
/// seconds, written as RFC 3339 UTC).
pub fn merged_search(owner: &str, repo: &str, branch: &str, since: i64) -> String {
    let since = chrono::DateTime::from_timestamp(since, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ");
    format!("repo:{owner}/{repo} is:pr is:merged base:{branch} merged:>={since}")
}

/// PRs merged into several branches since their last patch release, one aliased search per
/// branch (`b<i>` with variables `$q<i>` and `$c<i>`), with what the release notes need: body
/// (the note), labels (the kind), author and merge time. Cost: per branch 1 search + 50 label
/// connections = 51 requests; 1 branch is 1 point, 5 are 3.
pub fn merged_pull_requests(branches: usize) -> String {
    let mut variables = Vec::new();
    let mut fields = String::new();
    for i in 0..branches {
        variables.push(format!("$q{i}: String!, $c{i}: String"));
        fields.push_str(&format!(
            "  b{i}: search(type: ISSUE, query: $q{i}, first: {MERGED_PER_PAGE}, after: $c{i}) {{\n    pageInfo {{ hasNextPage endCursor }}\n    nodes {{ __typename ... on PullRequest {{ number title url body mergedAt baseRefName headRefName author {{ login }} labels(first: 50) {{ nodes {{ name }} }} }} }}\n  }}\n"
        ));
    }
    format!(
        "query MergedPullRequests({}) {{\n  rateLimit {{ cost remaining resetAt limit used }}\n{fields}}}",
        variables.join(", ")
    )
}

/// Most PRs whose label removals are read in one aliased query.
pub const MAX_TIMELINES_PER_QUERY: usize = 50;
/// Label removals read per PR since the freeze began (newest last).
pub const UNLABELED_EVENTS_PER_PR: usize = 50;

/// Who removed which label when, for PRs that lack `cherry-pick-approved` after a freeze, each
/// since its freeze began (`(number, RFC 3339 time)`, one alias `p<number>` each; only
/// `UnlabeledEvent`s, so a PR with thousands of timeline events still answers with a few).
/// Cost: 50 timeline connections = 1 point.
pub fn label_removals(prs: &[(u64, String)]) -> String {
    let mut query = String::from(
        "query LabelRemovals($owner: String!, $name: String!) {\n  rateLimit { cost remaining resetAt limit used }\n  repository(owner: $owner, name: $name) {\n",
    );
    for (number, since) in prs {
        query.push_str(&format!(
            "    p{number}: pullRequest(number: {number}) {{ number timelineItems(itemTypes: [UNLABELED_EVENT], since: \"{since}\", last: {UNLABELED_EVENTS_PER_PR}) {{ totalCount nodes {{ __typename ... on UnlabeledEvent {{ createdAt actor {{ login }} label {{ name }} }} }} }} }}\n"
        ));
    }
    query.push_str("  }\n}");
    query
}
