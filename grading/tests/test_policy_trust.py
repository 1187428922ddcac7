"""Issue 12, items 1-5 (static half): what a hostile student may not put in a sandbox, and the
ordinary manifests the course teaches that must still pass."""

import ipaddress

import pytest

from grading.intake.parsing import Limits, parse_submission
from grading.intake.policy import (
    DEFAULT_DENIED_CIDRS,
    INGRESS_ANNOTATIONS_ALLOWED,
    MANAGED_BY_LABEL,
    MONITOR_ENDPOINT_FIELDS_ALLOWED,
    RESERVED_KEY_PREFIX,
    RESERVED_NAME_PREFIX,
    SandboxPolicy,
    check_policy,
)

ANY_LEVEL = SandboxPolicy(pod_security="privileged")


def violations(text: str, policy: SandboxPolicy = ANY_LEVEL) -> list[str]:
    parsed = parse_submission([("a.yaml", text.encode())], Limits())
    assert parsed.errors == []
    return [str(p) for p in check_policy(parsed.objects, policy)]


def refused_once(text: str, *needles: str, policy: SandboxPolicy = ANY_LEVEL) -> str:
    found = violations(text, policy)
    assert len(found) == 1, found
    for needle in needles:
        assert needle in found[0], found[0]
    assert found[0].startswith("a.yaml (document 1):")
    return found[0]


def pod(extra: str) -> str:
    return ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: x}]\n"
            + extra)


def netpol(spec: str) -> str:
    return f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: n}}\nspec: {spec}\n"


def ingress(spec: str, annotations: str = "") -> str:
    meta = f"{{name: i, annotations: {annotations}}}" if annotations else "{name: i}"
    return f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {meta}\nspec: {spec}\n"


def monitor(spec: str, kind: str = "ServiceMonitor") -> str:
    return f"apiVersion: monitoring.coreos.com/v1\nkind: {kind}\nmetadata: {{name: m}}\nspec: {spec}\n"


# --- 1. reserved names, labels and annotations ------------------------------------------------

def test_reserved_constants_are_the_ones_the_chart_mirrors():
    assert RESERVED_NAME_PREFIX == "podium-"
    assert MANAGED_BY_LABEL == ("app.kubernetes.io/managed-by", "podium")
    assert RESERVED_KEY_PREFIX == "podium.dev/"


def test_refuses_a_network_policy_named_like_the_default_deny_guardrail():
    text = netpol("{podSelector: {}}").replace("{name: n}", "{name: podium-default-deny}")
    found = refused_once(text, "[metadata.name]", "'podium-default-deny'", "reserved for Podium")
    assert "a.yaml (document 1):3" in found


RESERVED = {
    "generate name": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, generateName: podium-x-}\n",
                      "[metadata.generateName]"),
    "managed-by label": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
        "  labels: {app.kubernetes.io/managed-by: podium}\n",
        "[metadata.labels.app.kubernetes.io/managed-by]"),
    "podium.dev label": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {podium.dev/submission: '7'}\n",
        "'podium.dev/submission'"),
    "podium.dev annotation": (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations: {podium.dev/expires-at: '0'}\n",
        "annotation 'podium.dev/expires-at'"),
    "podium.dev subdomain": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {x.podium.dev/lab: a}\n",
        "'x.podium.dev/lab'"),
    "pod template label": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n"
        "    metadata: {labels: {app.kubernetes.io/managed-by: podium}}\n",
        "[spec.template.metadata.labels.app.kubernetes.io/managed-by]"),
    "cronjob's job template": (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n"
        "    metadata: {annotations: {podium.dev/lab: x}}\n",
        "[spec.jobTemplate.metadata.annotations.podium.dev/lab]"),
    "volume claim template name": (
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec:\n"
        "  volumeClaimTemplates: [{metadata: {name: podium-data}}]\n",
        "[spec.volumeClaimTemplates[0].metadata.name]"),
}


@pytest.mark.parametrize(("text", "field"), RESERVED.values(), ids=RESERVED.keys())
def test_refuses_objects_that_pass_for_podiums_own(text, field):
    refused_once(text, field, "reserved for Podium" if "managed-by" not in field else "Podium's own")


def test_ordinary_names_and_other_tools_managed_by_labels_pass():
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: my-podium-notes\n"
            "  labels: {app.kubernetes.io/managed-by: Helm, podium: 'yes'}\n"
            "  annotations: {ml.example.com/model-source: 'registry://x'}\n")
    assert violations(text) == []


# --- 2. NetworkPolicy ------------------------------------------------------------------------

PEERLESS = {
    "egress: [{}]": ("{egress: [{}]}", "[spec.egress[0]]", "every destination"),
    "ingress: [{}]": ("{ingress: [{}]}", "[spec.ingress[0]]", "every source"),
    "ports only": ("{egress: [{ports: [{port: 443}]}]}", "[spec.egress[0]]", "lists no 'to' peers"),
    "to: []": ("{egress: [{to: []}]}", "[spec.egress[0]]", "lists no 'to' peers"),
    "from: []": ("{ingress: [{from: []}]}", "[spec.ingress[0]]", "lists no 'from' peers"),
    "from: null": ("{ingress: [{from: null}]}", "[spec.ingress[0]]", "lists no 'from' peers"),
    "empty peer": ("{egress: [{to: [{}]}]}", "[spec.egress[0].to[0]]", "empty peer"),
    "namespace selector with pods": (
        "{egress: [{to: [{podSelector: {}, namespaceSelector: {matchLabels: {x: y}}}]}]}",
        "[spec.egress[0].to[0].namespaceSelector]", "namespaceSelector is not allowed"),
    "rules not a list": ("{egress: all}", "[spec.egress]", "must be a list"),
    "peer not a mapping": ("{egress: [{to: [everyone]}]}", "[spec.egress[0].to[0]]", "must be a mapping"),
}


@pytest.mark.parametrize(("spec", "field", "reason"), PEERLESS.values(), ids=PEERLESS.keys())
def test_refuses_network_policy_rules_that_open_every_peer(spec, field, reason):
    refused_once(netpol(spec), field, reason)


def test_default_deny_and_pod_selector_rules_pass():
    assert violations(netpol("{podSelector: {}, policyTypes: [Ingress, Egress]}")) == []
    assert violations(netpol("{egress: [{to: [{podSelector: {matchLabels: {app: db}}}], "
                             "ports: [{port: 5432}]}]}")) == []


def test_denied_cidrs_default_covers_metadata_link_local_and_the_service_range():
    nets = [ipaddress.ip_network(c) for c in DEFAULT_DENIED_CIDRS]
    for address in ("169.254.169.254", "fe80::1", "10.96.0.1", "fd00:ec2::254"):
        assert any(ipaddress.ip_address(address) in n for n in nets), address
    assert SandboxPolicy().denied_cidrs == DEFAULT_DENIED_CIDRS


IP_BLOCKS_REFUSED = {
    "metadata host": ("{cidr: 169.254.169.254/32}", "169.254.0.0/16"),
    "everything v4": ("{cidr: 0.0.0.0/0}", "169.254.0.0/16, 10.96.0.0/12"),
    "api server": ("{cidr: 10.0.0.0/8}", "10.96.0.0/12"),
    "everything v6": ("{cidr: '::/0'}", "fe80::/10"),
    "ipv4-mapped metadata": ("{cidr: '::ffff:169.254.169.254/128'}", "::ffff:a9fe:0/112"),
    "except misses half": ("{cidr: 0.0.0.0/0, except: [169.254.0.0/17, 10.96.0.0/12]}", "169.254.0.0/16"),
    "host bits": ("{cidr: 169.254.169.254/16}", "169.254.0.0/16"),
}


@pytest.mark.parametrize(("block", "denied"), IP_BLOCKS_REFUSED.values(), ids=IP_BLOCKS_REFUSED.keys())
def test_refuses_ip_blocks_that_reach_denied_ranges(block, denied):
    refused_once(netpol(f"{{egress: [{{to: [{{ipBlock: {block}}}]}}]}}"),
                 "[spec.egress[0].to[0].ipBlock.cidr]", f"includes {denied}", "ipBlock.except")


IP_BLOCKS_ALLOWED = {
    "public range": "{cidr: 203.0.113.0/24}",
    "internet minus denied": "{cidr: 0.0.0.0/0, except: [169.254.0.0/16, 10.96.0.0/12]}",
    "except covers in halves": "{cidr: 169.254.0.0/16, except: [169.254.0.0/17, 169.254.128.0/17]}",
    "except wider than the block": "{cidr: 169.254.169.254/32, except: [169.254.0.0/16]}",
    "v6 internet minus denied": "{cidr: '2000::/3'}",
}


@pytest.mark.parametrize("block", IP_BLOCKS_ALLOWED.values(), ids=IP_BLOCKS_ALLOWED.keys())
def test_ip_blocks_that_keep_denied_ranges_out_pass(block):
    assert violations(netpol(f"{{ingress: [{{from: [{{ipBlock: {block}}}]}}]}}")) == []


@pytest.mark.parametrize(("block", "field"), [
    ("{cidr: 10.0.0.0/33}", "[spec.egress[0].to[0].ipBlock.cidr]"),
    ("{cidr: banana}", "[spec.egress[0].to[0].ipBlock.cidr]"),
    ("{cidr: 8.8.8.8}", "[spec.egress[0].to[0].ipBlock.cidr]"),
    ("{cidr: 8.8.0.0/16, except: [8.8.8.x/24]}", "[spec.egress[0].to[0].ipBlock.except[0]]"),
])
def test_refuses_malformed_cidrs_with_a_message(block, field):
    refused_once(netpol(f"{{egress: [{{to: [{{ipBlock: {block}}}]}}]}}"), field, "is not a CIDR")


def test_denied_cidrs_come_from_the_policy_and_link_local_stays_denied():
    policy = SandboxPolicy(pod_security="privileged", denied_cidrs=("10.43.0.0/16",))
    refused_once(netpol("{egress: [{to: [{ipBlock: {cidr: 10.43.0.10/32}}]}]}"), "10.43.0.0/16",
                 policy=policy)
    refused_once(netpol("{egress: [{to: [{ipBlock: {cidr: 169.254.0.0/24}}]}]}"), "169.254.0.0/16",
                 policy=policy)
    assert violations(netpol("{egress: [{to: [{ipBlock: {cidr: 10.96.0.0/12}}]}]}"), policy) == []


def test_a_malformed_denied_cidr_setting_stops_grading():
    with pytest.raises(ValueError, match="'10.96.0.0/40' is not a CIDR"):
        SandboxPolicy(denied_cidrs=("10.96.0.0/40",))


# --- 3. grader identity ----------------------------------------------------------------------

IDENTITY = {
    "grader's account": (pod("  serviceAccountName: podium-applier\n"), "[spec.serviceAccountName]",
                         "'podium-applier'"),
    "deprecated field": (pod("  serviceAccount: builder\n"), "[spec.serviceAccount]",
                         "default service account"),
    "automount": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n"
        "    spec: {automountServiceAccountToken: true}\n",
        "[spec.template.spec.automountServiceAccountToken]", "API token"),
    "projected token in a cronjob": (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n"
        "      template:\n        spec:\n          volumes:\n            - name: t\n"
        "              projected:\n"
        "                sources: [{serviceAccountToken: {audience: vault, path: token}}]\n",
        "[spec.jobTemplate.spec.template.spec.volumes[0].projected.sources[0].serviceAccountToken]",
        "service-account token"),
    "token secret": ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: t\n"
                     "  annotations: {kubernetes.io/service-account.name: podium-applier}\n"
                     "type: kubernetes.io/service-account-token\n", "[type]", "use type Opaque"),
}


@pytest.mark.parametrize(("text", "field", "reason"), IDENTITY.values(), ids=IDENTITY.keys())
def test_refuses_running_as_the_graders_identity(text, field, reason):
    refused_once(text, field, reason)


def test_default_account_without_token_passes():
    text = pod("  serviceAccountName: default\n  automountServiceAccountToken: false\n"
               "  volumes: [{name: v, projected: {sources: [{configMap: {name: c}}, {downwardAPI: {}}]}}]\n")
    assert violations(text) == []
    assert violations("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: Opaque\n") == []


# --- 4. Ingress ------------------------------------------------------------------------------

INGRESS_REFUSED = {
    "wildcard host": ("{rules: [{host: '*.podium.test'}]}", "", "[spec.rules[0].host]", "wildcard host"),
    "wildcard tls host": ("{rules: [{host: a.podium.test}], tls: [{hosts: ['*.podium.test']}]}", "",
                          "[spec.tls[0].hosts[0]]", "wildcard TLS host"),
    "bare domain": ("{rules: [{host: podium.test}]}", "", "[spec.rules[0].host]", "bare domain"),
    "bare domain tls": ("{rules: [{host: a.podium.test}], tls: [{hosts: [PODIUM.test.]}]}", "",
                        "[spec.tls[0].hosts[0]]", "bare domain"),
    "default backend": ("{defaultBackend: {service: {name: s, port: {number: 80}}}}", "",
                        "[spec.defaultBackend]", "every host"),
    "snippet": ("{rules: [{host: a.podium.test}]}",
                "{nginx.ingress.kubernetes.io/configuration-snippet: 'deny all;'}",
                "[metadata.annotations.nginx.ingress.kubernetes.io/configuration-snippet]", "not allowed"),
    "auth-url": ("{rules: [{host: a.podium.test}]}", "{nginx.ingress.kubernetes.io/auth-url: 'http://x'}",
                 "auth-url", "cert-manager.io/ cluster-issuer, issuer"),
    "mirror-target": ("{rules: [{host: a.podium.test}]}",
                      "{nginx.ingress.kubernetes.io/mirror-target: 'http://10.96.0.1'}", "mirror-target",
                      "allowed:"),
    "traefik middleware": ("{rules: [{host: a.podium.test}]}",
                           "{traefik.ingress.kubernetes.io/router.middlewares: "
                           "'kube-system-admin@kubernetescrd'}",
                           "router.middlewares", "not allowed"),
    "injected value": ("{rules: [{host: a.podium.test}]}",
                       "{nginx.ingress.kubernetes.io/rewrite-target: '/ ; } location /x { return 200'}",
                       "rewrite-target", "plain value"),
}


@pytest.mark.parametrize(("spec", "annotations", "field", "reason"), INGRESS_REFUSED.values(),
                         ids=INGRESS_REFUSED.keys())
def test_refuses_ingresses_that_reach_beyond_their_own_host(spec, annotations, field, reason):
    refused_once(ingress(spec, annotations), field, reason)


def test_the_old_spec_backend_is_refused():
    # networking.k8s.io/v1 dropped spec.backend, so the schema stage refuses it first; the policy
    # refuses it too because the admission policy mirrors this module whatever the schema says.
    from grading.tests.test_policy_total import as_object
    obj = as_object({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"},
                     "spec": {"backend": {"serviceName": "s", "servicePort": 80}}})
    [problem] = check_policy([obj], ANY_LEVEL)
    assert problem.field == "spec.backend" and "every host" in problem.message


def test_annotations_the_course_teaches_pass():
    text = ingress("{rules: [{host: api.podium.test}]}",
                   "{cert-manager.io/cluster-issuer: letsencrypt-staging, "
                   "nginx.ingress.kubernetes.io/rewrite-target: /$2, "
                   "nginx.ingress.kubernetes.io/proxy-body-size: 8m, "
                   "nginx.ingress.kubernetes.io/ssl-redirect: 'true'}")
    assert violations(text) == []


def test_ingress_annotation_allowlist_holds_nothing_from_the_ingress_nightmare_family():
    for key in INGRESS_ANNOTATIONS_ALLOWED:
        for word in ("snippet", "auth-", "mirror", "server-alias", "configuration", "middlewares"):
            assert word not in key, key


# --- 5. monitors and pod-spec scheduling -----------------------------------------------------

MONITORS_REFUSED = {
    "bearer token file": ("{endpoints: [{port: m, bearerTokenFile: /var/run/secrets/kubernetes.io/"
                          "serviceaccount/token}]}", "[spec.endpoints[0].bearerTokenFile]",
                          "Prometheus's own"),
    "bearer token secret": ("{endpoints: [{port: m, bearerTokenSecret: {name: s, key: t}}]}",
                            "bearerTokenSecret", "not allowed"),
    "authorization": ("{endpoints: [{port: m, authorization: {credentials: {name: s, key: t}}}]}",
                      "authorization", "credentials"),
    "basic auth": ("{endpoints: [{port: m, basicAuth: {}}]}", "basicAuth", "credentials"),
    "oauth2": ("{endpoints: [{port: m, oauth2: {}}]}", "oauth2", "credentials"),
    "proxy": ("{endpoints: [{port: m, proxyUrl: 'http://10.96.0.1:443'}]}", "proxyUrl", "proxy"),
    "honor labels": ("{endpoints: [{port: m, honorLabels: true}]}", "honorLabels", "namespace"),
    "tls key file": ("{endpoints: [{port: m, scheme: https, tlsConfig: {keyFile: /etc/prometheus/k}}]}",
                     "[spec.endpoints[0].tlsConfig.keyFile]", "tlsConfig.keyFile"),
    "tls ca secret": ("{endpoints: [{port: m, tlsConfig: {ca: {secret: {name: s, key: ca}}}}]}",
                      "tlsConfig.ca", "not allowed"),
    "address relabel": ("{endpoints: [{port: m, relabelings: [{targetLabel: __address__, "
                        "replacement: '169.254.169.254:80'}]}]}",
                        "[spec.endpoints[0].relabelings[0].targetLabel]", "'__address__'"),
    "labelmap into __": ("{endpoints: [{port: m, metricRelabelings: [{action: labelmap, regex: '(.*)', "
                         "replacement: __param_$1}]}]}",
                         "[spec.endpoints[0].metricRelabelings[0].replacement]", "'__param_$1'"),
    "namespace label": ("{endpoints: [{port: m, metricRelabelings: [{targetLabel: namespace, "
                        "replacement: kube-system}]}]}", "targetLabel", "another tenant"),
    "any namespace": ("{namespaceSelector: {any: true}, endpoints: [{port: m}]}",
                      "[spec.namespaceSelector]", "other namespaces"),
    "named namespace": ("{namespaceSelector: {matchNames: [kube-system]}, endpoints: [{port: m}]}",
                        "[spec.namespaceSelector]", "other namespaces"),
    "scrape class": ("{scrapeClass: admin, endpoints: [{port: m}]}", "[spec.scrapeClass]", "platform"),
    "scheme": ("{endpoints: [{port: m, scheme: file}]}", "[spec.endpoints[0].scheme]", "http or https"),
}


@pytest.mark.parametrize(("spec", "field", "reason"), MONITORS_REFUSED.values(), ids=MONITORS_REFUSED.keys())
def test_refuses_monitors_that_borrow_prometheus_credentials_or_reach(spec, field, reason):
    refused_once(monitor(spec), field, reason)


def test_pod_monitor_endpoints_are_checked_too():
    refused_once(monitor("{podMetricsEndpoints: [{port: m, bearerTokenSecret: {name: s, key: t}}]}",
                         kind="PodMonitor"), "[spec.podMetricsEndpoints[0].bearerTokenSecret]")


def test_the_lessons_monitors_and_the_own_namespace_pass():
    assert violations(monitor("{selector: {matchLabels: {app: a}}, endpoints: [{port: metrics, "
                              "path: /metrics, interval: 15s, relabelings: [{targetLabel: model, "
                              "replacement: sentiment}], tlsConfig: {insecureSkipVerify: true}}]}")) == []
    assert violations(monitor("{selector: {matchLabels: {app: a}}, podMetricsEndpoints: [{port: metrics}]}",
                              kind="PodMonitor")) == []
    own = SandboxPolicy(namespace="sbx-1", pod_security="privileged")
    text = monitor("{namespaceSelector: {matchNames: [sbx-1]}, endpoints: [{port: m}]}")
    assert violations(text, own) == []


def test_monitor_endpoint_allowlist_holds_no_credentials():
    assert not MONITOR_ENDPOINT_FIELDS_ALLOWED & {
        "bearerTokenFile", "bearerTokenSecret", "authorization", "basicAuth", "oauth2", "proxyUrl",
        "honorLabels"}


POD_SPEC_REFUSED = {
    "node name": ("  nodeName: podium-control-plane\n", "[spec.nodeName]", "pins the pod"),
    "runtime class": ("  runtimeClassName: runc-privileged\n", "[spec.runtimeClassName]", "not allowed"),
    "scheduler": ("  schedulerName: my-scheduler\n", "[spec.schedulerName]", "default scheduler"),
    "wildcard toleration": ("  tolerations: [{operator: Exists}]\n", "[spec.tolerations[0]]", "every taint"),
    "control-plane toleration": ("  tolerations: [{key: node-role.kubernetes.io/control-plane, "
                                 "operator: Exists, effect: NoSchedule}]\n", "[spec.tolerations[0].key]",
                                 "control-plane"),
    "dns nameservers": ("  dnsConfig: {nameservers: [10.96.0.1]}\n", "[spec.dnsConfig.nameservers]",
                        "nameservers"),
    "dns policy none": ("  dnsPolicy: None\n", "[spec.dnsPolicy]", "ClusterFirst"),
    "ephemeral volume name": (
        "  volumes: [{name: v, ephemeral: {volumeClaimTemplate: {spec: {volumeName: pv-of-bob}}}}]\n",
        "[spec.volumes[0].ephemeral.volumeClaimTemplate.spec.volumeName]", "someone else's data"),
    "tolerations not a list": ("  tolerations: everything\n", "[spec.tolerations]", "must be a list"),
}


@pytest.mark.parametrize(("extra", "field", "reason"), POD_SPEC_REFUSED.values(), ids=POD_SPEC_REFUSED.keys())
def test_refuses_pod_specs_that_pick_their_node_runtime_or_dns(extra, field, reason):
    refused_once(pod(extra), field, reason)


def test_refuses_claims_bound_to_a_named_volume():
    refused_once("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\n"
                 "spec: {volumeName: pv-of-bob}\n", "[spec.volumeName]", "someone else's data")
    refused_once("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec:\n"
                 "  volumeClaimTemplates: [{metadata: {name: d}, spec: {volumeName: pv-of-bob}}]\n",
                 "[spec.volumeClaimTemplates[0].spec.volumeName]")


def test_keyed_tolerations_host_aliases_and_dns_options_pass():
    # The GPU activity tolerates nvidia.com/gpu by key; hostAliases only edit the pod's /etc/hosts.
    text = pod("  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\n"
               "  hostAliases: [{ip: 127.0.0.1, hostnames: [model.local]}]\n"
               "  dnsPolicy: ClusterFirst\n  dnsConfig: {options: [{name: ndots, value: '2'}]}\n")
    assert violations(text) == []
