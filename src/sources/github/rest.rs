//! GitHub REST: pages of `GET /repos/{o}/{r}/releases`, followed by `Link: rel="next"`, with
//! ETags (a `304` costs no rate limit; the cache restores the page's releases and next link).

use std::collections::BTreeSet;

use http::{HeaderMap, HeaderValue, StatusCode};
use serde::Deserialize;

use super::{GithubClient, error::GithubError, model::Spend};
use crate::{
    k8s::{
        timing::PublishedRelease,
        version::{Minor, PatchVersion},
    },
    sources::{Outcome, Source, http::rfc3339},
};

/// Stop paging releases after this many pages of 100.
pub(super) const MAX_RELEASE_PAGES: usize = 10;

/// One page of releases as cached: what it held and where the next one is.
#[derive(Clone)]
pub(super) struct ReleasePage {
    releases: Vec<PublishedRelease>,
    /// The `rel="next"` page, if any.
    next: Option<String>,
}

/// The fields of one item of `GET /repos/{o}/{r}/releases` that matter here.
#[derive(Debug, Deserialize)]
struct RawRelease {
    tag_name: Option<String>,
    draft: Option<bool>,
    prerelease: Option<bool>,
    published_at: Option<String>,
    created_at: Option<String>,
}

/// Decodes one page of `GET /repos/{owner}/{repo}/releases`.
///
/// Only `tag_name`, `draft`, `prerelease`, `published_at` and `created_at` are read. Drafts,
/// prereleases, tags that are not plain `vX.Y.Z` and items without a usable timestamp
/// (`published_at` is null for drafts; `created_at` is the fallback) are skipped. The error
/// is for a body that is not a JSON array of objects, or whose read fields have the wrong
/// JSON type (e.g. an error object such as `{"message": "Bad credentials"}`).
pub fn decode_releases_page(json: &[u8]) -> Result<Vec<PublishedRelease>, serde_json::Error> {
    let raw: Vec<RawRelease> = serde_json::from_slice(json)?;
    Ok(raw
        .into_iter()
        .filter(|r| r.draft != Some(true) && r.prerelease != Some(true))
        .filter_map(|r| {
            let version = PatchVersion::parse_tag(r.tag_name.as_deref()?)?;
            let published_at =
                rfc3339(r.published_at.as_deref()).or_else(|| rfc3339(r.created_at.as_deref()))?;
            Some(PublishedRelease {
                version,
                published_at,
            })
        })
        .collect())
}

/// Kubernetes' first GitHub release is from 2014, and nothing is published in the future
/// (a day of clock skew allowed).
pub(super) fn plausible_release_time(at: i64, now: i64) -> bool {
    const FIRST_RELEASES: i64 = 1_388_534_400; // 2014-01-01
    (FIRST_RELEASES..=now.saturating_add(86_400)).contains(&at)
}

/// A page that dates a release before Kubernetes existed or in the future is not data: the
/// whole page is rejected and the last good releases kept.
fn plausible_releases(
    releases: Vec<PublishedRelease>,
    now: i64,
) -> Result<Vec<PublishedRelease>, String> {
    match releases
        .iter()
        .find(|r| !plausible_release_time(r.published_at, now))
    {
        Some(bad) => Err(format!(
            "{} is dated {}, which cannot be a publish time",
            bad.version,
            chrono::DateTime::from_timestamp(bad.published_at, 0)
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| bad.published_at.to_string())
        )),
        None => Ok(releases),
    }
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

impl GithubClient {
    /// Release objects, paged (with ETags) until every minor has one or the pages run out.
    pub(super) async fn release_pages(
        &self,
        spend: &mut Spend,
        minors: &[Minor],
        now: i64,
    ) -> Result<Vec<PublishedRelease>, GithubError> {
        self.check_budget(now)?;
        let octo = self.octo()?;
        let mut releases: Vec<PublishedRelease> = Vec::new();
        let mut missing: BTreeSet<Minor> = minors.iter().copied().collect();
        let mut next_url = Some(format!(
            "{}/repos/{}/{}/releases?per_page=100",
            self.api_url, self.owner, self.repo
        ));
        for page in 1..=MAX_RELEASE_PAGES {
            let Some(url) = next_url.take() else {
                break;
            };
            let mut headers = HeaderMap::new();
            headers.insert(
                http::header::ACCEPT,
                HeaderValue::from_static("application/vnd.github+json"),
            );
            self.release_pages.condition(&url, &mut headers);
            spend.rest_requests = spend.rest_requests.saturating_add(1);
            let response = self
                .send(
                    octo._get_with_headers(url.as_str(), Some(headers)),
                    "core",
                    now,
                )
                .await?;
            let fetched = if response.status == StatusCode::NOT_MODIFIED {
                self.counter.record(Source::Github, Outcome::NotModified);
                spend.rest_not_modified = spend.rest_not_modified.saturating_add(1);
                self.release_pages.not_modified(&url).ok_or_else(|| {
                    GithubError::Decode("304 Not Modified for a page never fetched".to_string())
                })?
            } else if response.status.is_success() {
                let decoded = decode_releases_page(&response.body)
                    .map_err(|error| error.to_string())
                    .and_then(|releases| plausible_releases(releases, now))
                    .map_err(|error| {
                        self.counter.record(Source::Github, Outcome::DecodeError);
                        GithubError::Decode(format!("releases page {page}: {error}"))
                    })?;
                self.counter.record(Source::Github, Outcome::Ok);
                // Follow `Link: rel="next"`; without one (some proxies drop it), a full page of
                // 100 means there may be more.
                let full = serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(&response.body)
                    .map(|items| items.len() >= 100)
                    .unwrap_or(false);
                let next = next_link(&response.headers).or_else(|| {
                    full.then(|| {
                        format!(
                            "{}&page={}",
                            url.split("&page=").next().unwrap_or(&url),
                            page + 1
                        )
                    })
                });
                let fetched = ReleasePage {
                    releases: decoded,
                    next,
                };
                self.release_pages
                    .store(&url, &response.headers, fetched.clone());
                fetched
            } else {
                return Err(self.http_error(&response, now));
            };
            for release in &fetched.releases {
                missing.remove(&release.version.minor());
            }
            releases.extend(fetched.releases);
            if missing.is_empty() {
                break;
            }
            next_url = fetched.next;
        }
        Ok(releases)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(minor: u64, patch: u64) -> PatchVersion {
        PatchVersion::new(1, minor, patch)
    }

    fn rel(minor: u64, patch: u64, at: &str) -> PublishedRelease {
        PublishedRelease {
            version: v(minor, patch),
            published_at: rfc3339(Some(at)).unwrap(),
        }
    }

    #[test]
    fn link_header_next_page_is_found() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::LINK,
            HeaderValue::from_static("<https://api.github.com/repositories/20580498/releases?per_page=100&page=2>; rel=\"next\", <https://api.github.com/repositories/20580498/releases?per_page=100&page=9>; rel=\"last\""),
        );
        assert_eq!(
            next_link(&headers).as_deref(),
            Some("https://api.github.com/repositories/20580498/releases?per_page=100&page=2")
        );
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn releases_dated_before_kubernetes_or_in_the_future_reject_the_page() {
        let now = rfc3339(Some("2026-11-25T12:00:00Z")).unwrap();
        let good = vec![rel(34, 3, "2025-12-09T18:00:00Z")];
        assert_eq!(plausible_releases(good.clone(), now), Ok(good));
        let future = vec![rel(34, 3, "9999-12-31T23:59:59Z")];
        assert!(
            plausible_releases(future, now)
                .unwrap_err()
                .contains("9999")
        );
        assert!(plausible_releases(vec![rel(34, 3, "1970-01-02T00:00:00Z")], now).is_err());
        // A day of clock skew is tolerated.
        assert!(plausible_releases(vec![rel(34, 3, "2026-11-26T06:00:00Z")], now).is_ok());
    }

    /// github-and-prow.md §6.3 verbatim, then rc/draft/odd items around it.
    const RELEASES_PAGE: &str = r#"[
{
  "url": "https://api.github.com/repos/kubernetes/kubernetes/releases/190123999",
  "tag_name": "v1.35.0-rc.1", "name": "v1.35.0-rc.1", "draft": false, "prerelease": true,
  "created_at": "2025-12-10T09:00:00Z", "published_at": "2025-12-10T19:00:00Z", "author": null, "assets": []
},
{
  "url": "https://api.github.com/repos/kubernetes/kubernetes/releases/190123456",
  "html_url": "https://github.com/kubernetes/kubernetes/releases/tag/v1.31.4",
  "assets_url": "https://api.github.com/repos/kubernetes/kubernetes/releases/190123456/assets",
  "upload_url": "https://uploads.github.com/repos/kubernetes/kubernetes/releases/190123456/assets{?name,label}",
  "tarball_url": "https://api.github.com/repos/kubernetes/kubernetes/tarball/v1.31.4",
  "zipball_url": "https://api.github.com/repos/kubernetes/kubernetes/zipball/v1.31.4",
  "id": 190123456, "node_id": "RE_kwDOAToIks4LVQ1A", "tag_name": "v1.31.4", "target_commitish": "release-1.31",
  "name": "v1.31.4", "draft": false, "prerelease": false,
  "created_at": "2024-12-10T09:36:57Z", "published_at": "2024-12-10T18:52:11Z", "author": null, "assets": [],
  "body": "See [kubernetes-announce@](https://groups.google.com/forum/#!forum/kubernetes-announce). Additional binary downloads are linked in the [CHANGELOG](https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.31.md).\n\nSee the [CHANGELOG](https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.31.md) for more details."
},
{"tag_name": "v1.34.3", "draft": false, "prerelease": false, "created_at": "2025-12-09T10:00:00Z", "published_at": "2025-12-09T18:00:00Z"},
{"tag_name": "v1.34.4", "draft": true, "prerelease": false, "created_at": "2026-01-09T10:00:00Z", "published_at": null},
{"tag_name": "v1.35.0-rc.0", "draft": false, "prerelease": false, "created_at": "2025-12-03T10:00:00Z", "published_at": "2025-12-03T18:00:00Z"},
{"tag_name": "v1.34.2+hotfix", "draft": false, "prerelease": false, "published_at": "2025-11-20T18:00:00Z"},
{"tag_name": "v1.33.6", "draft": false, "prerelease": false, "created_at": "2025-11-11T10:00:00+00:00", "published_at": null},
{"tag_name": "v1.33.5", "draft": false, "prerelease": false, "created_at": null, "published_at": "not a date"},
{"tag_name": null, "draft": false, "prerelease": false, "published_at": "2025-11-11T18:00:00Z"},
{"name": "no tag at all", "published_at": "2025-11-11T18:00:00Z", "extra": {"nested": [1, 2, 3]}}
]"#;

    #[test]
    fn decode_page_skips_drafts_prereleases_and_odd_tags() {
        let releases = decode_releases_page(RELEASES_PAGE.as_bytes()).unwrap();
        assert_eq!(
            releases,
            [
                PublishedRelease {
                    version: v(31, 4),
                    published_at: rfc3339(Some("2024-12-10T18:52:11Z")).unwrap(),
                },
                rel(34, 3, "2025-12-09T18:00:00Z"),
                // published_at null: created_at is the fallback.
                rel(33, 6, "2025-11-11T10:00:00Z"),
            ]
        );
        // Neither rc counts: 1.35 has no release yet.
        assert!(releases.iter().all(|r| r.version.minor != 35));
    }

    #[test]
    fn decode_page_errors() {
        assert!(decode_releases_page(b"").is_err());
        assert!(decode_releases_page(b"{\"message\": \"Bad credentials\"}").is_err());
        assert!(decode_releases_page(b"[{\"tag_name\": 5}]").is_err());
        assert!(decode_releases_page(b"[1, 2]").is_err());
        assert_eq!(decode_releases_page(b"[]").unwrap(), []);
    }
}
