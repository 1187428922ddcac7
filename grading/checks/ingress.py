"""Checks on Ingresses: class, TLS hosts, backends and the certificates behind them."""

from collections.abc import Callable

from grading.checks.base import CheckOutcome, cap, check, failed, join, passed, scored
from grading.checks.objects import Objects, ref, service_selects
from grading.checks.pods import target_workload
from grading.checks.tls import CERT_MANAGER_ANNOTATIONS, covers, host_covered, read_tls_secret

NO_INGRESS = "The submission has no Ingress."


def _issuer(ingress: dict) -> str | None:
    annotations = (ingress.get("metadata") or {}).get("annotations") or {}
    for key in CERT_MANAGER_ANNOTATIONS:
        if annotations.get(key):
            return f"{key}: {annotations[key]}"
    return None


def _rule_hosts(ingress: dict) -> list[str | None]:
    return [rule.get("host") for rule in (ingress.get("spec") or {}).get("rules") or []]


DEFAULT_INGRESS_CLASSES = ("traefik",)


def _default_classes() -> tuple[str, ...]:
    return DEFAULT_INGRESS_CLASSES


# The check library stays free of Django: the grading app (grading.apps.ready) points this at
# grading.conf.ingress_classes, which reads GRADING_INGRESS_CLASSES at grading time.
served_ingress_classes: Callable[[], tuple[str, ...]] = _default_classes


@check("ingress-class")
def ingress_class(objects: Objects, *, points: float, class_name: str | None = None,
                  classes: list[str] | None = None) -> CheckOutcome:
    """Every Ingress is networking.k8s.io/v1 and names, with spec.ingressClassName, a class the
    sandbox serves: `class_name` if given, else one of `classes`, else the configured classes
    (GRADING_INGRESS_CLASSES, default traefik). A class no controller serves is never picked up."""
    ingresses = objects.of_kind("Ingress")
    allowed = [class_name] if class_name else list(classes or served_ingress_classes())
    expected = f"networking.k8s.io/v1 with ingressClassName {' or '.join(allowed)}"
    if not ingresses:
        return failed(points, NO_INGRESS, expected=expected, observed="no Ingress")
    bad, seen = [], []
    for ing in ingresses:
        cls = (ing.get("spec") or {}).get("ingressClassName")
        seen.append(f"{ref(ing)} ({ing.get('apiVersion')}) class {cls or 'unset'}")
        if ing.get("apiVersion") != "networking.k8s.io/v1":
            bad.append(f"{ref(ing)} uses {ing.get('apiVersion')}")
        elif not cls:
            bad.append(f"{ref(ing)} sets no ingressClassName (the old kubernetes.io/ingress.class "
                       "annotation is deprecated)")
        elif cls not in allowed:
            bad.append(f"{ref(ing)} asks for class {cls!r}, which no controller of the sandbox serves")
    served = f"the classes served are {join(allowed)}" if len(allowed) > 1 \
        else f"the class served is {allowed[0]}"
    return scored(len(ingresses) - len(bad), len(ingresses), points,
                  message_ok=f"{join(seen)}.",
                  message_bad=f"{join(bad)}: no controller would pick it up ({served}).",
                  expected=expected, observed="; ".join(seen))


@check("ingress-tls-hosts")
def ingress_tls_hosts(objects: Objects, *, points: float) -> CheckOutcome:
    """Every rule host of every Ingress is listed in a spec.tls entry that names a Secret."""
    ingresses = objects.of_kind("Ingress")
    expected = "every rule host listed under spec.tls with a secretName"
    if not ingresses:
        return failed(points, NO_INGRESS, expected=expected, observed="no Ingress")
    total, bad = 0, []
    for ing in ingresses:
        entries = (ing.get("spec") or {}).get("tls") or []
        for host in _rule_hosts(ing):
            total += 1
            if not host:
                bad.append(f"a rule of {ref(ing)} has no host, so no certificate can be chosen for it")
            elif not any(host_covered(e.get("hosts") or [], host) and (e.get("secretName") or _issuer(ing))
                         for e in entries):
                bad.append(f"{host} ({ref(ing)}) is in no tls entry")
    if not total:
        return failed(points, "No Ingress has rules with hosts.", expected=expected, observed="no rules")
    listed = [h for e in ingresses for t in (e.get("spec") or {}).get("tls") or []
              for h in t.get("hosts") or []]
    return scored(total - len(bad), total, points,
                  message_ok="Every host the Ingress serves is listed under spec.tls.",
                  message_bad=f"{join(bad)}: that host would be served over plain HTTP or with the "
                              "controller's default certificate.",
                  expected=expected, observed=f"tls hosts: {', '.join(listed) or 'none'}")


@check("ingress-backends-exist")
def ingress_backends_exist(objects: Objects, *, points: float) -> CheckOutcome:
    """Every Ingress backend names a submitted Service and one of its ports (number or name)."""
    ingresses = objects.of_kind("Ingress")
    expected = "each backend is a submitted Service and one of its ports"
    if not ingresses:
        return failed(points, NO_INGRESS, expected=expected, observed="no Ingress")
    total, bad, good = 0, [], []
    for ing in ingresses:
        for _host, backend in objects.ingress_backends(ing):
            total += 1
            svc_ref = backend.get("service") or {}
            svc_name, port = svc_ref.get("name"), svc_ref.get("port")
            # An Ingress backend's port is a mapping {number} or {name}; anything else names none.
            port = port if isinstance(port, dict) else {}
            service = objects.get("Service", str(svc_name)) if svc_name else None
            if service is None:
                bad.append(f"{ref(ing)} routes to Service/{svc_name}, which is not in the submission")
                continue
            ports = (service.get("spec") or {}).get("ports") or []
            if "number" in port:
                ok = any(p.get("port") == port["number"] for p in ports)
            else:
                ok = any(p.get("name") == port.get("name") for p in ports)
            wanted = port.get("number", port.get("name"))
            if ok:
                good.append(f"{ref(service)}:{wanted}")
            else:
                have = ", ".join(str(p.get("name") or p.get("port")) + f"={p.get('port')}" for p in ports)
                bad.append(f"{ref(ing)} uses port {wanted} of {ref(service)}, which has ports {have}")
    if not total:
        return failed(points, "No Ingress has a backend.", expected=expected, observed="no backends")
    return scored(total - len(bad), total, points,
                  message_ok=f"Every backend exists: {join(sorted(set(good)))}.",
                  message_bad=f"{join(bad)}; the controller would answer 503.",
                  expected=expected, observed="; ".join(bad) or ", ".join(sorted(set(good))))


def _issued_secrets(objects: Objects) -> dict[str, tuple[dict, list[str]]]:
    """{Secret name: (the annotated Ingress, the hosts cert-manager puts in it)}. cert-manager's
    ingress-shim makes one Certificate per Secret named under tls of an annotated Ingress, so an
    Ingress sharing that Secret (same host) needs no annotation of its own."""
    issued: dict[str, tuple[dict, list[str]]] = {}
    for ing in objects.of_kind("Ingress"):
        if not _issuer(ing):
            continue
        for entry in (ing.get("spec") or {}).get("tls") or []:
            name = entry.get("secretName")
            if name:
                hosts = [str(h) for h in entry.get("hosts") or []]
                issued.setdefault(str(name), (ing, []))[1].extend(hosts)
    return issued


def _certificate_problems(objects: Objects, ingress: dict) -> tuple[int, list[str], list[str]]:
    """(tls entries, problems, descriptions of good entries) for one Ingress, judged per Secret."""
    entries = (ingress.get("spec") or {}).get("tls") or []
    issuer = _issuer(ingress)
    issued = _issued_secrets(objects)
    problems, good = [], []
    for entry in entries:
        hosts, secret_name = entry.get("hosts") or [], entry.get("secretName")
        if issuer:
            good.append(f"{ref(ingress)} gets its certificate from cert-manager ({issuer})")
            continue
        secret = objects.get("Secret", str(secret_name)) if secret_name else None
        if secret is None and str(secret_name) in issued:
            owner, names = issued[str(secret_name)]
            uncovered = [h for h in hosts if not host_covered(names, str(h))]
            if uncovered:
                problems.append(f"Secret/{secret_name} is issued by cert-manager for {ref(owner)}'s hosts "
                                f"({join(names) or 'none'}), not for {join(uncovered)}")
            else:
                good.append(f"Secret/{secret_name} for {join(hosts)} is issued by cert-manager "
                            f"for {ref(owner)}")
            continue
        if secret is None:
            problems.append(f"the tls entry for {join(hosts) or 'no hosts'} names Secret/{secret_name}, "
                            "which is not in the submission (and no cert-manager issuer annotation is set)")
            continue
        report = read_tls_secret(secret)
        uncovered = [h for h in hosts if not covers(report.names, h)]
        if report.problems:
            problems.append(f"{ref(secret)} {join(report.problems)}")
        elif uncovered:
            names = join(report.names) or "no DNS names"
            problems.append(f"the certificate in {ref(secret)} covers {names}, "
                            f"not {join(uncovered)}")
        else:
            good.append(f"{ref(secret)} covers {join(hosts)}")
    return len(entries), problems, good


@check("ingress-tls-certificate")
def ingress_tls_certificate(objects: Objects, *, points: float) -> CheckOutcome:
    """Each TLS entry's Secret is a kubernetes.io/tls Secret whose certificate parses, matches its
    key and covers the entry's hosts (wildcards included), unless a cert-manager issuer
    annotation on the Ingress makes cert-manager write it."""
    ingresses = objects.of_kind("Ingress")
    expected = "a parseable kubernetes.io/tls certificate covering each TLS host, or a cert-manager issuer"
    if not ingresses:
        return failed(points, NO_INGRESS, expected=expected, observed="no Ingress")
    total, problems, good = 0, [], []
    for ing in ingresses:
        count, bad, ok = _certificate_problems(objects, ing)
        total, problems, good = total + count, problems + bad, good + ok
    if not total:
        return failed(points, "No Ingress has a spec.tls entry, so there is no certificate to check.",
                      expected=expected, observed="no tls entries")
    return scored(total - len(problems), total, points,
                  message_ok=f"{join(good)}.",
                  message_bad=f"{cap(join(problems))}.",
                  expected=expected, observed="; ".join(problems + good))


@check("ingress-tls-to-workload")
def ingress_tls_to_workload(objects: Objects, *, points: float, kind: str | None = None,
                            name: str | None = None) -> CheckOutcome:
    """An Ingress routes to the workload through a Service, lists its hosts under TLS, and has a
    valid certificate (or cert-manager). A third of the points for each."""
    workload, which = target_workload(objects, kind, name)
    expected = "an Ingress routing to the Deployment's Service over TLS with a valid certificate"
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    labels = objects.pod_labels(workload)
    ingress, depends = None, ""
    for ing in objects.of_kind("Ingress"):
        for _host, backend in objects.ingress_backends(ing):
            service = objects.get("Service", str((backend.get("service") or {}).get("name")))
            if service is not None and service_selects(service, labels):
                ingress = ing
    if ingress is None:
        # One fault, one red mark: when no Service selects the workload (the service check marks
        # that) and an Ingress routes to a submitted Service that selects no pods at all, the fault
        # is that Service's selector; judge the Ingress's TLS here. If another Service does select
        # the workload, routing elsewhere is the Ingress's own fault.
        routed = [(ing, objects.get("Service", str((backend.get("service") or {}).get("name"))))
                  for ing in objects.of_kind("Ingress") for _h, backend in objects.ingress_backends(ing)]
        orphan = None if objects.services_selecting(workload) else next(
            ((ing, svc) for ing, svc in routed if svc is not None and not objects.workloads_selected_by(svc)),
            None)
        if orphan is None:
            observed = join([ref(i) for i in objects.of_kind("Ingress")]) or "no Ingress"
            return failed(points, f"{which} No Ingress routes to it through a Service.", expected=expected,
                          observed=observed)
        ingress = orphan[0]
        depends = (f" (depends on: service. {ref(ingress)} routes to {ref(orphan[1])}, which selects no "
                   "pods; that is marked under the service requirement, not here.)")
    hosts = [h for h in _rule_hosts(ingress) if h]
    entries = (ingress.get("spec") or {}).get("tls") or []
    uncovered = [h for h in _rule_hosts(ingress)
                 if not h or not any(host_covered(e.get("hosts") or [], h) for e in entries)]
    _count, cert_problems, _good = _certificate_problems(objects, ingress)
    problems = []
    if uncovered:
        missing = join([h or "its host-less rule" for h in uncovered])
        problems.append(f"{ref(ingress)} does not list {missing} "
                        "under spec.tls")
    if not entries:
        cert_problems = [f"{ref(ingress)} has no certificate"]
    problems += cert_problems
    earned = 1 + int(not uncovered) + int(not cert_problems)
    if earned == 3:
        return passed(points, f"{which} {ref(ingress)} serves {join(hosts)} to it over TLS.{depends}",
                      expected=expected, observed=f"{ref(ingress)} -> {ref(workload)}, TLS ok")
    message = f"{which} {ref(ingress)} routes to it, but {join(problems)}.{depends}"
    return scored(earned, 3, points, message_ok=message, message_bad=message, expected=expected,
                  observed="; ".join(problems))
