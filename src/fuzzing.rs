//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay test: every decoder of
//! upstream data, and the configuration, each taking raw bytes. Not an API.

use crate::{
    config::Config,
    k8s::{
        cherry_pick::{is_dependency_title, parents},
        ci::parse_prow_description,
        eol::parse_eol,
        release_note,
        schedule::parse_schedule,
        version::{BranchKind, Minor, PatchVersion},
    },
    sources::{github, testgrid::decode},
};

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// TestGrid's legacy `/summary`.
pub fn testgrid_legacy(data: &[u8]) {
    let _ = decode::decode_legacy("sig-release-1.37-blocking", data);
}

/// TestGrid's `/api/v1/.../tab-summaries`.
pub fn testgrid_v1(data: &[u8]) {
    let _ = decode::decode_v1("sig-release-1.37-blocking", data);
}

/// TestGrid's `/api/v1/.../headers`.
pub fn testgrid_headers(data: &[u8]) {
    let _ = decode::decode_headers("sig-release-1.37-blocking", data);
}

/// kubernetes/website `schedule.yaml`.
pub fn schedule(data: &[u8]) {
    let _ = parse_schedule(&text(data));
}

/// kubernetes/website `eol.yaml`.
pub fn eol(data: &[u8]) {
    let _ = parse_eol(&text(data));
}

/// A GraphQL answer, decoded as every document branchwatch sends.
pub fn graphql(data: &[u8]) {
    github::decode_all_documents(data);
}

/// A page of `GET /releases`, and a `Link` header.
pub fn releases(data: &[u8]) {
    let _ = github::decode_releases_page(data);
    if let Ok(value) = http::HeaderValue::from_bytes(data) {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::LINK, value);
        let _ = github::next_link(&headers);
    }
}

/// A Prow status description.
pub fn prow_description(data: &[u8]) {
    let _ = parse_prow_description(&text(data));
}

/// A PR's title, body and head ref (split at the first two NUL bytes), and the body's release
/// note.
pub fn cherry_pick(data: &[u8]) {
    let text = text(data);
    let mut parts = text.splitn(3, '\0');
    let (title, body, head) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let _ = parents(131_200, title, body, head);
    let _ = is_dependency_title(title);
    let _ = release_note::parse(body);
}

/// A version tag, minor or branch name.
pub fn version(data: &[u8]) {
    let text = text(data);
    let _ = PatchVersion::parse_tag(&text);
    let _ = Minor::parse(&text);
    let _ = BranchKind::parse(&text);
}

/// The YAML configuration.
pub fn config(data: &[u8]) {
    let env: [(&str, &str); 0] = [];
    let _ = Config::from_yaml(&text(data), "fuzz", &env);
}
