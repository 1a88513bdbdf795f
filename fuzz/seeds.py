#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into <out>/<target>/ (default fuzz/seeds/).

Seeds are realistic shapes: the fixtures in tests/fixtures/, the samples documented in
shared/reference/testgrid-api.md and github-and-prow.md, hand-written edge cases (Prow
descriptions, cherry-pick triples, version tags, configuration files), and, with
--demo http://127.0.0.1:PORT, everything the replay upstream of `cargo run -- demo` serves
(run it three times across the demo's ten-minute loop, e.g. --tag calm / red / stale, to see
every moment: release-1.34 red from ~1 min to ~6 min, a stale 1.36 tab from ~3 to ~8 min).

The seeds are a starting point only: the corpus kept in fuzz/corpus/ is what `cargo fuzz run`
grew from them, minimised with `cargo fuzz cmin`. Standard library only.
"""

import argparse
import hashlib
import json
import os
import re
import sys
import urllib.error
import urllib.request

FUZZ = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(FUZZ)
FIXTURES = os.path.join(REPO, "tests", "fixtures")

TARGETS = [
    "testgrid_legacy", "testgrid_v1", "testgrid_headers", "schedule", "eol", "graphql",
    "releases", "prow_description", "cherry_pick", "version", "config",
]

SHA = "9d8c7b6a5f4e3d2c1b0a99887766554433221100"
HEAD_SHA = "3f1c2e9a7b5d4c8e0f6a1b2c3d4e5f60718293a4"
SHA256 = "a" * 64
HTML_500 = ("<html><head><title>500 Server Error</title></head><body><h1>500 Server Error</h1>"
            "<p>The server encountered an error. Please try again in 30 seconds.</p></body></html>")
BUG_URL = "https://github.com/kubernetes/kubernetes/issues/"


class Seeds:
    def __init__(self, out):
        self.out = out
        self.count = {t: 0 for t in TARGETS}

    def add(self, target, name, data):
        if isinstance(data, (dict, list)):
            data = json.dumps(data)
        if isinstance(data, str):
            data = data.encode("utf-8")
        directory = os.path.join(self.out, target)
        os.makedirs(directory, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
        self.count[target] += 1

    def add_truncated(self, target, name, data):
        """The whole body, and the body cut in half (the demo's `Truncated` fault)."""
        if isinstance(data, (dict, list)):
            data = json.dumps(data)
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.add(target, name, data)
        self.add(target, name + ".half", data[: len(data) // 2])


def fixture(*path):
    with open(os.path.join(FIXTURES, *path), "rb") as f:
        return f.read()


def prow(text, sha=SHA, marker=" BaseSHA:"):
    """A Prow description: text, U+2001 padding up to 140 characters, then the marker and SHA."""
    suffix = marker + sha
    pad = max(0, 140 - len(text) - len(suffix))
    return text + "\u2001" * pad + suffix


# === TestGrid ===

def legacy_tab(overall, icon, **extra):
    tab = {
        "alert": "", "last_run_timestamp": 1787310133, "last_update_timestamp": 1787311900,
        "latest_green": "3f9c2a71b", "overall_status": overall, "overall_status_icon": icon,
        "status": "Tab stats: 10 of 10 (100.0%) recent columns passed (7420 of 7420 or 100.0% cells)",
        "tests": [], "dashboard_name": "sig-release-1.37-blocking", "bug_url": BUG_URL,
    }
    tab.update(extra)
    return tab


def testgrid(seeds):
    seeds.add_truncated("testgrid_legacy", "fixture-legacy-1.37-blocking",
                        fixture("testgrid", "legacy-sig-release-1.37-blocking.json"))
    seeds.add_truncated("testgrid_v1", "fixture-v1-1.37-blocking",
                        fixture("testgrid", "v1-sig-release-1.37-blocking.json"))

    # testgrid-api.md §3.1: real, ms-era last_run_timestamp, healthiness, empty dashboard_name.
    seeds.add("testgrid_legacy", "ref-3.1-ms-era", {"aks-engine-windows-containerd-master": {
        "alert": "", "last_run_timestamp": 1619632613000, "last_update_timestamp": 1619639102,
        "latest_green": "dc6b04c14", "overall_status": "FLAKY",
        "overall_status_icon": "remove_circle_outline",
        "status": "7 of 10 (70.0%) recent columns passed (2425 of 2432 or 99.7% cells)",
        "tests": [], "dashboard_name": "sig-windows-signal",
        "healthiness": {"tests": [], "previousFlakiness": -1}}})
    seeds.add("testgrid_legacy", "ref-3.1-openshift-2020", {
        "release-openshift-ocp-installer-console-aws-4.4": {
            "alert": "", "last_run_timestamp": 1585175980000, "last_update_timestamp": 1585180645,
            "latest_green": "1", "overall_status": "PASSING", "overall_status_icon": "done",
            "status": "10 of 10 (100.0%) recent columns passed (3670 of 3670 or 100.0% cells)",
            "tests": [], "dashboard_name": ""}})
    # §3.2: a FAILING tab's tests[] (Oct 2021), multi-line failure message, pass_timestamp 0.
    failing_tests = [
        {"display_name": "Overall", "test_name": "Overall", "fail_count": 27,
         "fail_timestamp": 1628796570, "pass_timestamp": 0, "build_link": "", "build_url_text": "",
         "build_link_text": "", "failure_message": "", "linked_bugs": [], "fail_test_link": " Overall"},
        {"display_name": "operator.Run template e2e-aws", "test_name": "operator.Run template e2e-aws",
         "fail_count": 10, "fail_timestamp": 1632253244, "pass_timestamp": 0, "build_link": "",
         "build_url_text": "", "build_link_text": "",
         "failure_message": "template pod \"e2e-aws-cnv\" failed: pod didn't start running within 30m...onverged-cluster-operator-tests\"\n* 1x kubelet: Error: ImagePullBackOff",
         "linked_bugs": [], "fail_test_link": " operator.Run%20template%20e2e-aws"}]
    seeds.add("testgrid_legacy", "ref-3.2-failing", {
        "canary-release-openshift-origin-installer-e2e-aws-4.6-cnv": legacy_tab(
            "FAILING", "warning", latest_green="no recent greens", tests=failing_tests,
            status="0 of 10 (0.0%) recent columns passed (10 of 40 or 25.0% cells)")})
    # Every status string, and the odd shapes: missing fields, "missing" green, unknown status.
    seeds.add("testgrid_legacy", "statuses", {
        "kind-1.37": legacy_tab("PASSING", "done"),
        "gce-cos-default-1.37": legacy_tab("FLAKY", "remove_circle_outline"),
        "Conformance - GCE - 1.37": legacy_tab(
            "STALE", "", alert="latest column from 2026-08-19 03:00:00 +0000 UTC (56h30m0s old)"),
        "sig-network-kind, loadbalancer": legacy_tab("BROKEN", ""),
        "integration-arm64-1.37": legacy_tab("", "", alert="no completed results",
                                             last_run_timestamp=0, status="no completed results",
                                             latest_green="no recent greens"),
        "build-1.37": legacy_tab("PENDING", "", latest_green="missing"),
        "cmd-1.37": legacy_tab("ACCEPTABLE", ""),
        "verify-1.37": legacy_tab("UNKNOWN", "", status="Newly created tab"),
        "kind-ipv6-1.37": {"overall_status": "SOMETHING_NEW"},
        "gce-1.37-scale-performance-100": {},
    })
    seeds.add("testgrid_legacy", "not-found", "Dashboard sig-release-9.99-blocking not found")
    seeds.add("testgrid_legacy", "html-500", HTML_500)
    seeds.add("testgrid_legacy", "empty-object", "{}")
    seeds.add("testgrid_legacy", "wrong-shape", '{"foo": "bar"}')
    seeds.add("testgrid_legacy", "float-timestamps", {"kind-master": legacy_tab(
        "PASSING", "done", last_run_timestamp=1.7873101335e9, last_update_timestamp=-1)})

    # testgrid-api.md §3.3 (real, Jan 2026) and §3.5.
    seeds.add("testgrid_v1", "ref-3.3-kind-master", {"tab_summaries": [{
        "dashboard_name": "sig-release-master-blocking", "tab_name": "kind-master",
        "overall_status": "PASSING",
        "detailed_status_message": "Tab stats: 10 of 10 (100.0%) recent columns passed (26510 of 26510 or 100.0% cells)",
        "last_run_timestamp": "2026-01-28T18:16:55Z", "last_update_timestamp": "2026-01-28T18:47:50Z",
        "latest_passing_build": "a57b4befd"}]})
    seeds.add("testgrid_v1", "ref-dashboard-summary", {"dashboard_summary": {
        "name": "sig-release-master-blocking", "overall_status": "FLAKY",
        "tab_status_count": {"FLAKY": 4, "PASSING": 18}}})
    seeds.add("testgrid_v1", "ref-1.4-healthiness", {"tab_summaries": [{
        "dashboard_name": "sig-release-1.37-blocking", "tab_name": "kind-1.37", "overall_status": "FLAKY",
        "last_run_timestamp": "2026-08-21T11:02:13Z", "last_update_timestamp": "2026-08-21T11:31:40.123456789Z",
        "latest_passing_build": "no recent greens",
        "failures_summary": {"top_failing_tests": [{"display_name": "Overall", "fail_count": 6,
                                                    "pass_timestamp": "1970-01-01T00:00:00Z",
                                                    "fail_timestamp": "2026-08-21T05:00:00+02:00"}],
                             "failure_stats": {"num_failing_tests": 7}},
        "healthiness_summary": {"top_flaky_tests": [{"display_name": "x", "flakiness": 12.5, "change": "UP"}],
                                "healthiness_stats": {"start": "2026-08-01T00:00:00Z", "end": "2026-08-21T00:00:00Z",
                                                      "num_flaky_tests": 1, "average_flakiness": 3.2,
                                                      "previous_flakiness": -1}}}]})
    seeds.add("testgrid_v1", "not-found", 'dashboard {"sigrelease199blocking"} not found\n')
    seeds.add("testgrid_v1", "html-500", HTML_500)
    seeds.add("testgrid_v1", "empty", '{"tab_summaries": []}')
    seeds.add("testgrid_v1", "wrong-shape", '{"foo": "bar"}')

    seeds.add("testgrid_headers", "ref-3.3", {"headers": [
        {"build": "2016584716093755392", "started": "2026-01-28T18:50:37Z", "extra": [""]},
        {"build": "2016569868328898560", "started": "2026-01-28T17:51:37Z", "extra": ["a57b4befd"]}]})
    seeds.add("testgrid_headers", "full-fields", {"headers": [
        {"build": "2016584716093755392", "name": "2016584716093755392",
         "started": "2026-01-28T18:50:37.5Z", "extra": [HEAD_SHA, "infra-commit"], "hotlist_ids": ["1"]},
        {"build": "1", "started": "1970-01-01T00:00:00Z", "extra": [" " + SHA256 + " "]},
        {"build": "2", "extra": []}, {}]})
    seeds.add("testgrid_headers", "tab-not-found", "tab not found\n")
    seeds.add("testgrid_headers", "empty", '{"headers": []}')
    seeds.add("testgrid_headers", "html-500", HTML_500)


# === schedule.yaml and eol.yaml ===

def schedules(seeds):
    for name in ["schedule-2023-07.yaml", "schedule-2024-10.yaml", "schedule-2026-09.yaml"]:
        data = fixture(name)
        seeds.add("schedule", "fixture-" + name, data)
        # Cut after the first minor's block: still valid YAML (the demo's WrongShape).
        text = data.decode()
        cut = [m.start() for m in re.finditer(r"\n- ", text)]
        if len(cut) > 1:
            seeds.add("schedule", "cut-" + name, text[: cut[1]] + "\n")
    seeds.add("eol", "fixture-eol-2025-11.yaml", fixture("eol-2025-11.yaml"))
    seeds.add("eol", "eol-unquoted", "branches:\n- endOfLifeDate: 2025-11-11\n  finalPatchRelease: 1.31.14\n"
              "  release: 1.30\n- endOfLifeDate: \"\"\n  release: \"1.29\"\n")
    for target in ["schedule", "eol"]:
        seeds.add(target, "wrong-shape.yaml", "foo: bar\n")
        seeds.add(target, "empty.yaml", "")
        seeds.add(target, "html-500", HTML_500)
        seeds.add(target, "alias-bomb.yaml",
                  'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
                  "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                  "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                  "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n")
    seeds.add("schedule", "tags-and-anchors.yaml",
              "schedules:\n- &s\n  release: !!str 1.30\n  releaseDate: 2024-04-17\n"
              "  maintenanceModeStartDate: '2025-04-28'\n  endOfLifeDate: \"2025-06-28\"\n"
              "  next: {release: 1.30.3, cherryPickDeadline: N/A, targetDate: 2024-07-16}\n"
              "  previousPatches: [{release: 1.30.2, targetDate: 2024-06-11, note: '[x](y)'}]\n"
              "- *s\nupcoming_releases:\n- cherryPickDeadline: \"2024-10-11\"\n  targetDate: \"2024-10-15\"\n")


# === GitHub ===

def pr_node(number, base="release-1.31", **extra):
    node = {
        "__typename": "PullRequest", "number": number,
        "title": "Automated cherry pick of #128519: kubelet: fix panic when pod has no status",
        "url": f"https://github.com/kubernetes/kubernetes/pull/{number}",
        "body": "Cherry pick of #128519 on release-1.31.\n\n#128519: kubelet: fix panic when pod has no status\n\n```release-note\nFixed a kubelet panic.\n```",
        "isDraft": False, "createdAt": "2024-11-14T09:12:44Z", "updatedAt": "2024-11-18T16:03:10Z",
        "mergeable": "MERGEABLE", "baseRefName": base,
        "headRefName": "automated-cherry-pick-of-#128519-upstream-release-1.31",
        "headRefOid": HEAD_SHA, "author": {"login": "alice-dev"}, "milestone": {"title": "v1.31"},
        "labels": {"nodes": [{"name": n} for n in [
            "kind/bug", "cncf-cla: yes", "release-note", "priority/critical-urgent", "lgtm", "approved",
            "do-not-merge/cherry-pick-not-approved", "sig/node"]]},
        "statusCheckRollup": {"contexts": {"nodes": [
            {"__typename": "StatusContext", "context": "EasyCLA", "state": "SUCCESS",
             "description": "EasyCLA check passed. You are authorized to contribute.",
             "targetUrl": "https://easycla.lfx.linuxfoundation.org/#/?version=2", "createdAt": "2024-11-14T09:13:02Z"},
            {"__typename": "StatusContext", "context": "pull-kubernetes-verify", "state": "FAILURE",
             "description": prow("Job failed."),
             "targetUrl": f"https://prow.k8s.io/view/gs/kubernetes-ci-logs/pr-logs/pull/{number}/pull-kubernetes-verify/1857812345678901249/",
             "createdAt": "2024-11-14T10:40:12Z"},
            {"__typename": "StatusContext", "context": "pull-kubernetes-e2e-kind", "state": "PENDING",
             "description": prow("Job triggered.", marker=" Basesha:"), "targetUrl": None,
             "createdAt": "2024-11-14T10:41:00Z"},
            {"__typename": "StatusContext", "context": "tide", "state": "PENDING",
             "description": "Not mergeable. Should not have do-not-merge/cherry-pick-not-approved label.",
             "targetUrl": "https://prow.k8s.io/pr?query=is%3Apr", "createdAt": "2024-11-18T16:03:40Z"},
            {"__typename": "CheckRun", "name": "Cargo test", "status": "COMPLETED", "conclusion": "SUCCESS",
             "detailsUrl": "https://github.com/x/y/actions/runs/1/job/2",
             "startedAt": "2023-08-30T17:29:22Z", "completedAt": "2023-08-30T17:31:13Z"},
            {"__typename": "CheckRun", "name": "lint", "status": "IN_PROGRESS", "conclusion": None,
             "detailsUrl": None, "startedAt": "2023-08-30T17:29:22Z", "completedAt": None},
            None]}},
    }
    node.update(extra)
    return node


RATE = {"cost": 1, "remaining": 4990, "resetAt": "2026-11-25T13:00:00Z", "limit": 5000, "used": 10}


def github(seeds):
    g = "graphql"
    seeds.add(g, "heads", {"data": {"rateLimit": RATE, "repository": {
        "master": {"name": "master", "target": {"oid": SHA}},
        "refs": {"pageInfo": {"hasNextPage": True, "endCursor": "Y3Vyc29yOnYyOpHOAAAAAQ=="},
                 "nodes": [{"name": f"release-1.{m}", "target": {"oid": HEAD_SHA}} for m in range(28, 38)]
                 + [{"name": "release-1.34.2", "target": {"oid": SHA}}, {"name": "release-v1", "target": None},
                    None, {"target": {"oid": 1}}]}}}})
    seeds.add(g, "pull-requests", {"data": {"rateLimit": RATE, "search": {
        "issueCount": 4, "pageInfo": {"hasNextPage": False, "endCursor": None},
        "nodes": [pr_node(128771), pr_node(128772, isDraft=True, mergeable="CONFLICTING", body=None,
                                             author=None, milestone=None, statusCheckRollup=None),
                  {"__typename": "Issue"}, {"__typename": "PullRequest", "number": "not a number"}, None]}}})
    seeds.add(g, "wire-test", '{"data": {"rateLimit": {"cost": 1, "remaining": 4990, "resetAt": "2026-11-25T13:00:00Z"},'
              ' "search": {"pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": ['
              ' {"__typename": "PullRequest", "number": 1, "title": "ok", "baseRefName": "release-1.34"},'
              ' {"__typename": "PullRequest", "number": "not a number"}, {"__typename": "Issue"}, null]}}}')
    seeds.add(g, "parents-partial", {"data": {"rateLimit": RATE, "repository": {
        "p128519": {"number": 128519, "url": "https://github.com/kubernetes/kubernetes/pull/128519",
                    "state": "MERGED", "merged": True, "mergedAt": "2024-11-01T10:00:00Z", "baseRefName": "master",
                    "labels": {"nodes": [{"name": "release-note"}, {"name": "kind/bug"}]}},
        "p128520": {"number": 128520, "url": "https://github.com/kubernetes/kubernetes/pull/128520",
                    "state": "OPEN", "merged": False, "mergedAt": None, "baseRefName": "master",
                    "labels": {"nodes": []}},
        "p999999": None}},
        "errors": [{"type": "NOT_FOUND", "path": ["repository", "p999999"], "locations": [{"line": 5, "column": 5}],
                    "message": "Could not resolve to a PullRequest with the number of 999999."}]})
    seeds.add(g, "changed-files", {"data": {"rateLimit": RATE, "repository": {
        "p128771": {"number": 128771, "headRefOid": HEAD_SHA, "files": {"totalCount": 3, "nodes": [
            {"path": "go.mod"}, {"path": "vendor/modules.txt"}, {"path": "build/dependencies.yaml"}]}},
        "p128772": {"number": 128772, "headRefOid": SHA, "files": None}, "p1": None}}})
    seeds.add(g, "release-tags", {"data": {"rateLimit": RATE, "repository": {
        "m1_31": {"nodes": [
            {"name": "v1.31.4", "target": {"__typename": "Tag", "oid": SHA, "tagger": {"date": "2024-12-10T09:36:57-08:00"},
                                           "target": {"committedDate": "2024-12-10T08:00:00Z"}}},
            {"name": "v1.31.3", "target": {"__typename": "Commit", "oid": SHA, "committedDate": "2024-11-19T08:00:00Z"}},
            {"name": "v1.31.2", "target": {"__typename": "Tag", "oid": SHA, "tagger": None,
                                           "target": {"committedDate": "2024-10-22T08:00:00Z"}}},
            {"name": "v1.31.1", "target": None}]},
        "m1_32": {"nodes": []}, "m1_33": None}}})
    seeds.add(g, "rate-limited", {"errors": [{"type": "RATE_LIMITED", "code": "graphql_rate_limit",
                                              "message": "API rate limit already exceeded for user ID 1."}], "data": None})
    seeds.add(g, "errors-only", {"data": None, "errors": [{"message": "Something went wrong while executing your query."}]})
    seeds.add(g, "forbidden", {"data": {"repository": None}, "errors": [{"type": "FORBIDDEN", "message": "Resource not accessible",
                                                                         "extensions": {"code": "FORBIDDEN"}}]})
    seeds.add(g, "unauthorized", {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
    seeds.add(g, "truncated", '{"data": {"repository": {"refs": {"nodes": [')
    seeds.add(g, "html-502", HTML_500.replace("500 Server Error", "502 Bad Gateway"))

    r = "releases"
    release = {
        "url": "https://api.github.com/repos/kubernetes/kubernetes/releases/190123456",
        "html_url": "https://github.com/kubernetes/kubernetes/releases/tag/v1.31.4",
        "assets_url": "https://api.github.com/repos/kubernetes/kubernetes/releases/190123456/assets",
        "upload_url": "https://uploads.github.com/repos/kubernetes/kubernetes/releases/190123456/assets{?name,label}",
        "tarball_url": "https://api.github.com/repos/kubernetes/kubernetes/tarball/v1.31.4",
        "zipball_url": "https://api.github.com/repos/kubernetes/kubernetes/zipball/v1.31.4",
        "id": 190123456, "node_id": "RE_kwDOAToIks4LVQ1A", "tag_name": "v1.31.4", "target_commitish": "release-1.31",
        "name": "v1.31.4", "draft": False, "prerelease": False,
        "created_at": "2024-12-10T09:36:57Z", "published_at": "2024-12-10T18:52:11Z", "author": None, "assets": [],
        "body": "See [kubernetes-announce@](https://groups.google.com/forum/#!forum/kubernetes-announce)."}
    rc = dict(release, tag_name="v1.32.0-rc.1", name="v1.32.0-rc.1", prerelease=True, published_at=None)
    draft = dict(release, tag_name="v1.33.0", draft=True, created_at="9999-12-31T23:59:59Z")
    seeds.add(r, "ref-6.3-page", [release, rc, draft, {"tag_name": "release-1.34.2"}, {}])
    seeds.add(r, "empty-page", "[]")
    seeds.add(r, "unauthorized", {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
    seeds.add(r, "rate-limited", {"message": "API rate limit exceeded for user ID 1.",
                                  "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"})
    # Link headers (the same target decodes its input as a `Link` header value too).
    seeds.add(r, "link-ref-3.3", '<https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", '
              '<https://api.github.com/repositories/1300192/issues?page=4>; rel="next", '
              '<https://api.github.com/repositories/1300192/issues?page=515>; rel="last", '
              '<https://api.github.com/repositories/1300192/issues?page=1>; rel="first"')
    seeds.add(r, "link-next", '<https://api.github.com/repositories/20580498/releases?per_page=100&page=2>; rel="next"')
    seeds.add(r, "link-odd", "<https://api.github.com/x?page=2>;rel=next,<>; rel=\"next last\" , <a>; REL='next'")


# === small inputs ===

def small(seeds):
    p = "prow_description"
    for text in ["Job succeeded.", "Job failed.", "Job triggered.", "Job pod was OOM killed by the cluster.",
                 "Job pod was evicted by the cluster.", "Pod scheduling timeout.", "Pod pending timeout.",
                 "Pod running timeout.", "Pod got deleted unexpectedly",
                 "Pod was in succeeded phase but some containers didn't finish"]:
        seeds.add(p, "prow-" + text, prow(text))
    seeds.add(p, "deprecated-basesha", prow("Job failed.", marker=" Basesha:"))
    seeds.add(p, "sha256", prow("Job succeeded.", sha=SHA256))
    seeds.add(p, "short-sha", prow("Job succeeded.", sha="dc6b04c14"))
    seeds.add(p, "uppercase-sha", prow("Job succeeded.", sha=SHA.upper()))
    seeds.add(p, "bad-sha", prow("Job succeeded.", sha="not-a-sha\u2001"))
    seeds.add(p, "two-markers", prow("Job failed. BaseSHA:" + SHA))
    seeds.add(p, "overridden", prow("Overridden by alice-dev"))
    seeds.add(p, "skip-retest", "Job succeeded. [prow:skip-retest]")
    seeds.add(p, "tide-pool", "In merge pool.")
    seeds.add(p, "tide-retesting", "Not mergeable. Retesting: pull-kubernetes-unit pull-kubernetes-verify")
    seeds.add(p, "tide-blocked", "Not mergeable. Merging is blocked by issue 123.")
    seeds.add(p, "easycla", "EasyCLA check passed. You are authorized to contribute.")
    seeds.add(p, "empty", "")
    seeds.add(p, "only-marker", " BaseSHA:")

    c = "cherry_pick"

    def triple(title, body, head):
        return title + "\0" + body + "\0" + head

    seeds.add(c, "script-one", triple(
        "Automated cherry pick of #125483: kubelet: fix panic when pod has no status",
        "Cherry pick of #125483 on release-1.31.\n\n#125483: kubelet: fix panic when pod has no status\n\n"
        "For details on the cherry pick process, see the [cherry pick requests]"
        "(https://git.k8s.io/community/contributors/devel/sig-release/cherry-picks.md) page.\n\n"
        "```release-note\nFixed a kubelet panic when a pod had no status.\n```",
        "automated-cherry-pick-of-#125483-upstream-release-1.31"))
    seeds.add(c, "script-two", triple(
        "Automated cherry pick of #123: first #456: second",
        "Cherry pick of #123 #456 on release-1.31.\n\n#123: first\n#456: second\n",
        "automated-cherry-pick-of-#123-#456-origin-release-1.31"))
    seeds.add(c, "script-old", triple("Automated cherry pick of #123 #456", "Cherry pick of #123 #456 on release-1.9.",
                                      "automated-cherry-pick-of-#123-#456-upstream-release-1.9"))
    seeds.add(c, "hand-made", triple("[release-1.34] Bump golang.org/x/net to v0.33.0",
                                     "Manual cherry-pick of #129000.\n\n/kind bug", "cherry-pick-129000-to-1.34"))
    seeds.add(c, "dependency-titles", triple("[release-1.33] Update go to 1.24.6 and distroless iptables",
                                             "", "go-1.24.6"))
    seeds.add(c, "dependency-arrow", triple("Automated cherry pick of #1: bump etcd v3.5.16 -> v3.5.21", "", ""))
    seeds.add(c, "dependency-fix", triple("kubeadm: fix upgrade to v1.31", "", ""))
    seeds.add(c, "dependency-from-to", triple("Bumps github.com/x/y from 0.21.0 to 0.31.0", "", ""))
    seeds.add(c, "huge-number", triple("Automated cherry pick of #99999999999999999999999: x",
                                       "Cherry pick of #18446744073709551616 on release-1.31.", "automated-cherry-pick-of-#0-"))
    seeds.add(c, "title-only", "Automated cherry-pick of #131200, #131201: revert")
    seeds.add(c, "crlf", triple("Automated cherry pick of #1", "cherry-pick of #2,#3 on release-1.30.\r\n", ""))
    seeds.add(c, "empty", "\0\0")
    # Release notes as kubernetes/kubernetes' PR template asks for them.
    template = ("#### What type of PR is this?\n\n/kind bug\n\n#### What this PR does / why we need it:\n\n"
                "#### Does this PR introduce a user-facing change?\n<!--\nIf no, just write \"NONE\" in the "
                "release-note block below.\n-->\n")
    seeds.add(c, "note-none", triple("Fix typo", template + "```release-note\nNONE\n```\n", "typo"))
    seeds.add(c, "note-action-required", triple("Drop flag", template +
              "```release-note\nACTION REQUIRED: the --foo flag is removed.\n```\n\n"
              "#### Additional documentation e.g., KEPs:\n```docs\n- [KEP]: https://example.com\n```", "drop"))
    seeds.add(c, "note-unclosed", triple("x", template + "```release-note\nstill open", "x"))
    seeds.add(c, "note-crlf", triple("x", "```release-note\r\nFixed a bug.\r\n```\r\n", "x"))
    seeds.add(c, "note-two-blocks", triple("x", "```release-note\nA\n```\n```release-note\nB\n```", "x"))
    seeds.add(c, "note-tilde-fence", triple("x", "~~~release-note\nA\n~~~\n````release-note\nB\n````", "x"))

    v = "version"
    for tag in ["v1.31.10", "v1.35.0-rc.1", "release-1.34.2", "release-1.34", "master", "1.34", "v1.34",
                "v1.38.0-beta.0", "v1.38.0-alpha.3", "v1.37.0-rc.0", "release-v1.34", "release-1.30",
                "1.30", "v1.2.3.4", "v18446744073709551615.0.0", "v18446744073709551616.0.1", " v1.34.2 ",
                "v01.034.002", "release-1..2", "v-1.2.3", "v+1.2.3", "release-1.34.2.1", ""]:
        seeds.add(v, "tag-" + (tag.strip() or "empty") + hashlib.sha1(tag.encode()).hexdigest()[:6], tag)

    cfg = "config"
    with open(os.path.join(REPO, "deploy", "base", "configmap.yaml")) as f:
        configmap = f.read()
    body = configmap.split("config.yaml: |\n", 1)[1]
    body = "\n".join(line[4:] for line in body.splitlines()) + "\n"
    seeds.add(cfg, "deploy-configmap.yaml", body)
    seeds.add(cfg, "empty.yaml", "")
    seeds.add(cfg, "readme-full.yaml", """listen: "127.0.0.1:9850"
poll_interval: 90s
request_timeout: 30s
github:
  api_url: https://api.github.com
  repo: kubernetes/kubernetes
  token_file: /run/secrets/github-token
testgrid:
  url: https://testgrid.k8s.io
  api_url: https://testgrid-api.prow.k8s.io
  api: legacy
  dashboards:
    blocking: [sig-release-{minor}-blocking]
    informing: [sig-release-{minor}-informing]
  stale_after: 24h
schedule:
  url: https://raw.githubusercontent.com/kubernetes/website/main/data/releases/schedule.yaml
  eol_url: https://raw.githubusercontent.com/kubernetes/website/main/data/releases/eol.yaml
branches: [master, release-1.34, release-1.35, release-1.34.2]
release_window:
  min: 14d
  max: 28d
branch_wide:
  min_failing_prs: 3
  min_failing_fraction: 0.5
  failure_window: 72h
""")
    seeds.add(cfg, "readme-errors.yaml", "poll_intervall: 5m\ntestgrid:\n  api: v2\nrelease_window: {min: 28d, max: 14d}\n"
              "request_timeout: 10m\npoll_interval: 1m\nbranch_wide: {min_failing_fraction: 1.5, min_failing_prs: -1}\n")
    seeds.add(cfg, "odd-values.yaml", "listen: not-an-address\npoll_interval: 0s\ngithub: {repo: nope, api_url: 'ftp://x'}\n"
              "branches: auto\ntestgrid: {dashboards: {blocking: [], informing: ['{minor}']}, stale_after: 1y}\n")
    seeds.add(cfg, "not-a-mapping.yaml", "- a\n- b\n")
    seeds.add(cfg, "null.yaml", "~\n")


# === the demo ===

def demo(seeds, base, tag):
    auth = {"Authorization": "bearer demo-token-not-a-secret"}

    def get(path, headers=None, data=None):
        request = urllib.request.Request(base + path, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.read(), dict(error.headers)

    def graphql(query, variables):
        body = json.dumps({"query": query, "variables": variables}).encode()
        return get("/github/graphql", dict(auth, **{"Content-Type": "application/json"}), body)[0]

    for dashboard in ["sig-release-master-blocking", "sig-release-1.34-blocking", "sig-release-1.36-blocking",
                      "sig-release-1.37-informing", "sig-release-9.99-blocking"]:
        seeds.add("testgrid_legacy", f"demo-{tag}-{dashboard}", get(f"/testgrid/{dashboard}/summary")[0])
        seeds.add("testgrid_v1", f"demo-{tag}-{dashboard}",
                  get(f"/testgrid-api/api/v1/dashboards/{dashboard}/tab-summaries")[0])
    for tab in ["verify-1.34", "kind-1.34", "ci-kubernetes-unit-1-34", "nope"]:
        seeds.add("testgrid_headers", f"demo-{tag}-{tab}",
                  get(f"/testgrid-api/api/v1/dashboards/sig-release-1.34-blocking/tabs/{tab}/headers")[0])
    seeds.add("schedule", f"demo-{tag}-schedule.yaml", get("/schedule.yaml")[0])
    seeds.add("eol", f"demo-{tag}-eol.yaml", get("/eol.yaml")[0])

    owner = {"owner": "kubernetes", "name": "kubernetes"}
    seeds.add("graphql", f"demo-{tag}-heads", graphql("query BranchHeads($owner: String!) { }", owner))
    pages = []
    for branch in ["master", "release-1.34", "release-1.36"]:
        page = graphql("query BranchPullRequests($query: String!, $cursor: String) { }",
                       {"query": f"repo:kubernetes/kubernetes is:pr is:open base:{branch}"})
        pages.append(page.decode())
        seeds.add("graphql", f"demo-{tag}-prs-{branch}", page)
    text = "".join(pages)
    parents = sorted(set(re.findall(r"Cherry pick of #(\d+)", text)))[:50] + ["999999"]
    numbers = sorted(set(re.findall(r'"number":(\d+)', text)))[:50]

    def aliased(operation, items):
        lines = "".join(f"    p{n}: pullRequest(number: {n}) {{ number }}\n" for n in items)
        return f"query {operation}($owner: String!, $name: String!) {{\n  repository(owner: $owner, name: $name) {{\n{lines}  }}\n}}"

    seeds.add("graphql", f"demo-{tag}-parents", graphql(aliased("ParentPullRequests", parents), owner))
    seeds.add("graphql", f"demo-{tag}-files", graphql(aliased("ChangedFiles", numbers), owner))
    minors = "".join(f"    m1_{m}: refs(x)\n" for m in [34, 35, 36, 37])
    seeds.add("graphql", f"demo-{tag}-tags",
              graphql(f"query ReleaseTags($owner: String!, $name: String!) {{\n  repository {{\n{minors}  }}\n}}", owner))
    since = "2026-01-01T00:00:00Z"
    merged = {f"q{i}": f"repo:kubernetes/kubernetes is:pr is:merged base:{b} merged:>={since}"
              for i, b in enumerate(["release-1.34", "release-1.35", "release-1.36", "release-1.37"])}
    seeds.add("graphql", f"demo-{tag}-merged",
              graphql("query MergedPullRequests($q0: String!) { }", dict(owner, **merged)))
    unapproved = sorted(set(re.findall(r'"number":(\d+)', pages[1] if len(pages) > 1 else text)))[:50]
    removals = "".join(f"    p{n}: pullRequest(number: {n}) {{ number }}\n" for n in unapproved)
    seeds.add("graphql", f"demo-{tag}-label-removals",
              graphql(f"query LabelRemovals($owner: String!, $name: String!) {{\n  repository {{\n{removals}  }}\n}}",
                      owner))
    seeds.add("graphql", f"demo-{tag}-unknown-operation", graphql("query Nope { }", owner))
    seeds.add("graphql", f"demo-{tag}-no-token", get("/github/graphql", {}, b"{}")[0])
    for page in [1, 2, 3]:
        body, headers = get(f"/github/repos/kubernetes/kubernetes/releases?per_page=100&page={page}", auth)
        seeds.add("releases", f"demo-{tag}-releases-page{page}", body)
        link = {k.lower(): v for k, v in headers.items()}.get("link")
        if link:
            seeds.add("releases", f"demo-{tag}-link-page{page}", link)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(FUZZ, "seeds"))
    parser.add_argument("--demo", help="base URL of `cargo run -- demo`'s replay upstream")
    parser.add_argument("--tag", default="demo", help="name part of the demo captures (e.g. calm, red, stale)")
    parser.add_argument("--demo-only", action="store_true", help="capture the demo only")
    args = parser.parse_args()
    seeds = Seeds(args.out)
    if not args.demo_only:
        testgrid(seeds)
        schedules(seeds)
        github(seeds)
        small(seeds)
    if args.demo:
        demo(seeds, args.demo.rstrip("/"), args.tag)
    for target, count in seeds.count.items():
        print(f"{target}: {count} seeds")


if __name__ == "__main__":
    main()
