//! `deploy/` agrees with itself and with the alerts: ports, probes, rule groups, config keys,
//! the NetworkPolicy, the PodDisruptionBudget, the token as a file, pinned images.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_yaml_ng::Value as Yaml;

use crate::repo::*;

// === deploy ===

pub(crate) const BASE: &str = "deploy/base";

fn manifest(name: &str) -> Yaml {
    yaml(&format!("{BASE}/{name}"))
}

fn container(deployment: &Yaml) -> &Yaml {
    let containers = seq_at(deployment, "spec.template.spec.containers");
    containers
        .iter()
        .find(|c| at(c, "name").as_str() == Some("branchwatch"))
        .expect("a container named branchwatch")
}

fn labels(value: &Yaml) -> BTreeMap<String, String> {
    value
        .as_mapping()
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn is_subset(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

#[test]
fn the_prometheus_rule_carries_the_alert_file_groups_verbatim() {
    let rule = manifest("prometheusrule.yaml");
    assert_eq!(str_at(&rule, "kind"), "PrometheusRule");
    assert_eq!(
        at(&rule, "spec.groups"),
        at(&yaml(RULES_FILE), "groups"),
        "deploy/base/prometheusrule.yaml spec.groups differs from {RULES_FILE}: copy the groups again"
    );
}

#[test]
fn deployment_service_and_service_monitor_agree_on_the_http_port() {
    let deployment = manifest("deployment.yaml");
    let service = manifest("service.yaml");
    let monitor = manifest("servicemonitor.yaml");

    let ports = seq_at(container(&deployment), "ports");
    let http = ports
        .iter()
        .find(|p| at(p, "name").as_str() == Some("http"))
        .expect("container port `http`");
    assert_eq!(at(http, "containerPort").as_u64(), Some(HTTP_PORT));

    let service_ports = seq_at(&service, "spec.ports");
    let service_http = service_ports
        .iter()
        .find(|p| at(p, "name").as_str() == Some("http"))
        .expect("service port `http`");
    assert_eq!(at(service_http, "port").as_u64(), Some(HTTP_PORT));
    let target = at(service_http, "targetPort");
    assert!(
        target.as_str() == Some("http") || target.as_u64() == Some(HTTP_PORT),
        "service targetPort must be `http` or {HTTP_PORT}: {target:?}"
    );

    let endpoints = seq_at(&monitor, "spec.endpoints");
    assert_eq!(endpoints.len(), 1);
    assert_eq!(str_at(&endpoints[0], "port"), "http");
    assert_eq!(str_at(&endpoints[0], "path"), "/metrics");
    assert_eq!(str_at(&endpoints[0], "interval"), "60s");

    // Selectors: Service -> pods, ServiceMonitor -> Service; the job label becomes "branchwatch",
    // the job name the alerts (up{job="branchwatch"}) and dashboards use.
    let pod_labels = labels(at(&deployment, "spec.template.metadata.labels"));
    assert!(
        is_subset(&labels(at(&service, "spec.selector")), &pod_labels),
        "service does not select the pods"
    );
    assert!(
        is_subset(
            &labels(at(&deployment, "spec.selector.matchLabels")),
            &pod_labels
        ),
        "deployment selector does not match its template"
    );
    let service_labels = labels(at(&service, "metadata.labels"));
    assert!(
        is_subset(
            &labels(at(&monitor, "spec.selector.matchLabels")),
            &service_labels
        ),
        "service monitor does not select the service"
    );
    let job_label = str_at(&monitor, "spec.jobLabel");
    assert_eq!(
        service_labels.get(job_label).map(String::as_str),
        Some("branchwatch"),
        "job would not be `branchwatch`"
    );
}

#[test]
fn probes_use_livez_and_readyz_on_the_http_port() {
    let deployment = manifest("deployment.yaml");
    let container = container(&deployment);
    for (probe, path) in [("livenessProbe", "/livez"), ("readinessProbe", "/readyz")] {
        assert_eq!(str_at(container, &format!("{probe}.httpGet.path")), path);
        let port = at(container, &format!("{probe}.httpGet.port"));
        assert!(
            port.as_str() == Some("http") || port.as_u64() == Some(HTTP_PORT),
            "{probe} port: {port:?}"
        );
    }
}

#[test]
fn the_deployment_security_context_is_restricted() {
    let deployment = manifest("deployment.yaml");
    let pod = at(&deployment, "spec.template.spec.securityContext");
    assert_eq!(at(pod, "runAsNonRoot").as_bool(), Some(true));
    assert_eq!(
        at(pod, "runAsUser").as_u64(),
        Some(65532),
        "distroless nonroot uid"
    );
    assert_eq!(str_at(pod, "seccompProfile.type"), "RuntimeDefault");
    let container = at(container(&deployment), "securityContext");
    assert_eq!(
        at(container, "readOnlyRootFilesystem").as_bool(),
        Some(true)
    );
    assert_eq!(
        at(container, "allowPrivilegeEscalation").as_bool(),
        Some(false)
    );
    let dropped: Vec<&str> = seq_at(container, "capabilities.drop")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(dropped, ["ALL"]);
    assert!(
        at(container, "capabilities.add").is_null(),
        "no capabilities may be added"
    );
    assert!(at(container, "privileged").as_bool() != Some(true));
    assert_eq!(
        at(
            &deployment,
            "spec.template.spec.terminationGracePeriodSeconds"
        )
        .as_u64(),
        Some(30)
    );
    for resource in [
        "requests.cpu",
        "requests.memory",
        "limits.cpu",
        "limits.memory",
    ] {
        assert!(
            !at(container_resources(&deployment), resource).is_null(),
            "resources.{resource} missing"
        );
    }
}

fn container_resources(deployment: &Yaml) -> &Yaml {
    at(container(deployment), "resources")
}

#[test]
fn the_deployment_mounts_the_config() {
    let deployment = manifest("deployment.yaml");
    let container = container(&deployment);
    let args: Vec<&str> = seq_at(container, "args")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(args, ["serve", "--config", "/etc/branchwatch/config.yaml"]);
    let (mount, volume) = mounted_volume(&deployment, "/etc/branchwatch");
    assert_eq!(at(mount, "readOnly").as_bool(), Some(true));
    assert_eq!(str_at(volume, "configMap.name"), "branchwatch-config");
    let configmap = manifest("configmap.yaml");
    assert_eq!(str_at(&configmap, "metadata.name"), "branchwatch-config");
}

/// The container's volume mount at `mount_path` and the pod volume it names.
fn mounted_volume<'a>(deployment: &'a Yaml, mount_path: &str) -> (&'a Yaml, &'a Yaml) {
    let mount = seq_at(container(deployment), "volumeMounts")
        .iter()
        .find(|m| at(m, "mountPath").as_str() == Some(mount_path))
        .unwrap_or_else(|| panic!("nothing is mounted at {mount_path}"));
    let name = str_at(mount, "name");
    let volume = seq_at(deployment, "spec.template.spec.volumes")
        .iter()
        .find(|v| at(v, "name").as_str() == Some(name))
        .unwrap_or_else(|| panic!("no volume `{name}` for the mount at {mount_path}"));
    (mount, volume)
}

/// Secret holding the GitHub token (key `token`), created by the operator.
const TOKEN_SECRET: &str = "branchwatch-github";

#[test]
fn the_github_token_is_a_file_from_the_optional_secret_and_the_config_reads_it() {
    let deployment = manifest("deployment.yaml");
    let container = container(&deployment);

    // Not in the environment: GITHUB_TOKEN would keep the newline of a token saved with `echo`.
    let env = at(container, "env")
        .as_sequence()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for var in env {
        let name = str_at(var, "name");
        assert_ne!(
            name, "GITHUB_TOKEN",
            "the token must be a file, not GITHUB_TOKEN"
        );
        assert!(
            at(var, "valueFrom.secretKeyRef").is_null(),
            "{name} copies a Secret into the environment"
        );
    }
    assert!(
        at(container, "envFrom").is_null(),
        "envFrom would turn a Secret's keys into variables"
    );

    // github.token_file is the file the Secret volume provides.
    let config: Yaml = serde_yaml_ng::from_str(&shipped_config()).expect("config.yaml is YAML");
    let token_file = Path::new(str_at(&config, "github.token_file"));
    assert!(token_file.is_absolute(), "{}", token_file.display());
    let dir = token_file
        .parent()
        .and_then(Path::to_str)
        .expect("token file directory");
    let file = token_file
        .file_name()
        .and_then(|name| name.to_str())
        .expect("token file name");
    let (mount, volume) = mounted_volume(&deployment, dir);
    assert_eq!(at(mount, "readOnly").as_bool(), Some(true));
    assert!(
        at(mount, "subPath").is_null(),
        "a subPath mount never sees the Secret created or rotated after the pod started"
    );
    assert_eq!(str_at(volume, "secret.secretName"), TOKEN_SECRET);
    assert_eq!(
        at(volume, "secret.optional").as_bool(),
        Some(true),
        "the pod must start without the Secret (the GitHub source then reports itself down)"
    );
    let items = at(volume, "secret.items");
    let item_mode = if items.is_null() {
        assert_eq!(
            file, "token",
            "without items the file is named after the key"
        );
        None
    } else {
        let item = items
            .as_sequence()
            .and_then(|items| {
                items
                    .iter()
                    .find(|i| at(i, "key").as_str() == Some("token"))
            })
            .expect("an item for key `token`");
        assert_eq!(str_at(item, "path"), file);
        at(item, "mode").as_u64()
    };

    // Readable by uid 65532 through its group, by nobody else, writable by no one.
    let mode = item_mode
        .or_else(|| at(volume, "secret.defaultMode").as_u64())
        .expect("secret.defaultMode");
    assert!(
        mode == 0o400 || mode == 0o440,
        "token file mode {mode:#o}: use 0400 or 0440 (decimal 256 or 288)"
    );
    let pod = at(&deployment, "spec.template.spec.securityContext");
    assert_eq!(
        at(pod, "fsGroup").as_u64(),
        at(pod, "runAsGroup").as_u64(),
        "the token file is group-owned by fsGroup: it must be the group branchwatch runs as"
    );
    assert_eq!(at(pod, "fsGroup").as_u64(), Some(65532));
}

#[test]
fn the_kustomization_lists_every_manifest_in_the_base() {
    let kustomization = manifest("kustomization.yaml");
    let listed: BTreeSet<String> = seq_at(&kustomization, "resources")
        .iter()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    let present: BTreeSet<String> = files_in(BASE, &[".yaml", ".yml"])
        .iter()
        .map(|path| file_name(path))
        .filter(|name| name != "kustomization.yaml")
        .collect();
    assert_eq!(
        listed, present,
        "kustomization.yaml resources differ from the files in {BASE}"
    );
}

/// `config.yaml` of the ConfigMap.
fn shipped_config() -> String {
    let configmap = manifest("configmap.yaml");
    let data = at(&configmap, "data").as_mapping().expect("configmap data");
    data.get("config.yaml")
        .and_then(Yaml::as_str)
        .expect("data.config.yaml")
        .to_string()
}

/// Dotted keys of a config document, stopping at keys the design lists.
fn config_keys(value: &Yaml, prefix: &str, out: &mut Vec<String>) {
    let Some(map) = value.as_mapping() else {
        return;
    };
    for (key, child) in map {
        let key = key.as_str().expect("string keys");
        let path = if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        };
        if DESIGN_CONFIG_KEYS.contains(&path.as_str()) || !child.is_mapping() {
            out.push(path);
        } else {
            config_keys(child, &path, out);
        }
    }
}

#[test]
fn the_configmap_uses_only_documented_config_keys() {
    let config: Yaml = serde_yaml_ng::from_str(&shipped_config()).expect("config.yaml is YAML");
    let mut keys = Vec::new();
    config_keys(&config, "", &mut keys);
    let unknown: Vec<&String> = keys
        .iter()
        .filter(|k| !DESIGN_CONFIG_KEYS.contains(&k.as_str()))
        .collect();
    assert!(unknown.is_empty(), "keys not in DESIGN.md: {unknown:?}");
    assert_eq!(str_at(&config, "listen"), format!("0.0.0.0:{HTTP_PORT}"));
    assert!(
        at(&config, "github.token").is_null(),
        "the token belongs in the Secret"
    );
}

#[test]
fn the_shipped_config_passes_check_config() {
    let Some(binary) = option_env!("CARGO_BIN_EXE_branchwatch") else {
        panic!("the `branchwatch` binary target is missing: cannot run `branchwatch check-config`");
    };
    let dir = tempfile::tempdir().expect("temp dir");
    // github.token_file is the Secret's mount, which does not exist here: point it at a file
    // written the way operators write it, with `echo`'s trailing newline.
    let token = dir.path().join("token");
    std::fs::write(&token, "ghp_deploytest0123456789\n").expect("write token");
    let mut config: Yaml = serde_yaml_ng::from_str(&shipped_config()).expect("config.yaml is YAML");
    let github = config
        .get_mut("github")
        .and_then(Yaml::as_mapping_mut)
        .expect("github section");
    assert!(
        github.contains_key("token_file"),
        "the shipped config sets github.token_file"
    );
    github.insert(
        Yaml::from("token_file"),
        Yaml::from(token.display().to_string()),
    );
    let path = dir.path().join("config.yaml");
    std::fs::write(
        &path,
        serde_yaml_ng::to_string(&config).expect("config serializes"),
    )
    .expect("write config");
    let output = Command::new(binary)
        .arg("check-config")
        .arg(&path)
        .env_remove("GITHUB_TOKEN")
        .output()
        .expect("branchwatch runs");
    assert!(
        output.status.success(),
        "branchwatch check-config rejects deploy/base/configmap.yaml:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("ghp_deploytest"),
        "check-config prints the token"
    );
}

#[test]
fn compose_prometheus_scrapes_branchwatch_on_9850_and_loads_the_rule_file() {
    let prometheus = yaml("deploy/compose/prometheus.yml");
    let job = seq_at(&prometheus, "scrape_configs")
        .iter()
        .find(|job| at(job, "job_name").as_str() == Some("branchwatch"))
        .expect("scrape job `branchwatch`");
    let targets: Vec<&str> = seq_at(job, "static_configs.0.targets")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(targets, [format!("branchwatch:{HTTP_PORT}")]);
    assert!(matches!(
        at(job, "metrics_path").as_str(),
        None | Some("/metrics")
    ));

    let compose = yaml("deploy/compose/docker-compose.yaml");
    let mounts: Vec<&str> = seq_at(&compose, "services.prometheus.volumes")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    let rule_mount = mounts
        .iter()
        .find_map(|m| m.strip_prefix("../../alerts/branchwatch.rules.yaml:"))
        .expect("prometheus mounts ../../alerts/branchwatch.rules.yaml");
    let rule_path = rule_mount.trim_end_matches(":ro");
    let rule_files: Vec<&str> = seq_at(&prometheus, "rule_files")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(
        rule_files,
        [rule_path],
        "prometheus.yml must load the mounted rule file"
    );
    assert!(
        !seq_at(&prometheus, "alerting.alertmanagers").is_empty(),
        "prometheus must send alerts to alertmanager"
    );

    let command: Vec<&str> = seq_at(&compose, "services.branchwatch.command")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    let listen = format!("0.0.0.0:{HTTP_PORT}");
    assert_eq!(command, ["demo", "--listen", listen.as_str()]);
    assert_eq!(
        str_at(&compose, "services.branchwatch.build.dockerfile"),
        "deploy/Dockerfile"
    );
    assert_eq!(
        str_at(&compose, "services.branchwatch.build.context"),
        "../.."
    );

    let grafana: Vec<&str> = seq_at(&compose, "services.grafana.volumes")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert!(
        grafana.iter().any(|m| m.starts_with("../../dashboards:")),
        "grafana must mount ../../dashboards"
    );
    let datasources = yaml("deploy/compose/grafana/provisioning/datasources/prometheus.yaml");
    assert_eq!(str_at(&datasources, "datasources.0.uid"), "prometheus");
    assert_eq!(str_at(&datasources, "datasources.0.name"), "Prometheus");

    let alertmanager = yaml("deploy/compose/alertmanager.yml");
    let group_by: Vec<&str> = seq_at(&alertmanager, "route.group_by")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(group_by, ["alertname", "branch"]);
}

#[test]
fn the_dockerfile_builds_locked_and_runs_as_nonroot_on_distroless() {
    let dockerfile = read("deploy/Dockerfile");
    for needle in [
        "ARG RUST_IMAGE=rust:1-bookworm",
        " AS builder",
        "cargo build --release --locked",
        "ARG DISTROLESS_IMAGE=gcr.io/distroless/cc-debian12:nonroot",
        "USER nonroot",
        "EXPOSE 9850",
        "ENTRYPOINT [\"/usr/local/bin/branchwatch\"]",
        "CMD [\"serve\", \"--config\", \"/etc/branchwatch/config.yaml\"]",
    ] {
        assert!(
            dockerfile.contains(needle),
            "deploy/Dockerfile lacks `{needle}`"
        );
    }
}

/// Label the API server sets on every namespace: the portable way to select one by name.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

#[test]
fn the_network_policy_admits_only_prometheus_and_the_ingress_controller_on_the_http_port() {
    let policy = manifest("networkpolicy.yaml");
    assert_eq!(str_at(&policy, "apiVersion"), "networking.k8s.io/v1");
    assert_eq!(str_at(&policy, "kind"), "NetworkPolicy");
    let deployment = manifest("deployment.yaml");
    let pod_labels = labels(at(&deployment, "spec.template.metadata.labels"));
    assert!(
        is_subset(
            &labels(at(&policy, "spec.podSelector.matchLabels")),
            &pod_labels
        ),
        "the network policy does not select the Deployment's pods"
    );
    assert!(at(&policy, "spec.podSelector.matchExpressions").is_null());
    let types: BTreeSet<&str> = seq_at(&policy, "spec.policyTypes")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(
        types,
        BTreeSet::from(["Egress", "Ingress"]),
        "both directions must be isolated"
    );

    let rules = seq_at(&policy, "spec.ingress");
    assert!(
        !rules.is_empty(),
        "no ingress rule: Prometheus could not scrape"
    );
    let mut peers = Vec::new();
    for rule in rules {
        // A rule without `ports` admits every port, one without `from` every source.
        let ports = seq_at(rule, "ports");
        assert!(!ports.is_empty(), "ingress rule without ports");
        for port in ports {
            let number = at(port, "port");
            assert!(
                number.as_u64() == Some(HTTP_PORT) || number.as_str() == Some("http"),
                "ingress to a port other than {HTTP_PORT}: {number:?}"
            );
            assert_eq!(at(port, "protocol").as_str().unwrap_or("TCP"), "TCP");
            assert!(at(port, "endPort").is_null(), "a port range");
        }
        let from = seq_at(rule, "from");
        assert!(!from.is_empty(), "ingress rule that admits every source");
        for peer in from {
            assert!(
                at(peer, "ipBlock").is_null(),
                "ingress by address admits whatever holds the address: {peer:?}"
            );
            // Both selectors in one peer: those pods in that namespace (not either).
            let namespace = labels(at(peer, "namespaceSelector.matchLabels"));
            let pods = labels(at(peer, "podSelector.matchLabels"));
            assert!(
                namespace.contains_key(NAMESPACE_NAME_LABEL) && !pods.is_empty(),
                "every ingress peer names a namespace (by {NAMESPACE_NAME_LABEL}) and its pods: {peer:?}"
            );
            peers.push((namespace, pods));
        }
    }
    let name = |labels: &BTreeMap<String, String>, key: &str| labels.get(key).cloned();
    assert!(
        peers.iter().any(|(_, pods)| {
            name(pods, "app.kubernetes.io/name").as_deref() == Some("prometheus")
        }),
        "Prometheus is not admitted: {peers:?}"
    );
    assert!(
        peers.iter().any(|(namespace, _)| {
            name(namespace, NAMESPACE_NAME_LABEL).is_some_and(|n| n.contains("ingress"))
        }),
        "the ingress controller (the desk's users, the web page on /) is not admitted: {peers:?}"
    );
}

#[test]
fn the_network_policy_lets_out_only_dns_and_https_to_public_addresses() {
    let policy = manifest("networkpolicy.yaml");
    let mut allowed: BTreeSet<(u64, String)> = BTreeSet::new();
    for rule in seq_at(&policy, "spec.egress") {
        let ports: Vec<(u64, String)> = seq_at(rule, "ports")
            .iter()
            .map(|port| {
                assert!(at(port, "endPort").is_null(), "a port range: {port:?}");
                let number = at(port, "port")
                    .as_u64()
                    .unwrap_or_else(|| panic!("egress port must be a number: {port:?}"));
                let protocol = at(port, "protocol").as_str().unwrap_or("TCP");
                (number, protocol.to_string())
            })
            .collect();
        assert!(
            !ports.is_empty(),
            "egress rule without ports opens every port"
        );
        let to = seq_at(rule, "to");
        assert!(
            !to.is_empty(),
            "egress rule without `to` lets out to everywhere"
        );
        if ports.iter().all(|(port, _)| *port == 53) {
            for peer in to {
                let namespace = labels(at(peer, "namespaceSelector.matchLabels"));
                assert_eq!(
                    namespace.get(NAMESPACE_NAME_LABEL).map(String::as_str),
                    Some("kube-system"),
                    "DNS goes to the cluster DNS in kube-system: {peer:?}"
                );
                assert!(
                    !labels(at(peer, "podSelector.matchLabels")).is_empty(),
                    "DNS goes to the DNS pods, not all of kube-system: {peer:?}"
                );
            }
        } else if ports.iter().all(|(port, _)| *port == 443) {
            for peer in to {
                let cidr = str_at(peer, "ipBlock.cidr");
                let except: BTreeSet<&str> = at(peer, "ipBlock.except")
                    .as_sequence()
                    .map(|items| items.iter().filter_map(Yaml::as_str).collect())
                    .unwrap_or_default();
                let private: &[&str] = match cidr {
                    "0.0.0.0/0" => &[
                        "10.0.0.0/8",
                        "172.16.0.0/12",
                        "192.168.0.0/16",
                        "169.254.0.0/16",
                    ],
                    "::/0" => &["fc00::/7", "fe80::/10"],
                    other => {
                        assert!(!other.ends_with("/0"), "{other}");
                        &[]
                    }
                };
                for range in private {
                    assert!(
                        except.contains(range),
                        "HTTPS to {cidr} must leave out {range} (cluster, node and metadata addresses)"
                    );
                }
            }
        } else {
            panic!("egress rule with ports other than DNS (53) and HTTPS (443): {ports:?}");
        }
        allowed.extend(ports);
    }
    let expected: BTreeSet<(u64, String)> = [(53, "TCP"), (53, "UDP"), (443, "TCP")]
        .into_iter()
        .map(|(port, protocol)| (port, protocol.to_string()))
        .collect();
    assert_eq!(allowed, expected);
}

#[test]
fn the_pod_disruption_budget_selects_the_pods_and_allows_one_disruption_of_two() {
    let deployment = manifest("deployment.yaml");
    let replicas = at(&deployment, "spec.replicas").as_u64();
    assert_eq!(replicas, Some(2), "two replicas for availability (README)");
    let replicas = 2;

    let budget = manifest("poddisruptionbudget.yaml");
    assert_eq!(str_at(&budget, "apiVersion"), "policy/v1");
    assert_eq!(str_at(&budget, "kind"), "PodDisruptionBudget");
    let pod_labels = labels(at(&deployment, "spec.template.metadata.labels"));
    let selector = labels(at(&budget, "spec.selector.matchLabels"));
    assert!(
        is_subset(&selector, &pod_labels),
        "the budget does not select the Deployment's pods"
    );
    assert_eq!(
        selector,
        labels(at(&deployment, "spec.selector.matchLabels")),
        "the budget must count exactly the Deployment's pods"
    );

    // Evictions allowed while every replica is healthy, as the disruption controller counts.
    let count = |value: &Yaml, round_up: bool| -> u64 {
        if let Some(number) = value.as_u64() {
            return number;
        }
        let percent: u64 = value
            .as_str()
            .and_then(|text| text.strip_suffix('%'))
            .and_then(|text| text.parse().ok())
            .unwrap_or_else(|| panic!("not a count or a percentage: {value:?}"));
        let scaled = percent * replicas;
        if round_up {
            scaled.div_ceil(100)
        } else {
            scaled / 100
        }
    };
    let max_unavailable = at(&budget, "spec.maxUnavailable");
    let min_available = at(&budget, "spec.minAvailable");
    let allowed = match (max_unavailable.is_null(), min_available.is_null()) {
        (false, true) => count(max_unavailable, true).min(replicas),
        (true, false) => replicas.saturating_sub(count(min_available, true)),
        _ => panic!("set exactly one of maxUnavailable and minAvailable"),
    };
    assert_eq!(
        allowed, 1,
        "with {replicas} replicas, one eviction at a time must be allowed"
    );
}

/// Bytes in a Kubernetes memory quantity (`64Mi`, `1Gi`, `500M`, `1048576`).
fn quantity_bytes(quantity: &str) -> u64 {
    let units: [(&str, u64); 6] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("k", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
    ];
    let (number, factor) = units
        .iter()
        .find_map(|(suffix, factor)| Some((quantity.strip_suffix(suffix)?, *factor)))
        .unwrap_or((quantity, 1));
    number
        .parse::<u64>()
        .unwrap_or_else(|_| panic!("unsupported memory quantity `{quantity}`"))
        * factor
}

#[test]
fn the_memory_request_and_limit_cover_the_steady_state_and_the_bounded_worst_case() {
    let deployment = manifest("deployment.yaml");
    let resources = container_resources(&deployment);
    let request = str_at(resources, "requests.memory");
    let limit = str_at(resources, "limits.memory");
    assert!(
        quantity_bytes(request) <= quantity_bytes(limit),
        "request {request} above limit {limit}"
    );
    // README: 23 to 32 MiB RSS, flat, at Kubernetes' load.
    assert!(
        quantity_bytes(request) >= 32 << 20,
        "request {request} below the steady state"
    );
    assert!(
        quantity_bytes(limit) >= 256 << 20,
        "limit {limit} below the bounded worst case (deploy/OPERATING.md, Memory)"
    );
    let operating = read("deploy/OPERATING.md");
    for needle in [request, limit, "Bounds"] {
        assert!(
            operating.contains(needle),
            "deploy/OPERATING.md must explain the memory figures: `{needle}` missing"
        );
    }
}

#[test]
fn the_deployment_image_is_set_by_the_kustomization_so_a_digest_can_pin_it() {
    let deployment = manifest("deployment.yaml");
    let image = str_at(container(&deployment), "image");
    assert!(
        !image.contains(':') && !image.contains('@'),
        "the base names the image `{image}` without tag or digest; kustomization.yaml sets them"
    );
    let kustomization = manifest("kustomization.yaml");
    let entry = seq_at(&kustomization, "images")
        .iter()
        .find(|entry| at(entry, "name").as_str() == Some(image))
        .unwrap_or_else(|| panic!("kustomization.yaml `images:` has no entry for `{image}`"));
    assert!(str_at(entry, "newName").contains('/'), "a registry path");
    assert!(
        !at(entry, "newTag").is_null() || !at(entry, "digest").is_null(),
        "a tag or a digest"
    );
    if let Some(digest) = at(entry, "digest").as_str() {
        assert!(is_sha256_digest(digest), "malformed digest `{digest}`");
    }
}

fn is_sha256_digest(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Expands `${NAME}`, `${NAME:+word}` and `${NAME:-word}` (the word expanded in turn) the way
/// BuildKit expands a FROM line; an unset or empty NAME is "" for `:+` and `:-`.
fn expand_dockerfile_vars(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let body = rest[start..]
            .strip_prefix("${")
            .unwrap_or_else(|| panic!("use ${{NAME}}, not a bare $, in `{text}`"));
        let mut depth = 1;
        let end = body
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(index, _)| index)
            .unwrap_or_else(|| panic!("unclosed ${{ in `{text}`"));
        let inner = &body[..end];
        let (name, modifier) = match inner.split_once(':') {
            Some((name, modifier)) => (name, Some(modifier)),
            None => (inner, None),
        };
        let value = vars.get(name).map(String::as_str).unwrap_or("");
        let expanded = match modifier {
            None => value.to_string(),
            Some(modifier) => match modifier.split_at(1) {
                ("+", word) if !value.is_empty() => expand_dockerfile_vars(word, vars),
                ("+", _) => String::new(),
                ("-", word) if value.is_empty() => expand_dockerfile_vars(word, vars),
                ("-", _) => value.to_string(),
                _ => panic!("unsupported modifier in `${{{inner}}}`"),
            },
        };
        out.push_str(&expanded);
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_dockerfile_base_images_are_pinned_by_digest_or_take_a_digest_build_arg() {
    let dockerfile = read("deploy/Dockerfile");
    let lines: Vec<&str> = dockerfile.lines().map(str::trim).collect();
    let first_from = lines
        .iter()
        .position(|line| line.starts_with("FROM "))
        .expect("a FROM line");
    // Build args declared before the first FROM: the only ones a FROM line can use.
    let defaults: BTreeMap<String, String> = lines[..first_from]
        .iter()
        .filter_map(|line| line.strip_prefix("ARG "))
        .map(|arg| {
            let (name, value) = arg.split_once('=').unwrap_or((arg, ""));
            (name.trim().to_string(), value.trim().to_string())
        })
        .collect();
    let images: Vec<&str> = lines
        .iter()
        .filter_map(|line| line.strip_prefix("FROM "))
        .map(|from| from.split_whitespace().next().expect("FROM <image>"))
        .collect();
    let example = format!("sha256:{}", "0123456789abcdef".repeat(4));
    let mut by_tag = Vec::new();
    for image in images {
        if !image.contains('$') {
            let digest = image.split_once('@').map(|(_, digest)| digest);
            assert!(
                digest.is_some_and(is_sha256_digest),
                "FROM {image} is pinned neither by digest nor through a *_DIGEST build arg"
            );
            by_tag.push(image.to_string());
            continue;
        }
        let digest_args: Vec<&String> = defaults
            .keys()
            .filter(|name| name.ends_with("_DIGEST") && image.contains(&format!("${{{name}")))
            .collect();
        let [digest_arg] = digest_args[..] else {
            panic!("FROM {image} must take exactly one *_DIGEST build arg: {digest_args:?}");
        };
        let default_digest = &defaults[digest_arg];
        assert!(
            default_digest.is_empty() || is_sha256_digest(default_digest),
            "{digest_arg} defaults to `{default_digest}`: empty, or a real sha256 digest"
        );
        // Without the arg: the tag. With it: the same tag, pinned.
        let unpinned = expand_dockerfile_vars(image, &defaults);
        if default_digest.is_empty() {
            assert!(
                unpinned.contains(':') && !unpinned.contains('@'),
                "FROM {image} without {digest_arg} should be `<image>:<tag>`, is `{unpinned}`"
            );
            let mut pinned = defaults.clone();
            pinned.insert(digest_arg.clone(), example.clone());
            assert_eq!(
                expand_dockerfile_vars(image, &pinned),
                format!("{unpinned}@{example}"),
                "FROM {image} with {digest_arg} set"
            );
        }
        by_tag.push(unpinned.split('@').next().unwrap_or_default().to_string());
    }
    assert_eq!(
        by_tag,
        ["rust:1-bookworm", "gcr.io/distroless/cc-debian12:nonroot"],
        "builder and runtime images"
    );
}

#[test]
fn the_dockerfile_passes_the_revision_to_build_rs() {
    let dockerfile = read("deploy/Dockerfile");
    let builder = dockerfile.split("\nFROM ").nth(1).expect("a builder stage");
    let arg = builder
        .find("ARG BRANCHWATCH_REVISION")
        .expect("the builder stage declares ARG BRANCHWATCH_REVISION");
    let build = builder.find("cargo build").expect("cargo build");
    assert!(
        arg < build,
        "ARG BRANCHWATCH_REVISION must come before cargo build"
    );
    // .git stays out of the build context, so the build arg is what carries the revision.
    let ignore = read("deploy/Dockerfile.dockerignore");
    assert!(ignore.lines().any(|line| line.trim() == ".git"));
    let compose = yaml("deploy/compose/docker-compose.yaml");
    assert!(
        at(
            &compose,
            "services.branchwatch.build.args.BRANCHWATCH_REVISION"
        )
        .as_str()
        .is_some_and(|value| value.contains("${BRANCHWATCH_REVISION")),
        "docker compose passes BRANCHWATCH_REVISION through"
    );
    let build_rs = read("build.rs");
    for needle in [
        "\"BRANCHWATCH_REVISION\"",
        "cargo:rerun-if-env-changed=",
        "cargo:rustc-env=",
    ] {
        assert!(build_rs.contains(needle), "build.rs lacks `{needle}`");
    }
}

#[test]
fn build_rs_stamps_the_git_revision() {
    // build.rs sets it for every target of the package, this test included.
    let revision = env!("BRANCHWATCH_REVISION");
    let head = Command::new("git")
        .arg("-C")
        .arg(repo())
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string());
    match head {
        Some(head) if repo().join(".git").exists() => {
            let rest = revision
                .strip_prefix(head.as_str())
                .unwrap_or_else(|| panic!("revision `{revision}` is not HEAD `{head}`"));
            assert!(rest.is_empty() || rest == "-dirty", "revision `{revision}`");
        }
        // No checkout (a source tarball, a container build): the build arg or `unknown`.
        _ => assert!(
            !revision.is_empty()
                && revision
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b)),
            "revision `{revision}`"
        ),
    }
}

#[test]
fn operating_md_covers_the_shared_cluster_setup() {
    let operating = read("deploy/OPERATING.md");
    for needle in [
        "networkpolicy.yaml",
        "poddisruptionbudget.yaml",
        "kubernetes.io/metadata.name",
        "cannot match host names",
        "_DIGEST",
        "kustomize edit set image",
        "BRANCHWATCH_REVISION",
        "token_file",
    ] {
        assert!(
            operating.contains(needle),
            "deploy/OPERATING.md does not mention `{needle}`"
        );
    }
}
