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
