//! Builders for the tests inside the crate: realistic upstream shapes with only the fields a
//! test cares about spelled out.

use crate::{
    k8s::{
        cherry_pick::{self, CherryPickParents},
        release_note,
    },
    sources::{
        github::model::{ContextResult, ContextState, Mergeable, PullRequest},
        testgrid::model::{TabStatus, TabSummary},
    },
};

/// A tab summary builder: `tab("kind-1.37").status(TabStatus::Failing).build()`.
pub(crate) struct TabBuilder(TabSummary);

pub(crate) fn tab(name: &str) -> TabBuilder {
    TabBuilder(TabSummary {
        name: name.to_string(),
        status: TabStatus::Passing,
        last_run: Some(1_787_310_133),
        last_update: Some(1_787_310_500),
        latest_green: None,
        failing_tests: 0,
        top_failures: Vec::new(),
        message:
            "Tab stats: 10 of 10 (100.0%) recent columns passed (7420 of 7420 or 100.0% cells)"
                .to_string(),
    })
}

impl TabBuilder {
    pub(crate) fn status(mut self, status: TabStatus) -> Self {
        self.0.status = status;
        self
    }

    pub(crate) fn green(mut self, commit: &str) -> Self {
        self.0.latest_green = Some(commit.to_string());
        self
    }

    pub(crate) fn build(self) -> TabSummary {
        self.0
    }
}

/// A PR builder with Prow's contexts: `pr(131201).labels(&[..]).failing(&[..]).build()`.
pub(crate) struct PrBuilder {
    pr: PullRequest,
    /// The body, read (parents, note) when the PR is built, as GitHub's decoder does.
    body: String,
    base_sha: String,
    at: i64,
}

/// Presubmits every release-branch PR reports, plus EasyCLA.
pub(crate) const CONTEXTS: [&str; 4] = [
    "pull-kubernetes-unit",
    "pull-kubernetes-verify",
    "pull-kubernetes-e2e-kind",
    "EasyCLA",
];

/// An automated cherry-pick of #`number - 1000` onto release-1.34, as the cherry-pick script
/// writes it, every context green, reported an hour before `at`.
pub(crate) fn pr(number: u64, at: i64) -> PrBuilder {
    let parent = number.saturating_sub(1000);
    PrBuilder {
        pr: PullRequest {
            number,
            title: format!("Automated cherry pick of #{parent}: fix a thing"),
            url: format!("https://github.com/kubernetes/kubernetes/pull/{number}"),
            parents: CherryPickParents::default(),
            note: release_note::parse(""),
            author: Some("alice".into()),
            is_draft: false,
            labels: Vec::new(),
            milestone: Some("v1.34".into()),
            base_ref: "release-1.34".into(),
            head_ref: format!("automated-cherry-pick-of-#{parent}-upstream-release-1.34"),
            head_oid: "3f1c2e9a7b5d4c8e0f6a1b2c3d4e5f60718293a4".into(),
            mergeable: Mergeable::Clean,
            changed_files: None,
            created_at: Some(at - 86_400),
            updated_at: Some(at - 3_600),
            contexts: Vec::new(),
        },
        body: format!(
            "Cherry pick of #{parent} on release-1.34.\n\n#{parent}: fix a thing\n\nFor details on the cherry pick process, see the [cherry pick requests](https://git.k8s.io/community/contributors/devel/sig-release/cherry-picks.md) page.\n\n```release-note\nFixed a thing.\n```"
        ),
        base_sha: "9d8c7b6a5f4e3d2c1b0a99887766554433221100".into(),
        at,
    }
    .failing(&[])
}

impl PrBuilder {
    pub(crate) fn labels(mut self, labels: &[&str]) -> Self {
        self.pr.labels = labels.iter().map(|l| l.to_string()).collect();
        self
    }

    /// Every context of [`CONTEXTS`] green but `failing`, plus Tide pending.
    pub(crate) fn failing(mut self, failing: &[&str]) -> Self {
        let mut contexts: Vec<ContextResult> = CONTEXTS
            .iter()
            .map(|name| ContextResult {
                name: name.to_string(),
                state: if failing.contains(name) {
                    ContextState::Failure
                } else {
                    ContextState::Success
                },
                description: if failing.contains(name) {
                    "Job failed.".into()
                } else {
                    "Job succeeded.".into()
                },
                base_sha: Some(self.base_sha.clone()),
                target_url: None,
                created_at: Some(self.at - 3_600),
            })
            .collect();
        contexts.push(ContextResult {
            name: "tide".into(),
            state: ContextState::Pending,
            description: "Not mergeable.".into(),
            base_sha: None,
            target_url: None,
            created_at: Some(self.at),
        });
        self.pr.contexts = contexts;
        self
    }

    /// Results reported against base `sha`, `age` seconds ago.
    pub(crate) fn tested_against(mut self, sha: &str, age: i64) -> Self {
        for context in &mut self.pr.contexts {
            if context.base_sha.is_some() {
                context.base_sha = Some(sha.to_string());
                context.created_at = Some(self.at - age);
            }
        }
        self
    }

    /// A hand-made pick: free title and body, a branch of the author's own.
    pub(crate) fn hand_made(mut self, title: &str, body: &str) -> Self {
        self.pr.title = title.to_string();
        self.body = body.to_string();
        self.pr.head_ref = "fix".to_string();
        self
    }

    pub(crate) fn body(mut self, body: &str) -> Self {
        self.body = body.to_string();
        self
    }

    pub(crate) fn milestone(mut self, milestone: Option<&str>) -> Self {
        self.pr.milestone = milestone.map(str::to_string);
        self
    }

    pub(crate) fn title(mut self, title: &str) -> Self {
        self.pr.title = title.to_string();
        self
    }

    pub(crate) fn draft(mut self) -> Self {
        self.pr.is_draft = true;
        self
    }

    pub(crate) fn changed_files(mut self, files: &[&str]) -> Self {
        self.pr.changed_files = Some(files.iter().map(|f| f.to_string()).collect());
        self
    }

    pub(crate) fn build(mut self) -> PullRequest {
        self.pr.parents = cherry_pick::parents(
            self.pr.number,
            &self.pr.title,
            &self.body,
            &self.pr.head_ref,
        );
        self.pr.note = release_note::parse(&self.body);
        self.pr
    }
}
