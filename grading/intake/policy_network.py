"""What a sandbox's traffic rules may say: NetworkPolicy peers, Ingress hosts, backends and
annotations, and Prometheus Operator monitors: the objects that reach beyond the namespace
through the network, the shared ingress controller and the shared Prometheus. Pure: no Django.
grading/intake/policy.py calls these and re-exports the constants.
"""

from __future__ import annotations

import ipaddress
import re

from grading.intake.parsing import ParsedObject, Problem, field_name
from grading.intake.policy_shape import kind_of_value, list_at, mapping_at

# Where no sandbox NetworkPolicy may open traffic to (or from). NetworkPolicies are additive,
# so a student's ipBlock that covers these would undo the guardrail egress policy:
# - 169.254.0.0/16 and fe80::/10, link-local: the cloud metadata service (169.254.169.254,
#   credentials of the node's cloud identity) and node-local agents;
# - fd00:ec2::254/128: AWS's IPv6 metadata endpoint (not link-local, so named on its own);
# - 10.96.0.0/12: the Service CIDR of kubeadm, kind and k3d, where the API server's ClusterIP
#   (10.96.0.1) lives. Clusters with another range set GRADING_SANDBOX_DENIED_CIDRS (and may add
#   their pod and node ranges there too).
ALWAYS_DENIED_CIDRS = ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128")
DEFAULT_DENIED_CIDRS = ALWAYS_DENIED_CIDRS + ("10.96.0.0/12",)

# The Ingress annotations the course teaches (lessons 05 and activity 4): cert-manager issuers,
# and the everyday Ingress-NGINX routing knobs; Traefik (the sandbox controller) only for TLS.
# Everything else is refused: snippets, auth-url/auth-signin, mirror-*, server-alias and the
# like write into the shared controller's configuration (IngressNightmare, CVE-2025-1974), and
# Traefik's router.middlewares/entrypoints reach other namespaces' middlewares and the
# controller's internal entry points.
INGRESS_ANNOTATIONS_ALLOWED: frozenset[str] = frozenset({
    "cert-manager.io/cluster-issuer", "cert-manager.io/issuer",
    "nginx.ingress.kubernetes.io/rewrite-target", "nginx.ingress.kubernetes.io/use-regex",
    "nginx.ingress.kubernetes.io/ssl-redirect", "nginx.ingress.kubernetes.io/force-ssl-redirect",
    "nginx.ingress.kubernetes.io/proxy-body-size", "nginx.ingress.kubernetes.io/proxy-read-timeout",
    "nginx.ingress.kubernetes.io/proxy-send-timeout",
    "nginx.ingress.kubernetes.io/proxy-connect-timeout",
    "traefik.ingress.kubernetes.io/router.tls",
})
# Even an allowed annotation's value is written into the controller's configuration: plain
# tokens only (rewrite-target's "/$2", "8m", "true", an issuer's name), no quotes, braces,
# semicolons, comments or newlines that could close a directive and open another.
INGRESS_ANNOTATION_VALUE = re.compile(r"[A-Za-z0-9._~/:$@=,+-]{0,253}")

# Prometheus Operator monitors: what a sandbox ServiceMonitor/PodMonitor may say. Prometheus is
# shared and privileged (its own service-account token, Secrets it can read, the network it can
# reach), so a monitor may say which port and path to scrape and how often, nothing about
# credentials, proxies, TLS key material or the labels that identify a series' tenant.
MONITOR_SPEC_FIELDS_ALLOWED: frozenset[str] = frozenset({
    "selector", "endpoints", "podMetricsEndpoints", "namespaceSelector", "jobLabel", "targetLabels",
    "podTargetLabels", "sampleLimit", "targetLimit", "labelLimit", "labelNameLengthLimit",
    "labelValueLengthLimit",
})
MONITOR_ENDPOINT_FIELDS_ALLOWED: frozenset[str] = frozenset({
    "port", "portNumber", "targetPort", "path", "scheme", "params", "interval", "scrapeTimeout",
    "honorTimestamps", "trackTimestampsStaleness", "relabelings", "metricRelabelings", "tlsConfig",
    "followRedirects", "enableHttp2", "filterRunning",
})
MONITOR_TLS_FIELDS_ALLOWED = frozenset({"insecureSkipVerify", "serverName", "minVersion", "maxVersion"})
MONITOR_SCHEMES = {"http", "https"}
_MONITOR_WHY = {
    "bearerTokenFile": "it sends a file from Prometheus's own disk (its service-account token) to "
                       "your pod",
    "bearerTokenSecret": "it sends a Secret's token with every scrape",
    "authorization": "it sends credentials with every scrape",
    "basicAuth": "it sends credentials with every scrape",
    "oauth2": "it sends credentials with every scrape",
    "proxyUrl": "it sends Prometheus's requests through a proxy of your choice",
    "proxyURL": "it sends Prometheus's requests through a proxy of your choice",
    "honorLabels": "your pod's metrics would overwrite the namespace and job labels that say whose "
                   "series they are",
    "scrapeClass": "scrape classes carry the platform's TLS and authorization settings",
    "attachMetadata": "it makes Prometheus read node objects for your targets",
}


# --- NetworkPolicy ---------------------------------------------------------------------------

def denied_networks(cidrs: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """`cidrs` and ALWAYS_DENIED_CIDRS as networks, IPv4 ranges also as IPv4-mapped IPv6: an ipBlock
    of ::ffff:169.254.0.0/112 names the same hosts as 169.254.0.0/16."""
    nets = [n for n in map(parse_cidr, dict.fromkeys(ALWAYS_DENIED_CIDRS + tuple(cidrs))) if n is not None]
    mapped = [ipaddress.ip_network(f"::ffff:{n.network_address}/{96 + n.prefixlen}")
              for n in nets if n.version == 4]
    return nets + mapped


def parse_cidr(cidr: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if not isinstance(cidr, str) or "/" not in cidr:
        return None
    try:
        # Kubernetes accepts host bits in ipBlock.cidr (10.0.0.1/8 means 10.0.0.0/8).
        return ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None


def check_network_policy(obj: ParsedObject, denied: list) -> list[Problem]:
    """`denied`: denied_networks() of the sandbox policy."""
    problems: list[Problem] = []
    mapping_at(obj, ["spec"], problems)
    for direction, peers_key, whom in (("ingress", "from", "source"), ("egress", "to", "destination")):
        for i, rule in enumerate(list_at(obj, ["spec", direction], problems)):
            path = ["spec", direction, i]
            rule = mapping_at(obj, path, problems, rule)
            peers = list_at(obj, path + [peers_key], problems, rule.get(peers_key))
            if not peers:
                # No peers (absent, null, [] or a rule with only ports) means every peer: other
                # students' namespaces, the API server, the cloud metadata service.
                problems.append(obj.problem(path, f"{obj.ref}: {direction} rule {i + 1} lists no "
                                                  f"'{peers_key}' peers, so it allows every {whom} "
                                                  "(other sandboxes, the API server, cloud metadata); "
                                                  f"name them in '{peers_key}' with podSelector (or "
                                                  "ipBlock for addresses outside the cluster)"))
            for j, peer in enumerate(peers):
                problems += _check_peer(obj, path + [peers_key, j], peer, denied)
    return problems


def _check_peer(obj: ParsedObject, path: list, peer: object, denied: list) -> list[Problem]:
    problems: list[Problem] = []
    if not isinstance(peer, dict):
        return [obj.problem(path, f"{obj.ref}: a NetworkPolicy peer must be a mapping (found "
                                  f"{kind_of_value(peer)})")]
    if all(peer.get(k) is None for k in ("podSelector", "namespaceSelector", "ipBlock")):
        problems.append(obj.problem(path, f"{obj.ref}: an empty peer matches every pod and address; "
                                          "give it a podSelector (or an ipBlock)"))
    if peer.get("namespaceSelector") is not None:
        problems.append(obj.problem(path + ["namespaceSelector"],
                                    f"{obj.ref}: NetworkPolicy peers must stay inside the namespace "
                                    "(use podSelector); namespaceSelector is not allowed. DNS to "
                                    "kube-system's CoreDNS is already allowed in every sandbox, so "
                                    "an allow-DNS policy is not needed here"))
    if peer.get("ipBlock") is not None:
        problems += _check_ip_block(obj, path + ["ipBlock"], denied)
    return problems


def _check_ip_block(obj: ParsedObject, path: list, denied: list) -> list[Problem]:
    problems: list[Problem] = []
    block = mapping_at(obj, path, problems)
    cidr = block.get("cidr")
    network = parse_cidr(cidr)
    if network is None:
        problems.append(obj.problem(path + ["cidr"], f"{obj.ref}: ipBlock.cidr {cidr!r} is not a CIDR "
                                                     "(e.g. 203.0.113.0/24)"))
    excepts = []
    for k, value in enumerate(list_at(obj, path + ["except"], problems, block.get("except"))):
        carved = parse_cidr(value)
        if carved is None:
            problems.append(obj.problem(path + ["except", k], f"{obj.ref}: ipBlock.except entry "
                                                              f"{value!r} is not a CIDR"))
        else:
            excepts.append(carved)
    if network is None:
        return problems
    # An `except` that carves a denied range out is fine: that traffic stays denied.
    reachable = [str(d) for d in denied if still_open(network, excepts, d)]
    if reachable:
        problems.append(obj.problem(path + ["cidr"],
                                    f"{obj.ref}: ipBlock {cidr} includes {', '.join(reachable)}, which "
                                    "no sandbox may open (cloud metadata, link-local, the cluster's "
                                    "Services and API server); narrow the CIDR or list those ranges "
                                    "under ipBlock.except"))
    return problems


def still_open(network, excepts: list, denied) -> bool:
    """Whether `network` minus `excepts` still holds part of `denied`."""
    if network.version != denied.version or not network.overlaps(denied):
        return False
    # Two CIDRs that overlap are nested: their intersection is the smaller one.
    inside = denied if denied.subnet_of(network) else network
    carved = [e for e in excepts if e.version == inside.version and e.overlaps(inside)]
    if any(inside.subnet_of(e) for e in carved):
        return False
    # The rest are subnets of `inside`; collapsed, they are exactly `inside` iff they cover it.
    return list(ipaddress.collapse_addresses(carved)) != [inside]


# --- Ingress ---------------------------------------------------------------------------------

def host_in_domain(host: str, domain: str) -> bool:
    host = host.lower().rstrip(".")
    if host.startswith("*."):
        host = host[2:]
    domain = domain.lower().rstrip(".")
    return host == domain or host.endswith("." + domain)


def _allowed_annotations_brief() -> str:
    groups: dict[str, list[str]] = {}
    for key in sorted(INGRESS_ANNOTATIONS_ALLOWED):
        prefix, _, name = key.partition("/")
        groups.setdefault(prefix, []).append(name)
    return "; ".join(f"{prefix}/ {', '.join(names)}" for prefix, names in groups.items())


def _check_host(obj: ParsedObject, path: list, host: object, domain: str, what: str) -> list[Problem]:
    ref = obj.ref
    if not isinstance(host, str):
        return [obj.problem(path, f"{ref}: {what} must be a string (found {kind_of_value(host)})")]
    if "*" in host:
        return [obj.problem(path, f"{ref}: wildcard {what} {host!r} would catch other sandboxes' "
                                  f"hosts; name one host, e.g. api.{domain}")]
    if not host_in_domain(host, domain):
        if what == "host":
            return [obj.problem(path, f"{ref}: host {host!r} is outside this lab's domain; use a "
                                      f"subdomain of {domain} (e.g. api.{domain})")]
        return [obj.problem(path, f"{ref}: TLS host {host!r} is outside this lab's domain {domain}")]
    if host.lower().rstrip(".") == domain.lower().rstrip("."):
        return [obj.problem(path, f"{ref}: {what} {host!r} is the lab's bare domain, shared by every "
                                  f"sandbox; use a subdomain of it (e.g. api.{domain})")]
    return []


def check_ingress(obj: ParsedObject, domain: str) -> list[Problem]:
    problems: list[Problem] = []
    spec = mapping_at(obj, ["spec"], problems)
    for key in ("defaultBackend", "backend"):
        if spec.get(key) is not None:
            problems.append(obj.problem(["spec", key],
                                        f"{obj.ref}: spec.{key} catches requests for every host; give "
                                        f"each rule a host under {domain} and its own paths instead"))
    for i, rule in enumerate(list_at(obj, ["spec", "rules"], problems)):
        host = mapping_at(obj, ["spec", "rules", i], problems, rule).get("host")
        if not host:
            problems.append(obj.problem(["spec", "rules", i],
                                        f"{obj.ref}: every Ingress rule needs a host under {domain} "
                                        f"(e.g. api.{domain}); a rule without one catches every host"))
        else:
            problems += _check_host(obj, ["spec", "rules", i, "host"], host, domain, "host")
    for i, tls in enumerate(list_at(obj, ["spec", "tls"], problems)):
        hosts = mapping_at(obj, ["spec", "tls", i], problems, tls).get("hosts")
        for j, host in enumerate(list_at(obj, ["spec", "tls", i, "hosts"], problems, hosts)):
            problems += _check_host(obj, ["spec", "tls", i, "hosts", j], host, domain, "TLS host")
    for key, value in mapping_at(obj, ["metadata", "annotations"], []).items():
        path = ["metadata", "annotations", key]
        if key not in INGRESS_ANNOTATIONS_ALLOWED:
            problems.append(obj.problem(path, f"{obj.ref}: annotation {key!r} is not allowed on a sandbox "
                                              "Ingress (controller annotations can rewrite the shared "
                                              "ingress controller's configuration); allowed: "
                                              f"{_allowed_annotations_brief()}"))
        elif not isinstance(value, str) or not INGRESS_ANNOTATION_VALUE.fullmatch(value):
            problems.append(obj.problem(path, f"{obj.ref}: annotation {key!r} has the value {value!r}; "
                                              "use a plain value (letters, digits and . _ ~ / : $ @ = , "
                                              "+ -, at most 253 characters)"))
    return problems


# --- ServiceMonitor / PodMonitor -------------------------------------------------------------

def check_monitor(obj: ParsedObject, namespace: str | None) -> list[Problem]:
    """`namespace`: the sandbox's own, the only one a monitor may select (None: none named)."""
    problems: list[Problem] = []
    spec = mapping_at(obj, ["spec"], problems)
    for key in spec:
        if key not in MONITOR_SPEC_FIELDS_ALLOWED:
            problems.append(_monitor_field(obj, ["spec", key], key, MONITOR_SPEC_FIELDS_ALLOWED))
    selector = mapping_at(obj, ["spec", "namespaceSelector"], problems)
    names = list_at(obj, ["spec", "namespaceSelector", "matchNames"], problems, selector.get("matchNames"))
    if selector.get("any") not in (None, False) or any(n != namespace for n in names):
        problems.append(obj.problem(["spec", "namespaceSelector"],
                                    f"{obj.ref}: namespaceSelector reaches other namespaces; leave it "
                                    "out (a sandbox monitor watches its own namespace)"))
    group = "podMetricsEndpoints" if obj.kind == "PodMonitor" else "endpoints"
    for i, endpoint in enumerate(list_at(obj, ["spec", group], problems)):
        path = ["spec", group, i]
        endpoint = mapping_at(obj, path, problems, endpoint)
        for key in endpoint:
            if key not in MONITOR_ENDPOINT_FIELDS_ALLOWED:
                problems.append(_monitor_field(obj, path + [key], key, MONITOR_ENDPOINT_FIELDS_ALLOWED))
        scheme = endpoint.get("scheme")
        if scheme is not None and str(scheme).lower() not in MONITOR_SCHEMES:
            problems.append(obj.problem(path + ["scheme"], f"{obj.ref}: scheme {scheme!r} is not "
                                                           "allowed; use http or https"))
        tls = mapping_at(obj, path + ["tlsConfig"], problems, endpoint.get("tlsConfig"))
        for key in tls:
            if key not in MONITOR_TLS_FIELDS_ALLOWED:
                problems.append(obj.problem(path + ["tlsConfig", key],
                                            f"{obj.ref}: tlsConfig.{key} is not allowed (certificates and "
                                            "keys, as files or Secrets, are Prometheus's, not the "
                                            "sandbox's); allowed: "
                                            f"{', '.join(sorted(MONITOR_TLS_FIELDS_ALLOWED))}"))
        for relabel in ("relabelings", "metricRelabelings"):
            problems += _check_relabelings(obj, path + [relabel], endpoint.get(relabel))
    return problems


def _monitor_field(obj: ParsedObject, path: list, key: object, allowed: frozenset[str]) -> Problem:
    why = _MONITOR_WHY.get(str(key), "it is not on the sandbox's list")
    return obj.problem(path, f"{obj.ref}: {key} is not allowed in a sandbox {obj.kind} ({why}); "
                             f"allowed: {', '.join(sorted(allowed))}")


def _check_relabelings(obj: ParsedObject, path: list, value: object) -> list[Problem]:
    """Labels starting with __ steer the scrape itself (__address__ is where Prometheus connects,
    __scheme__, __metrics_path__, __param_*); `namespace` says whose series it is."""
    problems: list[Problem] = []
    for i, rule in enumerate(list_at(obj, path, problems, value)):
        rule = mapping_at(obj, path + [i], problems, rule)
        targets = [("targetLabel", rule.get("targetLabel"))]
        if str(rule.get("action", "")).lower() == "labelmap":
            targets.append(("replacement", rule.get("replacement")))
        for key, label in targets:
            if isinstance(label, str) and (label.startswith("__") or label == "namespace"):
                problems.append(obj.problem(path + [i, key],
                                            f"{obj.ref}: {field_name(path)} rule {i + 1} writes the label "
                                            f"{label!r}, which steers Prometheus itself (or names "
                                            "another tenant); write ordinary labels only"))
    return problems
