//! Kubernetes version and branch names: minors (`1.34`), plain patch tags (`v1.34.2`) and branch kinds (`master`, `release-1.34`, hotfix `release-1.34.2`).

use std::fmt;

/// Parses a non-empty run of ASCII digits as a `u64` (no sign, no spaces, no overflow).
fn parse_number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Splits `text` on `.` into exactly `N` plain numbers.
fn parse_dotted<const N: usize>(text: &str) -> Option<[u64; N]> {
    let mut out = [0u64; N];
    let mut parts = text.split('.');
    for slot in &mut out {
        *slot = parse_number(parts.next()?)?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

/// A Kubernetes minor line such as `1.34` (the `X.Y` of `release-X.Y`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minor {
    /// The major number (`1`).
    pub major: u64,
    /// The minor number (`34`).
    pub minor: u64,
}

impl Minor {
    /// Builds a minor from its two numbers.
    pub const fn new(major: u64, minor: u64) -> Self {
        Self { major, minor }
    }

    /// Parses `"1.34"` (an optional leading `v` and surrounding whitespace are accepted).
    /// `"1.30"` is minor 30, never 3: the text is read as two integers, not as a number.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let [major, minor] = parse_dotted::<2>(text)?;
        Some(Self { major, minor })
    }

    /// The release branch name of this minor, `release-1.34`.
    pub fn branch_name(self) -> String {
        format!("release-{self}")
    }

    /// The patch version `vX.Y.<patch>` of this minor.
    #[cfg(test)]
    pub const fn patch(self, patch: u64) -> PatchVersion {
        PatchVersion {
            major: self.major,
            minor: self.minor,
            patch,
        }
    }
}

impl fmt::Display for Minor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A plain (non-prerelease, no build metadata) release version `vX.Y.Z`.
///
/// The derived order compares major, minor, then patch numerically, which is semver order
/// for plain versions (`v1.31.10 > v1.31.9`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PatchVersion {
    /// The major number (`1`).
    pub major: u64,
    /// The minor number (`34`).
    pub minor: u64,
    /// The patch number (`2`).
    pub patch: u64,
}

impl PatchVersion {
    /// Builds a version from its three numbers.
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Parses a plain release tag: `v1.34.2` or `1.34.2` (surrounding whitespace accepted).
    /// Pre-releases (`v1.35.0-rc.1`, `-alpha.0`, `-beta.2`), build metadata (`+build`),
    /// missing or extra components and anything else give `None`.
    pub fn parse_tag(text: &str) -> Option<Self> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let [major, minor, patch] = parse_dotted::<3>(text)?;
        Some(Self {
            major,
            minor,
            patch,
        })
    }

    /// The minor line this version belongs to.
    pub const fn minor(self) -> Minor {
        Minor {
            major: self.major,
            minor: self.minor,
        }
    }

    /// The following patch of the same minor (`v1.34.3` after `v1.34.2`); `None` on overflow.
    pub fn next_patch(self) -> Option<Self> {
        Some(Self {
            patch: self.patch.checked_add(1)?,
            ..self
        })
    }
}

impl serde::Serialize for PatchVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PatchVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PatchVersion::parse_tag(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a patch version: {text:?}")))
    }
}

impl fmt::Display for PatchVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// What a branch of kubernetes/kubernetes is, judged by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BranchKind {
    /// The development branch `master`.
    Master,
    /// A minor's release branch `release-X.Y`.
    Release(Minor),
    /// A hotfix branch `release-X.Y.Z`, cut from the tag `vX.Y.Z` (`base`).
    Hotfix {
        /// The minor the hotfix belongs to.
        minor: Minor,
        /// The tag the branch was cut from.
        base: PatchVersion,
    },
}

impl BranchKind {
    /// Classifies a branch name: `master`, `release-1.34` or `release-1.34.2`; anything
    /// else (feature branches, `release-1.34-foo`, `release-1.35.0-rc.1`) gives `None`.
    pub fn parse(branch: &str) -> Option<Self> {
        let branch = branch.trim();
        if branch == "master" {
            return Some(Self::Master);
        }
        let rest = branch.strip_prefix("release-")?;
        if rest.starts_with('v') {
            return None;
        }
        if let Some(minor) = Minor::parse(rest) {
            return Some(Self::Release(minor));
        }
        let base = PatchVersion::parse_tag(rest)?;
        Some(Self::Hotfix {
            minor: base.minor(),
            base,
        })
    }

    /// The minor of a release or hotfix branch; `None` for `master`.
    pub const fn minor(self) -> Option<Minor> {
        match self {
            Self::Master => None,
            Self::Release(minor) | Self::Hotfix { minor, .. } => Some(minor),
        }
    }
}

impl fmt::Display for BranchKind {
    /// The branch name: `master`, `release-1.34` or `release-1.34.2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Master => f.write_str("master"),
            Self::Release(minor) => write!(f, "release-{minor}"),
            Self::Hotfix { base, .. } => {
                write!(f, "release-{}.{}.{}", base.major, base.minor, base.patch)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_parse_and_display() {
        assert_eq!(Minor::parse("1.34"), Some(Minor::new(1, 34)));
        assert_eq!(Minor::parse("1.30"), Some(Minor::new(1, 30)));
        assert_eq!(Minor::parse("1.3"), Some(Minor::new(1, 3)));
        assert_eq!(Minor::parse(" v1.9 "), Some(Minor::new(1, 9)));
        assert_eq!(Minor::new(1, 30).to_string(), "1.30");
        assert_eq!(Minor::new(1, 34).branch_name(), "release-1.34");
        for bad in [
            "", "1", "1.", ".1", "1.34.2", "1.x", "+1.2", "1.-2", "1 .2", "a.b", "1.34-rc",
        ] {
            assert_eq!(Minor::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Minor::parse("1.99999999999999999999999"), None);
    }

    #[test]
    fn minor_order_is_numeric() {
        assert!(Minor::new(1, 9) < Minor::new(1, 10));
        assert!(Minor::new(1, 35) < Minor::new(2, 0));
        let mut v = vec![Minor::new(1, 30), Minor::new(1, 3), Minor::new(1, 29)];
        v.sort();
        assert_eq!(v, [Minor::new(1, 3), Minor::new(1, 29), Minor::new(1, 30)]);
    }

    fn minor_of(branch: &str) -> Option<Minor> {
        BranchKind::parse(branch).and_then(BranchKind::minor)
    }

    #[test]
    fn minor_from_branch() {
        assert_eq!(minor_of("release-1.34"), Some(Minor::new(1, 34)));
        assert_eq!(minor_of("release-1.34.2"), Some(Minor::new(1, 34)));
        assert_eq!(minor_of("master"), None);
        assert_eq!(minor_of("main"), None);
        assert_eq!(minor_of("release-1.34-foo"), None);
        assert_eq!(minor_of("release-"), None);
        assert_eq!(minor_of("feature-release-1.34"), None);
    }

    #[test]
    fn patch_parse_tag() {
        assert_eq!(
            PatchVersion::parse_tag("v1.34.2"),
            Some(PatchVersion::new(1, 34, 2))
        );
        assert_eq!(
            PatchVersion::parse_tag("1.34.2"),
            Some(PatchVersion::new(1, 34, 2))
        );
        assert_eq!(
            PatchVersion::parse_tag("v1.31.10"),
            Some(PatchVersion::new(1, 31, 10))
        );
        for bad in [
            "v1.35.0-rc.1",
            "v1.35.0-alpha.0",
            "v1.35.0-beta.2",
            "v1.34.2+build.1",
            "v1.34",
            "v1.34.2.1",
            "vv1.34.2",
            "V1.34.2",
            "release-1.34.2",
            "garbage",
            "",
            "v",
            "v1..2",
            "v-1.2.3",
            "v1.2.+3",
        ] {
            assert_eq!(PatchVersion::parse_tag(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn patch_display_minor_and_order() {
        let v = PatchVersion::new(1, 34, 2);
        assert_eq!(v.to_string(), "v1.34.2");
        assert_eq!(v.minor(), Minor::new(1, 34));
        assert_eq!(v.next_patch(), Some(PatchVersion::new(1, 34, 3)));
        assert_eq!(PatchVersion::new(1, 1, u64::MAX).next_patch(), None);
        assert_eq!(Minor::new(1, 34).patch(2), v);
        assert!(PatchVersion::new(1, 31, 10) > PatchVersion::new(1, 31, 9));
        assert!(PatchVersion::new(1, 32, 0) > PatchVersion::new(1, 31, 14));
        assert!(PatchVersion::new(2, 0, 0) > PatchVersion::new(1, 99, 99));
    }

    #[test]
    fn branch_kind() {
        assert_eq!(BranchKind::parse("master"), Some(BranchKind::Master));
        assert_eq!(
            BranchKind::parse("release-1.34"),
            Some(BranchKind::Release(Minor::new(1, 34)))
        );
        assert_eq!(
            BranchKind::parse("release-1.34.2"),
            Some(BranchKind::Hotfix {
                minor: Minor::new(1, 34),
                base: PatchVersion::new(1, 34, 2),
            })
        );
        for bad in [
            "main",
            "release-1.35.0-rc.1",
            "release-v1.34",
            "release-1",
            "release-1.34-foo",
            "feature/x",
            "",
        ] {
            assert_eq!(BranchKind::parse(bad), None, "{bad:?}");
        }
        for name in ["master", "release-1.34", "release-1.34.2", "release-1.30"] {
            let kind = BranchKind::parse(name).unwrap();
            assert_eq!(kind.to_string(), name);
        }
        assert_eq!(BranchKind::Master.minor(), None);
    }
}
