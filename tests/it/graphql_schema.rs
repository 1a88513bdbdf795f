//! Every GraphQL document branchwatch sends is valid against GitHub's public schema, and costs
//! what the README says by GitHub's formula.

use branchwatch::queries;

use crate::support::graphql_cost;

#[test]
fn branch_heads_query_is_valid_and_costs_one_point() {
    graphql_cost::validate(queries::BRANCH_HEADS, "BranchHeads.graphql");
    assert_eq!(graphql_cost::cost(queries::BRANCH_HEADS), 1);
}

#[test]
fn pull_request_query_is_valid_and_costs_one_point_per_page_of_fifty() {
    graphql_cost::validate(queries::BRANCH_PULL_REQUESTS, "BranchPullRequests.graphql");
    assert_eq!(graphql_cost::cost(queries::BRANCH_PULL_REQUESTS), 1);
}

#[test]
fn batched_parent_query_is_valid_for_one_and_for_a_full_batch() {
    graphql_cost::validate(
        &queries::parent_pull_requests(&[128519]),
        "Parents1.graphql",
    );
    let full: Vec<u64> = (0..queries::MAX_PARENTS_PER_QUERY as u64)
        .map(|n| 120_000 + n)
        .collect();
    let query = queries::parent_pull_requests(&full);
    graphql_cost::validate(&query, "Parents50.graphql");
    assert_eq!(graphql_cost::cost(&query), 1);
}

#[test]
fn release_tags_query_is_valid_for_several_minors() {
    let query = queries::release_tags(&[(1, 34), (1, 35), (1, 36), (1, 37)]);
    graphql_cost::validate(&query, "ReleaseTags.graphql");
    assert_eq!(graphql_cost::cost(&query), 1);
}

#[test]
fn an_invalid_document_is_rejected_so_the_check_can_fail() {
    let result = apollo_compiler::ExecutableDocument::parse_and_validate(
        graphql_cost::github_schema(),
        "query { repository(owner: \"k\", name: \"k\") { pullRequests { nodes { noSuchField } } } }",
        "bad.graphql",
    );
    assert!(result.is_err());
}

#[test]
fn changed_files_query_is_valid_and_costs_one_point_per_batch() {
    graphql_cost::validate(&queries::changed_files(&[128519]), "Files1.graphql");
    let full: Vec<u64> = (0..queries::MAX_FILES_PRS_PER_QUERY as u64)
        .map(|n| 120_000 + n)
        .collect();
    let query = queries::changed_files(&full);
    graphql_cost::validate(&query, "Files50.graphql");
    assert_eq!(graphql_cost::cost(&query), 1);
}

#[test]
fn merged_search_is_valid_and_costs_by_the_number_of_branches() {
    // Per branch: 1 search + 50 label connections = 51 requests; over 100, rounded.
    for (branches, points) in [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)] {
        let query = queries::merged_pull_requests(branches);
        graphql_cost::validate(&query, &format!("Merged{branches}.graphql"));
        assert_eq!(graphql_cost::cost(&query), points, "{branches} branches");
    }
}

#[test]
fn merged_search_string_asks_for_merges_since_the_release_in_utc() {
    assert_eq!(
        queries::merged_search("kubernetes", "kubernetes", "release-1.34", 1_795_608_000),
        "repo:kubernetes/kubernetes is:pr is:merged base:release-1.34 merged:>=2026-11-25T12:00:00Z"
    );
}

#[test]
fn label_removals_query_is_valid_and_costs_one_point_per_batch() {
    let since = |day: u64| format!("2026-11-{day:02}T00:00:00Z");
    graphql_cost::validate(
        &queries::label_removals(&[(131201, since(20))]),
        "Removals1.graphql",
    );
    let full: Vec<(u64, String)> = (0..queries::MAX_TIMELINES_PER_QUERY as u64)
        .map(|n| (130_000 + n, since(1 + n % 28)))
        .collect();
    let query = queries::label_removals(&full);
    graphql_cost::validate(&query, "Removals50.graphql");
    assert_eq!(graphql_cost::cost(&query), 1);
}
