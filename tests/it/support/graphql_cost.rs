//! GitHub's documented GraphQL cost formula, computed from a parsed query document: "Add up the
//! number of requests needed to fulfill each unique connection in the call. Assume every request
//! will reach the first or last argument limits. Divide the number by 100 and round the result
//! to get the final aggregate cost", minimum 1. `rateLimit` itself is free.

use apollo_compiler::{
    ExecutableDocument, Schema,
    executable::{Selection, SelectionSet},
    validation::Valid,
};

/// GitHub's public schema, parsed once per test binary.
pub fn github_schema() -> &'static Valid<Schema> {
    static SCHEMA: std::sync::OnceLock<Valid<Schema>> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/reference/github-schema.graphql"
        );
        let text = std::fs::read_to_string(path)
            .expect("../shared/reference/github-schema.graphql is readable");
        match Schema::parse_and_validate(text, path) {
            Ok(schema) => schema,
            // GitHub's published schema defines a few fields twice (e.g.
            // EnterpriseOwnerInfo.repositoryDeployKeySetting); the first definition wins, as on
            // GitHub. Anything else wrong with the schema still fails here.
            Err(with_errors) => {
                let messages: Vec<String> =
                    with_errors.errors.iter().map(|e| e.to_string()).collect();
                let unexpected: Vec<&String> = messages
                    .iter()
                    .filter(|m| !m.contains("duplicate definitions for"))
                    .collect();
                assert!(
                    unexpected.is_empty(),
                    "GitHub's schema has unexpected errors: {unexpected:#?}"
                );
                Valid::assume_valid(with_errors.partial)
            }
        }
    })
}

/// Parses and validates `query` against GitHub's schema, panicking with the errors if invalid.
pub fn validate(query: &str, name: &str) -> Valid<ExecutableDocument> {
    ExecutableDocument::parse_and_validate(github_schema(), query, name)
        .unwrap_or_else(|errors| panic!("{name} is not valid against GitHub's schema:\n{errors}"))
}

/// The rate-limit cost GitHub's formula gives `query`.
pub fn cost(query: &str) -> u64 {
    let document = validate(query, "query.graphql");
    let operation = document.operations.iter().next().expect("one operation");
    let requests = requests(&operation.selection_set, 1, &document);
    ((requests as f64) / 100.0).round().max(1.0) as u64
}

fn page_size(field: &apollo_compiler::executable::Field) -> Option<u64> {
    field.arguments.iter().find_map(|argument| {
        if argument.name == "first" || argument.name == "last" {
            argument.value.to_i32().map(|n| n.max(0) as u64)
        } else {
            None
        }
    })
}

/// Requests to fulfil every connection under `set`, when it is fetched `multiplier` times.
fn requests(set: &SelectionSet, multiplier: u64, document: &ExecutableDocument) -> u64 {
    set.selections
        .iter()
        .map(|selection| match selection {
            Selection::Field(field) => {
                if field.name == "rateLimit" {
                    return 0;
                }
                match page_size(field) {
                    Some(size) => {
                        multiplier
                            + requests(&field.selection_set, multiplier * size.max(1), document)
                    }
                    None => requests(&field.selection_set, multiplier, document),
                }
            }
            Selection::InlineFragment(fragment) => {
                requests(&fragment.selection_set, multiplier, document)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.fragment_name)
                .map(|fragment| requests(&fragment.selection_set, multiplier, document))
                .unwrap_or(0),
        })
        .sum()
}
