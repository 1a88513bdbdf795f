//! Release notes as Kubernetes writes them: the ```` ```release-note ```` block of a PR body —
//! what Prow's `release-note` plugin and `krel` read — and the kind of change a PR is filed
//! under in the release notes.
//!
//! Bodies are real-world text: written on Windows (CRLF), from the PR template (HTML comments
//! that mention the block, an empty block, a `docs` block after it), by the cherry-pick script
//! (the parents' notes copied in, one block each), or by hand (a forgotten closing fence).

use serde::{Deserialize, Serialize};

/// Most characters of a note kept: a longer one is cut with `…` (real notes stay under a few
/// hundred; a hostile body must not make every snapshot large).
pub const MAX_NOTE_CHARS: usize = 4_000;
/// Most bytes of a body read: GitHub caps bodies at 65,536 characters, so anything past this is
/// not GitHub's and is not read.
pub const MAX_BODY_BYTES: usize = 262_144;

/// `release-note-none`: the PR needs no note, whatever its body says.
pub const RELEASE_NOTE_NONE: &str = "release-note-none";
/// The labels that claim a note the release notes tool will publish.
pub const NOTE_CLAIMING_LABELS: [&str; 2] = ["release-note", "release-note-action-required"];
/// Labels that make a release-branch PR a new enhancement.
pub const ENHANCEMENT_LABELS: [&str; 2] = ["kind/feature", "kind/api-change"];

/// What a release-note block says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteState {
    /// A note the release notes tool would publish.
    Written,
    /// The block is empty or says `NONE` (or `N/A`), or the PR carries `release-note-none`.
    None,
    /// No ```` ```release-note ```` block at all.
    Absent,
    /// The body could not be read (a parent GitHub no longer has, or not fetched yet).
    Unknown,
}

/// A PR's note as the release notes tool would read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub state: NoteState,
    /// The text when written (several blocks joined by a blank line).
    pub text: Option<String>,
}

impl Note {
    /// A body that could not be read.
    pub const UNKNOWN: Note = Note {
        state: NoteState::Unknown,
        text: None,
    };

    /// The note as published given the PR's labels: `release-note-none` means none.
    pub fn with_labels(self, labels: &[String]) -> Note {
        if labels.iter().any(|l| l == RELEASE_NOTE_NONE) {
            Note {
                state: NoteState::None,
                text: None,
            }
        } else {
            self
        }
    }
}

/// Whether the labels claim a published note (`release-note`, `release-note-action-required`).
pub fn claims_note(labels: &[String]) -> bool {
    labels
        .iter()
        .any(|label| NOTE_CLAIMING_LABELS.contains(&label.as_str()))
}

/// Reads the release note of a PR body.
pub fn parse(body: &str) -> Note {
    let body = prefix(body, MAX_BODY_BYTES);
    let text = strip_html_comments(&body.replace("\r\n", "\n").replace('\r', "\n"));
    let blocks = blocks(&text);
    let mut written: Vec<String> = Vec::new();
    for block in &blocks {
        let block = block.trim();
        if !block.is_empty() && !says_none(block) && !written.iter().any(|w| w == block) {
            written.push(block.to_string());
        }
    }
    if !written.is_empty() {
        Note {
            state: NoteState::Written,
            text: Some(cut(&written.join("\n\n"), MAX_NOTE_CHARS)),
        }
    } else if !blocks.is_empty() {
        Note {
            state: NoteState::None,
            text: None,
        }
    } else {
        Note {
            state: NoteState::Absent,
            text: None,
        }
    }
}

/// A PR body as far as branchwatch reads it: at most [`MAX_BODY_BYTES`], cut on a character
/// boundary.
pub fn readable_body(body: &str) -> &str {
    prefix(body, MAX_BODY_BYTES)
}

/// The longest prefix of `text` of at most `bytes` bytes that ends on a character boundary.
fn prefix(text: &str, bytes: usize) -> &str {
    if text.len() <= bytes {
        return text;
    }
    let mut end = bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `text` cut to `chars` characters, with `…` when cut.
fn cut(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// `<!-- ... -->` removed; an unclosed comment runs to the end (as a browser renders it).
fn strip_html_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start + 4..].find("-->") {
            Some(end) => rest = &rest[start + 4 + end + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// `NONE`, `none.`, `N/A`, `NA` with any punctuation around: no note (Prow's
/// `(?i)^\W*NONE\W*$`, and krel's exclusions).
fn says_none(block: &str) -> bool {
    let word: String = block
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    matches!(word.as_str(), "none" | "na")
        && block
            .chars()
            .all(|c| !c.is_alphanumeric() || c.is_ascii_alphabetic())
}

/// The info string of a fence line (```` ```release-note ```` → `release-note`), with the
/// fence's length; None for a line that is not a fence.
fn fence(line: &str) -> Option<(usize, &str)> {
    let line = line.trim_start();
    let ticks = line.bytes().take_while(|b| *b == b'`').count();
    (ticks >= 3).then(|| (ticks, line[ticks..].trim()))
}

fn is_note_info(info: &str) -> bool {
    info == "release-note" || info == "release-notes"
}

/// The old template's lead-in, after which a bare fence is the note.
fn is_note_lead_in(line: &str) -> bool {
    let words: String = line
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect::<String>()
        .trim()
        .to_ascii_lowercase();
    words == "release note"
}

/// The contents of every release-note block. A block that is never closed runs to the next
/// fence line (the author forgot it; the template's ```` ```docs ```` block follows) or the end.
fn blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, Vec<&str>)> = None;
    let mut previous_text_line = "";
    for line in text.lines() {
        if let Some((ticks, lines)) = current.as_mut() {
            match fence(line) {
                Some((closing, info)) if closing >= *ticks && info.is_empty() => {
                    blocks.push(lines.join("\n"));
                    current = None;
                }
                Some(_) => {
                    // Another block opens inside: this one was never closed.
                    blocks.push(unterminated(lines));
                    current = None;
                    previous_text_line = "";
                    open(line, previous_text_line, &mut current, &mut blocks);
                }
                None => lines.push(line),
            }
            continue;
        }
        open(line, previous_text_line, &mut current, &mut blocks);
        if !line.trim().is_empty() {
            previous_text_line = line;
        }
    }
    if let Some((_, lines)) = current {
        blocks.push(unterminated(&lines));
    }
    blocks
}

/// A block that was never closed ends where the template's next section begins (a Markdown
/// heading), if one follows.
fn unterminated(lines: &[&str]) -> String {
    let end = lines
        .iter()
        .position(|line| {
            let hashes = line.bytes().take_while(|b| *b == b'#').count();
            (1..=6).contains(&hashes) && line[hashes..].starts_with(' ')
        })
        .unwrap_or(lines.len());
    lines[..end].join("\n")
}

/// Opens a block at `line` if it is a release-note fence; a one-line block
/// (```` ```release-note NONE``` ````) is complete at once.
fn open<'a>(
    line: &'a str,
    previous_text_line: &str,
    current: &mut Option<(usize, Vec<&'a str>)>,
    blocks: &mut Vec<String>,
) {
    let Some((ticks, info)) = fence(line) else {
        return;
    };
    let (name, rest) = info.split_once(char::is_whitespace).unwrap_or((info, ""));
    if let Some(inline) = name
        .strip_prefix("release-notes")
        .or_else(|| name.strip_prefix("release-note"))
        .and_then(|after| {
            format!("{after} {rest}")
                .trim()
                .strip_suffix("```")
                .map(str::to_string)
        })
    {
        blocks.push(inline);
    } else if is_note_info(info) || (info.is_empty() && is_note_lead_in(previous_text_line)) {
        *current = Some((ticks, Vec::new()));
    }
}

/// A kind of change, as the release notes group them (from `kind/*` labels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// `kind/deprecation`.
    Deprecation,
    /// `kind/api-change`.
    ApiChange,
    /// `kind/feature`.
    Feature,
    /// `kind/documentation`.
    Documentation,
    /// `kind/failing-test`.
    FailingTest,
    /// `kind/bug` or `kind/regression`.
    Bug,
    /// `kind/cleanup`, `kind/flake` and other kinds.
    Other,
    /// No `kind/*` label.
    Uncategorized,
}

impl ChangeKind {
    /// Every kind, in the order the release notes list them.
    pub const ALL: [ChangeKind; 8] = [
        ChangeKind::Deprecation,
        ChangeKind::ApiChange,
        ChangeKind::Feature,
        ChangeKind::Documentation,
        ChangeKind::FailingTest,
        ChangeKind::Bug,
        ChangeKind::Other,
        ChangeKind::Uncategorized,
    ];

    /// The section title the release notes use.
    pub fn title(self) -> &'static str {
        match self {
            ChangeKind::Deprecation => "Deprecation",
            ChangeKind::ApiChange => "API Change",
            ChangeKind::Feature => "Feature",
            ChangeKind::Documentation => "Documentation",
            ChangeKind::FailingTest => "Failing Test",
            ChangeKind::Bug => "Bug or Regression",
            ChangeKind::Other => "Other (Cleanup or Flake)",
            ChangeKind::Uncategorized => "Uncategorized",
        }
    }

    /// The kind of a PR with `labels`: its most prominent `kind/*` label (a PR that is both a
    /// feature and a bug fix is listed as the feature).
    pub fn of(labels: &[String]) -> ChangeKind {
        labels
            .iter()
            .filter_map(|label| label.strip_prefix("kind/"))
            .map(|kind| match kind {
                "deprecation" => ChangeKind::Deprecation,
                "api-change" => ChangeKind::ApiChange,
                "feature" => ChangeKind::Feature,
                "documentation" => ChangeKind::Documentation,
                "failing-test" => ChangeKind::FailingTest,
                "bug" | "regression" => ChangeKind::Bug,
                _ => ChangeKind::Other,
            })
            .min()
            .unwrap_or(ChangeKind::Uncategorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(text: &str) -> Note {
        Note {
            state: NoteState::Written,
            text: Some(text.to_string()),
        }
    }

    fn state(body: &str) -> NoteState {
        parse(body).state
    }

    /// kubernetes/kubernetes' PR template (`.github/PULL_REQUEST_TEMPLATE.md`) as GitHub stores
    /// a body opened from it in a browser: CRLF, the comments kept, the author's answer in the
    /// block, the `docs` block after it left empty.
    fn template_body(note: &str) -> String {
        [
            "<!--  Thanks for sending a pull request!  Here are some tips for you:",
            "",
            "1. If this is your first time, please read our contributor guidelines: https://git.k8s.io/community/contributors/guide/first-contribution.md#your-first-contribution and developer guide https://git.k8s.io/community/contributors/devel/development.md#development-guide",
            "-->",
            "",
            "#### What type of PR is this?",
            "",
            "/kind bug",
            "",
            "#### What this PR does / why we need it:",
            "",
            "Fixes a kubelet panic.",
            "",
            "#### Does this PR introduce a user-facing change?",
            "<!--",
            "If no, just write \"NONE\" in the release-note block below.",
            "If yes, a release note is required:",
            "Enter your extended release note in the block below. If the PR requires additional action from users switching to the new release, include the string \"action required\".",
            "",
            "For more information on release notes see: https://git.k8s.io/community/contributors/guide/release-notes.md",
            "-->",
            "```release-note",
            note,
            "```",
            "",
            "#### Additional documentation e.g., KEPs (Kubernetes Enhancement Proposals), usage docs, etc.:",
            "",
            "<!--",
            "This section can be blank if this pull request does not require a release note.",
            "",
            "Please use the following format for linking documentation:",
            "- [KEP]: <link>",
            "- [Usage]: <link>",
            "- [Other doc]: <link>",
            "-->",
            "```docs",
            "",
            "```",
            "",
        ]
        .join("\r\n")
    }

    #[test]
    fn the_cherry_pick_scripts_body_carries_the_parents_note() {
        let body = "Cherry pick of #128519 on release-1.31.\n\n#128519: kubelet: fix panic when pod has no status\n\n```release-note\nFixed a kubelet panic when a pod had no status.\n```";
        assert_eq!(
            parse(body),
            written("Fixed a kubelet panic when a pod had no status.")
        );
    }

    #[test]
    fn the_pr_template_with_crlf_and_comments_gives_the_authors_note() {
        assert_eq!(
            parse(&template_body(
                "kubelet no longer panics when a pod has no status."
            )),
            written("kubelet no longer panics when a pod has no status.")
        );
        assert_eq!(state(&template_body("NONE")), NoteState::None);
        assert_eq!(state(&template_body("")), NoteState::None, "left empty");
        assert_eq!(state(&template_body("   ")), NoteState::None);
    }

    #[test]
    fn none_is_recognised_however_it_is_written() {
        for none in [
            "NONE", "none", "None.", "`NONE`", "N/A", "n/a", "NA", "- NONE",
        ] {
            assert_eq!(
                state(&format!("```release-note\n{none}\n```")),
                NoteState::None,
                "{none}"
            );
        }
        for not_none in [
            "None of the pods restart now.",
            "NAT rules are kept.",
            "NÖNE",
        ] {
            assert_eq!(
                state(&format!("```release-note\n{not_none}\n```")),
                NoteState::Written,
                "{not_none}"
            );
        }
    }

    #[test]
    fn a_forgotten_closing_fence_ends_at_the_next_fence_or_the_end() {
        assert_eq!(
            parse("Fix.\n\n```release-note\nFixed the scheduler cache.\n"),
            written("Fixed the scheduler cache.")
        );
        let template_without_fence = template_body("Fixed the scheduler cache.").replacen(
            "\r\n```\r\n\r\n####",
            "\r\n\r\n####",
            1,
        );
        assert!(!template_without_fence.contains("cache.\r\n```"));
        assert_eq!(
            parse(&template_without_fence),
            written("Fixed the scheduler cache."),
            "stops at the template's next section, before its docs block"
        );
        assert_eq!(
            parse("```release-note\nA note.\n```docs\nhttps://example.com/kep\n```"),
            written("A note."),
            "a fence with an info string cannot close a block: the note was left open"
        );
    }

    #[test]
    fn several_blocks_give_every_written_note_once() {
        let body = "Cherry pick of #1 #2 on release-1.34.\n\n```release-note\nFirst fix.\n```\n\n```release-note\nNONE\n```\n\n```release-note\nSecond fix.\n```\n```release-note\nFirst fix.\n```";
        assert_eq!(parse(body), written("First fix.\n\nSecond fix."));
    }

    #[test]
    fn blocks_only_inside_comments_or_no_blocks_are_absent() {
        assert_eq!(
            state("<!--\n```release-note\nExample note.\n```\n-->\nNo note here."),
            NoteState::Absent
        );
        assert_eq!(state("Just a description."), NoteState::Absent);
        assert_eq!(state(""), NoteState::Absent);
        assert_eq!(
            state("```go\nfunc main() {}\n```"),
            NoteState::Absent,
            "other code blocks"
        );
        assert_eq!(
            state("<!-- an unclosed comment\n```release-note\nHidden.\n```"),
            NoteState::Absent
        );
    }

    #[test]
    fn other_shapes_the_tools_accept() {
        assert_eq!(
            parse("**Release note**:\n```\nOld template note.\n```"),
            written("Old template note.")
        );
        assert_eq!(
            parse("```release-notes\nPlural fence.\n```"),
            written("Plural fence.")
        );
        assert_eq!(
            parse("````release-note\nFour ticks.\n````"),
            written("Four ticks.")
        );
        assert_eq!(state("```release-note NONE```"), NoteState::None);
        assert_eq!(state("```release-note\n```"), NoteState::None);
        assert_eq!(
            parse("  ```release-note  \r\nIndented, trailing spaces.\r\n  ```  "),
            written("Indented, trailing spaces.")
        );
    }

    #[test]
    fn huge_bodies_are_bounded() {
        let huge = format!("```release-note\n{}\n```", "é".repeat(600_000));
        let note = parse(&huge);
        assert_eq!(note.state, NoteState::Written);
        let text = note.text.unwrap();
        assert_eq!(text.chars().count(), MAX_NOTE_CHARS + 1);
        assert!(text.ends_with('…'));
        let no_fences = "word ".repeat(250_000);
        assert_eq!(state(&no_fences), NoteState::Absent);
    }

    #[test]
    fn labels_override_and_claim() {
        let labels = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            written("A note.")
                .with_labels(&labels(&["release-note-none"]))
                .state,
            NoteState::None
        );
        assert!(claims_note(&labels(&["kind/bug", "release-note"])));
        assert!(claims_note(&labels(&["release-note-action-required"])));
        assert!(!claims_note(&labels(&["release-note-none"])));
        assert!(!claims_note(&labels(&[
            "do-not-merge/release-note-label-needed"
        ])));
    }

    #[test]
    fn kinds_group_as_the_release_notes_do() {
        let kind = |names: &[&str]| {
            ChangeKind::of(&names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(kind(&["kind/bug", "sig/node"]), ChangeKind::Bug);
        assert_eq!(kind(&["kind/regression"]), ChangeKind::Bug);
        assert_eq!(kind(&["kind/bug", "kind/feature"]), ChangeKind::Feature);
        assert_eq!(
            kind(&["kind/api-change", "kind/feature"]),
            ChangeKind::ApiChange
        );
        assert_eq!(kind(&["kind/cleanup"]), ChangeKind::Other);
        assert_eq!(kind(&["kind/flake"]), ChangeKind::Other);
        assert_eq!(kind(&["sig/node"]), ChangeKind::Uncategorized);
    }
}
