//! The states Kubernetes' CI reports: a TestGrid tab's overall status and the state of a
//! presubmit (a Prow commit status or a check run). Typed once; every metric label, API field
//! and rule reads them from here.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// A tab's overall status as TestGrid reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TabStatus {
    /// All recent columns green.
    Passing,
    /// Some non-passing cells in recent columns.
    Flaky,
    /// A row has an active alert (consecutive failures).
    Failing,
    /// No new results for too long.
    Stale,
    /// Too many failing cells in a column.
    Broken,
    /// Too few completed runs yet.
    Pending,
    /// Flaky within the accepted threshold.
    Acceptable,
    /// Empty, missing or unrecognised status: the tab has no results yet.
    Unknown,
}

impl TabStatus {
    /// Every status, in label order.
    pub const ALL: [TabStatus; 8] = [
        TabStatus::Passing,
        TabStatus::Flaky,
        TabStatus::Failing,
        TabStatus::Stale,
        TabStatus::Broken,
        TabStatus::Pending,
        TabStatus::Acceptable,
        TabStatus::Unknown,
    ];

    /// Parses TestGrid's string; anything unrecognised (or empty) is `Unknown`, not an error
    /// (new statuses appear, and the API omits the field for UNKNOWN).
    pub fn parse(text: &str) -> TabStatus {
        match text.trim().to_ascii_uppercase().as_str() {
            "PASSING" | "PASS" => TabStatus::Passing,
            "FLAKY" => TabStatus::Flaky,
            "FAILING" | "FAIL" => TabStatus::Failing,
            "STALE" => TabStatus::Stale,
            "BROKEN" => TabStatus::Broken,
            "PENDING" => TabStatus::Pending,
            "ACCEPTABLE" => TabStatus::Acceptable,
            _ => TabStatus::Unknown,
        }
    }

    /// TestGrid's spelling, used as the `status` label.
    pub fn as_str(self) -> &'static str {
        match self {
            TabStatus::Passing => "PASSING",
            TabStatus::Flaky => "FLAKY",
            TabStatus::Failing => "FAILING",
            TabStatus::Stale => "STALE",
            TabStatus::Broken => "BROKEN",
            TabStatus::Pending => "PENDING",
            TabStatus::Acceptable => "ACCEPTABLE",
            TabStatus::Unknown => "UNKNOWN",
        }
    }

    /// FAILING or BROKEN: the tab makes its branch red.
    pub fn is_failing(self) -> bool {
        matches!(self, TabStatus::Failing | TabStatus::Broken)
    }

    /// UNKNOWN (never ran) or PENDING (too few runs): the tab says nothing yet.
    pub fn has_no_results(self) -> bool {
        matches!(self, TabStatus::Unknown | TabStatus::Pending)
    }
}

/// The state of a presubmit on a PR's head commit, reduced to what the rules need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContextState {
    /// Passed (also neutral and skipped check runs).
    Success,
    /// Failed (status `failure`; check `failure`, `timed_out`, `cancelled`, ...).
    Failure,
    /// Status `error`.
    Error,
    /// Still running or expected.
    Pending,
}

impl ContextState {
    /// A final failing result (what blocks Tide and the cherry-pick-approved plugin).
    pub fn is_failure(self) -> bool {
        matches!(self, ContextState::Failure | ContextState::Error)
    }

    /// A final result at all.
    pub fn is_final(self) -> bool {
        !matches!(self, ContextState::Pending)
    }

    /// A commit status `state` (GraphQL's upper case or REST's lower case); anything else,
    /// `EXPECTED` included, is still pending.
    pub fn from_status(state: &str) -> ContextState {
        match state.trim().to_ascii_uppercase().as_str() {
            "SUCCESS" => ContextState::Success,
            "FAILURE" => ContextState::Failure,
            "ERROR" => ContextState::Error,
            _ => ContextState::Pending,
        }
    }

    /// A check run's `status` and `conclusion`.
    pub fn from_check_run(status: Option<&str>, conclusion: Option<&str>) -> ContextState {
        match status.map(|s| s.trim().to_ascii_uppercase()).as_deref() {
            Some("COMPLETED") | None => {
                match conclusion.map(|c| c.trim().to_ascii_uppercase()).as_deref() {
                    Some("SUCCESS" | "NEUTRAL" | "SKIPPED") => ContextState::Success,
                    Some(
                        "FAILURE" | "TIMED_OUT" | "CANCELLED" | "ACTION_REQUIRED"
                        | "STARTUP_FAILURE" | "STALE",
                    ) => ContextState::Failure,
                    _ => ContextState::Pending,
                }
            }
            _ => ContextState::Pending,
        }
    }

    /// Lower case, as REST spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ContextState::Success => "success",
            ContextState::Failure => "failure",
            ContextState::Error => "error",
            ContextState::Pending => "pending",
        }
    }
}

/// Splits a Prow status description into the human text and the `BaseSHA` it tested against.
///
/// Prow pads the text with U+2001 characters up to 140 characters and appends
/// ` BaseSHA:<sha>` (or the deprecated ` Basesha:`); neither is for humans.
pub fn parse_prow_description(description: &str) -> (String, Option<String>) {
    let (text, sha) = match description
        .split_once(" BaseSHA:")
        .or_else(|| description.split_once(" Basesha:"))
    {
        Some((text, sha)) => {
            let sha = sha.trim();
            let valid =
                !sha.is_empty() && sha.len() <= 64 && sha.bytes().all(|c| c.is_ascii_hexdigit());
            (text, valid.then(|| sha.to_ascii_lowercase()))
        }
        None => (description, None),
    };
    let text = text
        .trim_end_matches(|c: char| c == '\u{2001}' || c.is_whitespace())
        .trim_start()
        .to_string();
    (text, sha)
}

/// Short and long SHAs name the same commit when one is a prefix of the other (at least 7
/// characters, as git abbreviates).
///
/// Compared as bytes: an upstream string is never sliced at a byte index (a multi-byte
/// character across the cut would panic), and anything that is not hex is not a commit.
pub fn same_commit(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim().as_bytes(), b.trim().as_bytes());
    let shorter = a.len().min(b.len());
    shorter >= 7
        && a.iter().chain(b).all(u8::is_ascii_hexdigit)
        && a[..shorter].eq_ignore_ascii_case(&b[..shorter])
}

/// The name a presubmit and its periodic twin share: `pull-kubernetes-e2e-kind` → `kind`,
/// `ci-kubernetes-unit-1-37` → `unit`, `kind-1.37` → `kind`, `verify-master` → `verify`.
pub fn job_key(name: &str) -> String {
    static BRANCH_SUFFIX: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?:[-_ ]+)(?:master|\d+[.-]\d+)$").expect("valid regex"));
    let mut key = name.trim().to_ascii_lowercase();
    for prefix in ["pull-kubernetes-", "ci-kubernetes-", "pull-", "ci-", "e2e-"] {
        if let Some(rest) = key.strip_prefix(prefix) {
            key = rest.to_string();
        }
    }
    BRANCH_SUFFIX.replace(&key, "").to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn job_names_match_their_periodic_twins() {
        use super::job_key;
        assert_eq!(
            job_key("pull-kubernetes-unit"),
            job_key("ci-kubernetes-unit-1-37")
        );
        assert_eq!(job_key("pull-kubernetes-e2e-kind"), job_key("kind-1.37"));
        assert_eq!(job_key("pull-kubernetes-verify"), job_key("verify-master"));
        assert_ne!(job_key("pull-kubernetes-e2e-gce"), job_key("kind-1.37"));
    }

    use super::*;

    #[test]
    fn prow_padding_and_base_sha_are_parsed_not_shown() {
        let (text, sha) = parse_prow_description(
            "Job failed.\u{2001}\u{2001}\u{2001} BaseSHA:9d8c7b6a5f4e3d2c1b0a99887766554433221100",
        );
        assert_eq!(text, "Job failed.");
        assert_eq!(
            sha.as_deref(),
            Some("9d8c7b6a5f4e3d2c1b0a99887766554433221100")
        );
        let (text, sha) =
            parse_prow_description("EasyCLA check passed. You are authorized to contribute.");
        assert_eq!(
            text,
            "EasyCLA check passed. You are authorized to contribute."
        );
        assert_eq!(sha, None);
        let (_, sha) = parse_prow_description("Job succeeded. Basesha:ABCDEF0123");
        assert_eq!(sha.as_deref(), Some("abcdef0123"));
        let (_, sha) = parse_prow_description("Job failed. BaseSHA:not-a-sha\u{20ac}");
        assert_eq!(sha, None);
    }

    #[test]
    fn check_run_conclusions_map_to_states() {
        let run = ContextState::from_check_run;
        assert_eq!(
            run(Some("COMPLETED"), Some("SUCCESS")),
            ContextState::Success
        );
        assert_eq!(
            run(Some("COMPLETED"), Some("TIMED_OUT")),
            ContextState::Failure
        );
        assert_eq!(
            run(Some("COMPLETED"), Some("SKIPPED")),
            ContextState::Success
        );
        assert_eq!(run(Some("IN_PROGRESS"), None), ContextState::Pending);
        assert_eq!(
            run(Some("completed"), Some("failure")),
            ContextState::Failure
        );
        assert_eq!(ContextState::from_status("EXPECTED"), ContextState::Pending);
        assert_eq!(ContextState::from_status("error"), ContextState::Error);
    }

    #[test]
    fn short_and_long_shas_match() {
        assert!(same_commit(
            "3f9c2a71b",
            "3f9c2a71b5d4c8e0f6a1b2c3d4e5f60718293a4"
        ));
        assert!(!same_commit(
            "3f9c2a7",
            "4f9c2a71b5d4c8e0f6a1b2c3d4e5f60718293a4"
        ));
        assert!(!same_commit("3f9", "3f9c2a71b5d4"), "too short to trust");
        assert!(
            same_commit(" 3F9C2A71B ", "3f9c2a71b5d4"),
            "case and spaces"
        );
    }

    #[test]
    fn a_column_commit_with_a_multibyte_character_across_the_cut_does_not_panic() {
        let head = "3f9c2a71b5d4c8e0f6a1b2c3d4e5f60718293a4";
        // HEAD is 39 bytes; 38 of them, then a 3-byte character across byte 39.
        let column = format!("{}\u{20ac}tail", &head[..38]);
        assert!(!same_commit(&column, head));
        assert!(!same_commit(head, &column));
        assert!(!same_commit(
            "\u{20ac}\u{20ac}\u{20ac}",
            "\u{20ac}\u{20ac}\u{20ac}x"
        ));
    }

    #[test]
    fn unknown_status_strings_are_unknown_and_failing_is_failing_or_broken() {
        assert_eq!(TabStatus::parse("SOMETHING_NEW"), TabStatus::Unknown);
        assert_eq!(TabStatus::parse(""), TabStatus::Unknown);
        assert_eq!(TabStatus::parse(" failing "), TabStatus::Failing);
        let failing: Vec<_> = TabStatus::ALL
            .into_iter()
            .filter(|s| s.is_failing())
            .collect();
        assert_eq!(failing, [TabStatus::Failing, TabStatus::Broken]);
    }
}
