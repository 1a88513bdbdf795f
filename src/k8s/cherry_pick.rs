//! Kubernetes' conventions for pull requests on release branches: the labels Tide and the
//! cherry-pick plugins read, how a cherry-pick names its parents (`hack/cherry_pick_pull.sh`),
//! and what makes a PR a dependency change.

use std::sync::LazyLock;

use regex::Regex;

/// Tide's own status: a merge-pool verdict, not a presubmit result.
pub const TIDE_CONTEXT: &str = "tide";
/// Labels Tide requires on release branches.
pub const REQUIRED_LABELS: [&str; 3] = ["lgtm", "approved", "cncf-cla: yes"];
/// Labels that keep Tide from merging (its `missingLabels` for kubernetes/kubernetes).
pub const BLOCKING_LABELS: [&str; 11] = [
    "do-not-merge",
    "do-not-merge/blocked-paths",
    "do-not-merge/cherry-pick-not-approved",
    "do-not-merge/contains-merge-commits",
    "do-not-merge/hold",
    "do-not-merge/invalid-commit-message",
    "do-not-merge/invalid-owners-file",
    "do-not-merge/needs-kind",
    "do-not-merge/needs-sig",
    "do-not-merge/release-note-label-needed",
    "do-not-merge/work-in-progress",
];
/// Added by Prow to every PR against a release branch until a release manager approves it.
pub const CHERRY_PICK_NOT_APPROVED: &str = "do-not-merge/cherry-pick-not-approved";
/// A release manager approved the cherry-pick.
pub const CHERRY_PICK_APPROVED: &str = "cherry-pick-approved";
/// No `release-note*` label yet.
pub const RELEASE_NOTE_NEEDED: &str = "do-not-merge/release-note-label-needed";
/// `/hold`.
pub const HOLD: &str = "do-not-merge/hold";
/// Merge conflicts with the base branch.
pub const NEEDS_REBASE: &str = "needs-rebase";
/// Marks a dependency change for reviewers.
pub const AREA_DEPENDENCY: &str = "area/dependency";

static BODY_PARENTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?mi)^\s*Cherry[- ]pick of ((?:#\d+[\s,]*)+)on (release-\d+\.\d+)")
        .expect("valid regex")
});
static TITLE_PARENTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*Automated cherry[- ]pick of ((?:#\d+[:,\s]*)+)").expect("valid regex")
});
static HEAD_REF_PARENTS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^automated-cherry-pick-of-((?:#\d+-?)+)").expect("valid regex"));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"#(\d+)").expect("valid regex"));
/// The verbs of a dependency change, and the first "fix" (whose presence before the verb makes
/// the title a fix that mentions an upgrade, not a bump).
static BUMP_VERB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:bump(?:s|ed|ing)?|update[sd]?|updating|upgrade[sd]?|upgrading|downgrade[sd]?|pin(?:s|ned)?|revendor|vendor)\b")
        .expect("valid regex")
});
static FIX_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bfix(?:e[sd]|ing)?\b").expect("valid regex"));
/// Version movement: "to v1.2.3", "to 1.24", "to version 3.5.12", "to go 1.24.6",
/// "to go1.23.4", "from 0.21.0 to 0.31.0", "v0.32.0 -> v0.33.0". A version has a dot, so
/// "timeout to 5m" or "from 30s to 60s" is not one.
static VERSION_MOVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:\bto\s+(?:version\s+|go\s*|golang\s*)?v?\d+\.\d+|\bfrom\s+v?\d+\.\d+\S*\s+to\s+v?\d+\.\d+|v?\d+\.\d+\S*\s*(?:->|→|=>)\s*v?\d+\.\d+)",
    )
    .expect("valid regex")
});
/// What the cherry-pick script and humans put in front of the subject.
static TITLE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:automated cherry[- ]pick of (?:#\d+[:,\s]*)+|\[release-[\d.]+\]\s*)+")
        .expect("valid regex")
});

/// Whether a PR title announces a dependency version change: a bump verb, then a version
/// movement, and no "fix" before the verb ("kubeadm: fix upgrade to v1.31" is a fix).
pub fn is_dependency_title(title: &str) -> bool {
    let subject = TITLE_PREFIX.replace(title, "");
    let Some(verb) = BUMP_VERB.find(&subject) else {
        return false;
    };
    let fix_first = FIX_WORD
        .find(&subject)
        .is_some_and(|fix| fix.start() < verb.start());
    !fix_first && VERSION_MOVE.is_match(&subject[verb.start()..])
}

/// Whether changed paths touch Kubernetes' dependency files: `go.mod`/`go.sum` (any module),
/// `vendor/`, `build/dependencies.yaml`.
pub fn touches_dependencies<'a>(mut paths: impl Iterator<Item = &'a str>) -> bool {
    paths.any(|path| {
        let name = path.rsplit('/').next().unwrap_or(path);
        name == "go.mod"
            || name == "go.sum"
            || path.starts_with("vendor/")
            || path == "build/dependencies.yaml"
    })
}

/// The parents a PR names, and whether it was made by `hack/cherry_pick_pull.sh`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CherryPickParents {
    /// Parent PR numbers, in the order first named.
    pub numbers: Vec<u64>,
    /// Made by the cherry-pick script (release notes then come from the parents).
    pub automated: bool,
}

/// Finds parents from the body line `Cherry pick of #N on release-X.Y.`, the title
/// `Automated cherry pick of #N: ...` or the head ref `automated-cherry-pick-of-#N-...`
/// (what `hack/cherry_pick_pull.sh` writes). The PR's own number is never its parent.
pub fn parents(number: u64, title: &str, body: &str, head_ref: &str) -> CherryPickParents {
    let own = number;
    let mut numbers: Vec<u64> = Vec::new();
    let mut push_all = |text: &str| {
        for capture in NUMBER.captures_iter(text) {
            if let Ok(number) = capture[1].parse::<u64>() {
                if !numbers.contains(&number) && number != own {
                    numbers.push(number);
                }
            }
        }
    };
    let mut automated = false;
    for capture in BODY_PARENTS.captures_iter(body) {
        push_all(&capture[1]);
        automated = true;
    }
    if let Some(capture) = TITLE_PARENTS.captures(title) {
        push_all(&capture[1]);
        automated = true;
    }
    if let Some(capture) = HEAD_REF_PARENTS.captures(head_ref) {
        push_all(&capture[1]);
        automated = true;
    }
    CherryPickParents { numbers, automated }
}

/// One of `release-note`, `release-note-none`, `release-note-action-required`: what clears
/// `do-not-merge/release-note-label-needed`.
pub fn has_release_note_label(labels: &[String]) -> bool {
    labels
        .iter()
        .any(|label| label == "release-note" || label.starts_with("release-note-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_from_body_title_and_head_ref() {
        let script_body = "Cherry pick of #4000 on release-1.34.\n\n#4000: fix a thing\n";
        assert_eq!(
            parents(
                5000,
                "Automated cherry pick of #4000: fix a thing",
                script_body,
                "automated-cherry-pick-of-#4000-upstream-release-1.34"
            ),
            CherryPickParents {
                numbers: vec![4000],
                automated: true
            }
        );
        assert_eq!(
            parents(
                5000,
                "[release-1.31] hand made",
                "Cherry pick of #123 #456 on release-1.31.\n",
                "my-branch"
            )
            .numbers,
            vec![123, 456]
        );
        assert_eq!(
            parents(
                5000,
                "[release-1.31] hand made",
                "",
                "automated-cherry-pick-of-#777-#778-origin-release-1.31"
            )
            .numbers,
            vec![777, 778]
        );
        assert_eq!(
            parents(5000, "fix kubelet", "fixes #4000", "fix-kubelet"),
            CherryPickParents::default(),
            "a hand-made PR that mentions an issue names no parent"
        );
        assert_eq!(
            parents(5000, "Automated cherry pick of #5000", "", "x").numbers,
            Vec::<u64>::new(),
            "never its own parent"
        );
    }

    /// Real-style Kubernetes titles: (title, is a dependency bump).
    const DEPENDENCY_TITLES: &[(&str, bool)] = &[
        ("Bump golang.org/x/net to v0.33.0", true),
        ("[release-1.31] Bump golang.org/x/net to v0.33.0", true),
        (
            "Automated cherry pick of #129101: Bump golang.org/x/crypto to v0.31.0",
            true,
        ),
        ("etcd: Update to version 3.5.12", true),
        ("Update Go to 1.24.9", true),
        (
            "[release-1.32] Update to go 1.24.6 and distroless iptables",
            true,
        ),
        (
            "Bump images and versions to go 1.22.5 and distroless iptables",
            true,
        ),
        ("Update to go1.23.4", true),
        ("Bump golang.org/x/crypto from 0.21.0 to 0.31.0", true),
        ("update coredns to 1.11.3", true),
        ("Upgrade etcd to v3.5.16", true),
        ("Bump runc to v1.1.14", true),
        (
            "bump github.com/opencontainers/runc v1.1.13 -> v1.1.14",
            true,
        ),
        ("Update cadvisor to v0.49.2", true),
        ("kubeadm: update etcd to 3.5.16 for Kubernetes 1.31", true),
        (
            "Bump kube-openapi to v0.0.0-20240827152857-f7e401e7b4c2",
            true,
        ),
        ("Bumped google.golang.org/grpc to v1.65.1", true),
        (
            "Update github.com/docker/docker to v26.1.4+incompatible",
            true,
        ),
        ("[release-1.30] Bump distroless-iptables to v0.5.9", true),
        ("Pin golang.org/x/tools to v0.24.0", true),
        ("Revert \"Bump golang.org/x/net to v0.33.0\"", true),
        ("kubeadm: fix upgrade plan output", false),
        ("fix service CIDR allocation on upgrade", false),
        ("Fix kube-proxy crash when upgrading to 1.31", false),
        ("kubeadm: fix upgrade to v1.31 with external etcd", false),
        ("kubelet: update node status to Ready after restart", false),
        ("e2e: bump timeout to 5m for slow storage tests", false),
        ("bump test timeout from 30s to 60s", false),
        ("Update docs for the 1.31 upgrade", false),
        ("Update vendor directory README", false),
        ("kubelet: fix panic when pod has no status", false),
        (
            "apiserver: avoid leaking watch goroutines on timeout",
            false,
        ),
        (
            "scheduler: update NodeResourcesFit scoring when pods are added",
            false,
        ),
        ("Fix dependency cycle in volume manager startup", false),
        (
            "DRA: update ResourceSlice status when the driver restarts",
            false,
        ),
        ("client-go: fix informer resync after a watch error", false),
        (
            "kubectl: upgrade the describe output for ephemeral containers",
            false,
        ),
        (
            "Automated cherry pick of #128519: kubelet: fix panic when pod has no status",
            false,
        ),
        (
            "[release-1.31] Fix upgrade of static pods to the new kube-apiserver",
            false,
        ),
        (
            "Bump the pod startup latency threshold in scale tests",
            false,
        ),
        (
            "node: restore cgroup v1 memory accounting after upgrade to cgroup v2",
            false,
        ),
        ("Update CHANGELOG-1.31.md for v1.31.2", false),
        (
            "apiserver: fix update of status subresource to 1 replica",
            false,
        ),
    ];

    #[test]
    fn dependency_titles_need_a_bump_verb_and_a_version_movement() {
        let bumps = DEPENDENCY_TITLES.iter().filter(|(_, bump)| *bump).count();
        assert!(bumps >= 20 && DEPENDENCY_TITLES.len() - bumps >= 20);
        let wrong: Vec<_> = DEPENDENCY_TITLES
            .iter()
            .filter(|(title, bump)| is_dependency_title(title) != *bump)
            .collect();
        assert!(wrong.is_empty(), "misjudged: {wrong:#?}");
    }

    #[test]
    fn changed_dependency_files_are_go_mod_go_sum_vendor_and_build_dependencies() {
        assert!(touches_dependencies(
            ["go.mod", "pkg/kubelet/kubelet.go"].into_iter()
        ));
        assert!(touches_dependencies(
            ["staging/src/k8s.io/api/go.sum"].into_iter()
        ));
        assert!(touches_dependencies(
            ["vendor/golang.org/x/net/http2/frame.go"].into_iter()
        ));
        assert!(touches_dependencies(
            ["build/dependencies.yaml"].into_iter()
        ));
        assert!(!touches_dependencies(
            ["pkg/kubelet/go.mod.md", "hack/vendor.sh", "docs/vendor/x"].into_iter()
        ));
    }
}
