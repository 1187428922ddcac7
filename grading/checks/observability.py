"""Checks on health and metrics: probes pointing at declared ports, Prometheus scraping."""

from grading.checks.base import CheckOutcome, cap, check, failed, join, passed, scored
from grading.checks.objects import Objects, ref, selector_matches
from grading.checks.pods import all_ports, port_matches, serving_containers, target_workload

PROBES = {"liveness": "livenessProbe", "readiness": "readinessProbe", "startup": "startupProbe"}


def _probe_port(probe: dict) -> tuple[bool, object]:
    """(has a port, the port) of an httpGet, tcpSocket or grpc probe; exec probes have none."""
    for handler in ("httpGet", "tcpSocket", "grpc"):
        if probe.get(handler):
            return True, probe[handler].get("port")
    return False, None


@check("probes")
def probes(objects: Objects, *, points: float, types: list[str] | None = None, kind: str | None = None,
           name: str | None = None) -> CheckOutcome:
    """Every serving container (one that declares a port) has each probe in `types`
    (liveness, readiness, startup), and a probe's port names one of its declared ports.
    Partial credit per container and probe."""
    types = types or ["liveness", "readiness"]
    unknown = [t for t in types if t not in PROBES]
    if unknown:
        raise TypeError(f"types must be among {sorted(PROBES)}, not {unknown}")
    workload, which = target_workload(objects, kind, name)
    expected = f"{' and '.join(types)} probes on every serving container, on declared ports"
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    spec = objects.pod_template(workload)["spec"]
    total, bad, good = 0, [], []
    for c in serving_containers(spec):
        for probe_type in types:
            total += 1
            probe = c.get(PROBES[probe_type])
            label = f"container {c.get('name')!r}"
            if not probe:
                bad.append(f"{label} has no {probe_type} probe")
                continue
            has_port, port = _probe_port(probe)
            if has_port and not port_matches(c.get("ports") or [], port):
                declared = ", ".join(f"{p.get('name') or ''}:{p.get('containerPort')}".lstrip(":")
                                     for p in c.get("ports") or []) or "none"
                bad.append(f"the {probe_type} probe of {label} points at port {port!r}, which is not one of "
                           f"its ports ({declared})")
            else:
                good.append(f"{probe_type} on {c.get('name')}")
    return scored(total - len(bad), total, points,
                  message_ok=f"{which} Probes in place: {join(good, limit=9)}.",
                  message_bad=f"{which} {cap(join(bad))}.",
                  expected=expected, observed="; ".join(bad) or ", ".join(good))


def _annotations(obj: dict) -> dict:
    return dict((obj.get("metadata") or {}).get("annotations") or {})


def _metrics_ports(objects: Objects, workload: dict) -> list[dict]:
    """Container ports that serve metrics: named like metrics/prom, or the annotated port."""
    template = objects.pod_template(workload)
    ports = all_ports(template["spec"])
    annotated = _annotations(template).get("prometheus.io/port")
    return [p for p in ports if any(w in str(p.get("name", "")) for w in ("metric", "prom"))
            or (annotated is not None and str(p.get("containerPort")) == str(annotated))]


@check("metrics-port")
def metrics_port(objects: Objects, *, points: float, kind: str | None = None,
                 name: str | None = None) -> CheckOutcome:
    """The workload declares a metrics port: a container port named like `metrics`, or the one
    its prometheus.io/port annotation names."""
    workload, which = target_workload(objects, kind, name)
    expected = "a container port for metrics (named metrics, or the prometheus.io/port)"
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    found = _metrics_ports(objects, workload)
    ports = all_ports(objects.pod_template(workload)["spec"])
    observed = f"{ref(workload)} ports: " + (", ".join(f"{p.get('name') or '-'}={p.get('containerPort')}"
                                                        for p in ports) or "none")
    if found:
        return passed(points, f"{which} It exposes metrics on port {found[0].get('containerPort')}.",
                      expected=expected, observed=observed)
    return failed(points, f"{which} No container port is declared for metrics; name it (e.g. `metrics`) so "
                  "Services, monitors and people can find it.", expected=expected, observed=observed)


def _scrape_config(objects: Objects, workload: dict) -> tuple[list[str], list[str]]:
    """(ways Prometheus would find the workload, problems) from annotations and Operator CRDs."""
    template = objects.pod_template(workload)
    ports = all_ports(template["spec"])
    services = objects.services_selecting(workload)
    ways, problems = [], []
    for owner, annotations in [(f"the pod template of {ref(workload)}", _annotations(template))] + \
            [(ref(s), _annotations(s)) for s in services]:
        if str(annotations.get("prometheus.io/scrape", "")).lower() != "true":
            continue
        port = annotations.get("prometheus.io/port")
        if port is not None and not port_matches(ports, str(port)):
            problems.append(f"{owner} says prometheus.io/port: {port!r}, which no container declares")
        else:
            ways.append(f"prometheus.io/scrape on {owner}")
    for monitor in objects.of_kind("ServiceMonitor"):
        spec = monitor.get("spec") or {}
        for svc in services:
            if selector_matches(spec.get("selector"), dict((svc.get("metadata") or {}).get("labels") or {})):
                names = {p.get("name") for p in (svc.get("spec") or {}).get("ports") or []}
                if any(isinstance(e.get("port"), str) and e["port"] in names
                       for e in spec.get("endpoints") or []):
                    ways.append(f"{ref(monitor)} via {ref(svc)}")
                else:
                    problems.append(f"{ref(monitor)} scrapes a port {ref(svc)} doesn't name")
    for monitor in objects.of_kind("PodMonitor"):
        spec = monitor.get("spec") or {}
        if selector_matches(spec.get("selector"), objects.pod_labels(workload)):
            if any(port_matches(ports, e.get("port")) for e in spec.get("podMetricsEndpoints") or []):
                ways.append(ref(monitor))
            else:
                problems.append(f"{ref(monitor)} scrapes a port the pods don't name")
    return ways, problems


@check("prometheus-scrape")
def prometheus_scrape(objects: Objects, *, points: float, kind: str | None = None,
                      name: str | None = None) -> CheckOutcome:
    """Prometheus is told to scrape the workload: prometheus.io/scrape "true" on its pod template
    or Service (with any prometheus.io/port declared), or a ServiceMonitor/PodMonitor selecting it."""
    workload, which = target_workload(objects, kind, name)
    expected = 'prometheus.io/scrape: "true" (port declared) or a ServiceMonitor/PodMonitor'
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    ways, problems = _scrape_config(objects, workload)
    if problems:
        return failed(points, f"{which} {cap(join(problems))}.",
                      expected=expected, observed="; ".join(problems + ways))
    if ways:
        return passed(points, f"{which} Prometheus finds it through {join(ways)}.", expected=expected,
                      observed="; ".join(ways))
    return failed(points, f"{which} Nothing tells Prometheus to scrape it: add prometheus.io/scrape, "
                  "prometheus.io/port and prometheus.io/path annotations to the pod template, or a "
                  "ServiceMonitor.", expected=expected, observed="no scrape annotation or monitor")


@check("monitoring")
def monitoring(objects: Objects, *, points: float, kind: str | None = None,
               name: str | None = None) -> CheckOutcome:
    """A metrics port plus a way for Prometheus to scrape it; half the points each."""
    port = metrics_port(objects, points=1, kind=kind, name=name)
    scrape = prometheus_scrape(objects, points=1, kind=kind, name=name)
    earned = int(port.passed) + int(scrape.passed)
    message = port.message if not port.passed else scrape.message if not scrape.passed else \
        f"{port.message} {scrape.message.split('. ', 1)[-1]}"
    return scored(earned, 2, points, message_ok=message, message_bad=message,
                  expected="a metrics port and a Prometheus scrape annotation or monitor",
                  observed=f"{port.observed}; {scrape.observed}")
