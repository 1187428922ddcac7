"""Checks on Services: what they select, where their ports lead, and how clients name them."""

import re

from grading.checks.base import CheckOutcome, cap, check, failed, join, passed, scored
from grading.checks.objects import Objects, name_of, ref
from grading.checks.pods import (
    COMPONENT_TITLES,
    all_ports,
    component_of,
    containers,
    env_values,
    find_component,
    port_matches,
    target_workload,
)

DEFAULT_COMPONENTS = ["model-server", "redis", "postgres"]


def _title(component: str) -> str:
    return COMPONENT_TITLES.get(component, component)


@check("stack-components")
def stack_components(objects: Objects, *, points: float,
                     components: list[str] | None = None) -> CheckOutcome:
    """Each component (model-server, redis, postgres) has a workload and a Service selecting it.
    Half the component's share for the workload, half for the Service. Components are found by
    what they run (pods.find_component), and the message names the object judged for each."""
    components = components or DEFAULT_COMPONENTS
    found, problems = 0, []
    seen = []
    for component in components:
        workload = find_component(objects, component)
        if workload is None:
            problems.append(f"no {_title(component)} workload")
            continue
        found += 1
        services = objects.services_selecting(workload)
        if services:
            found += 1
            seen.append(f"{_title(component)}: {component_of(objects, workload)} behind {ref(services[0])}")
        else:
            problems.append(f"no Service selects the pods of {component_of(objects, workload)}, "
                            f"judged as the {_title(component)}")
    expected = "a workload and a Service for each of " + join([_title(c) for c in components])
    return scored(found, 2 * len(components), points,
                  message_ok=f"Each part of the stack runs with a Service in front: {join(seen)}.",
                  message_bad=f"The stack is incomplete: {join(problems)}.",
                  expected=expected, observed="; ".join(seen + problems))


@check("service-selectors-match")
def service_selectors_match(objects: Objects, *, points: float) -> CheckOutcome:
    """Every Service's selector matches the pod labels of a submitted workload."""
    services = objects.of_kind("Service")
    expected = "every Service selects the pods of a workload"
    if not services:
        return failed(points, "The submission has no Service.", expected=expected, observed="no Service")
    wrong = []
    for svc in services:
        selector = (svc.get("spec") or {}).get("selector") or {}
        if not objects.workloads_selected_by(svc):
            text = ", ".join(f"{k}={v}" for k, v in selector.items()) or "no selector"
            wrong.append(f"{ref(svc)} ({text})")
    return scored(len(services) - len(wrong), len(services), points,
                  message_ok="Every Service's selector matches the labels of a workload's pods.",
                  message_bad=f"{join(wrong)} select(s) no pods: the Service would have no endpoints. "
                              "Copy the selector from the pod template's labels.",
                  expected=expected, observed="selects nothing: " + join(wrong) if wrong else "all match")


def _target_port_problems(objects: Objects, service: dict, workloads: list[dict]) -> tuple[int, list[str]]:
    """(ports checked, problems) for one Service against the workloads it selects."""
    problems, count = [], 0
    for port in (service.get("spec") or {}).get("ports") or []:
        count += 1
        target = port.get("targetPort", port.get("port"))
        for workload in workloads:
            spec = objects.pod_template(workload)["spec"]
            if not port_matches(all_ports(spec), target):
                declared = ", ".join(
                    f"{p.get('name') + ':' if p.get('name') else ''}{p.get('containerPort')}"
                    for p in all_ports(spec))
                declares = (f"declares container ports {declared}" if declared
                            else "declares no container port")
                problems.append(f"{ref(service)} port {port.get('port')} targets {target!r} but "
                                f"{ref(workload)} {declares}")
                break
    return count, problems


@check("service-target-ports")
def service_target_ports(objects: Objects, *, points: float) -> CheckOutcome:
    """Every Service port's targetPort (a number or a port name) is a containerPort of the pods
    it selects. Services that select nothing are left to service-selectors-match."""
    expected = "each targetPort names a containerPort (by number or name) of the selected pods"
    total, problems, checked = 0, [], []
    for svc in objects.of_kind("Service"):
        workloads = objects.workloads_selected_by(svc)
        if not workloads:
            continue
        checked.append(ref(svc))
        count, found = _target_port_problems(objects, svc, workloads)
        total += count
        problems += found
    if not checked:
        return failed(points, "No Service selects any submitted pods, so no targetPort can be checked.",
                      expected=expected, observed="no Service with endpoints")
    return scored(total - len(problems), total, points,
                  message_ok=f"The ports of {join(checked)} lead to ports the containers declare.",
                  message_bad=f"{join(problems)}: traffic would reach a closed port.",
                  expected=expected, observed="; ".join(problems) or "all match")


@check("service-exposes-workload")
def service_exposes_workload(objects: Objects, *, points: float, kind: str | None = None,
                             name: str | None = None) -> CheckOutcome:
    """A Service selects the workload's pods and every one of its ports maps to a container port.
    Half the points for selecting, half for the ports."""
    workload, which = target_workload(objects, kind, name)
    expected = "a Service selecting the pods, each targetPort a declared containerPort"
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    services = objects.services_selecting(workload)
    if not services:
        labels = ", ".join(f"{k}={v}" for k, v in objects.pod_labels(workload).items()) or "no labels"
        return failed(points, f"{which} No Service selects its pods (labelled {labels}).",
                      expected=expected,
                      observed=f"Services: {join([ref(s) for s in objects.of_kind('Service')]) or 'none'}")
    best = min(services, key=lambda s: len(_target_port_problems(objects, s, [workload])[1]))
    _, problems = _target_port_problems(objects, best, [workload])
    if not problems:
        return passed(points, f"{which} {ref(best)} selects its pods and its ports lead to declared "
                      "container ports.", expected=expected, observed=f"{ref(best)} -> {ref(workload)}")
    return CheckOutcome(False, round(points / 2, 2), float(points),
                        f"{which} {join(problems)}.", expected, "; ".join(problems))


_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"


def _short_name(service: str) -> re.Pattern[str]:
    """The Service's short name as a host (alone, before a port or path, inside a URL): the only
    form that resolves in whatever namespace the manifests are applied to."""
    # Not followed by "://": `redis://…` is a URL scheme, not the host.
    return re.compile(rf"(?<![-a-z0-9.]){re.escape(service)}(?![-a-z0-9.]|://)")


def _namespaced_name(service: str) -> re.Pattern[str]:
    """`name.<namespace>[.svc[.cluster.local]]`: fixed to one namespace, which the sandbox is not."""
    return re.compile(rf"(?<![-a-z0-9.]){re.escape(service)}\.({_LABEL})(?:\.svc(?:\.{_LABEL})*)?"
                      rf"(?![-a-z0-9.])")


@check("env-service-dns")
def env_service_dns(objects: Objects, *, points: float, client: str = "model-server",
                    targets: list[str] | None = None) -> CheckOutcome:
    """The client's environment names each target component by the short DNS name of the Service
    in front of it (possibly inside a URL). `name.namespace` and FQDN forms are tied to one
    namespace, not the sandbox's, so they don't count. Partial credit per target."""
    targets = targets or ["redis", "postgres"]
    workload = find_component(objects, client)
    expected = "env names " + join([f"the {_title(t)} Service" for t in targets]) + " by DNS name"
    if workload is None:
        return failed(points, f"The submission has no {_title(client)} workload.", expected=expected,
                      observed="no client")
    spec = objects.pod_template(workload)["spec"]
    values = [pair for _, c in containers(spec, init=True) for pair in env_values(objects, c)]
    ok, problems = [], []
    for target in targets:
        component = find_component(objects, target)
        services = objects.services_selecting(component) if component else []
        if not services:
            problems.append(f"no Service in front of {_title(target)}, so there is no DNS name to use")
            continue
        names = [name_of(s) for s in services]
        hit = next(((var, value) for var, value in values for n in names
                    if _short_name(n).search(value)), None)
        pinned = next(((var, value, m.group(1)) for var, value in values for n in names
                       for m in [_namespaced_name(n).search(value)] if m), None)
        if hit:
            ok.append(f"{hit[0]}={hit[1]}")
        elif pinned:
            problems.append(f"{pinned[0]}={pinned[1]} names the Service in namespace {pinned[2]!r}; the "
                            "grader applies your manifests to a sandbox namespace of its own, where only "
                            f"the short name ({join(names)}) reaches it")
        else:
            problems.append(f"no variable of {ref(workload)} names Service {join(names)} "
                            f"(for {_title(target)})")
    observed = "; ".join(ok + problems)
    return scored(len(ok), len(targets), points,
                  message_ok=f"{ref(workload)} reaches its dependencies by Service name ({join(ok)}).",
                  message_bad=f"{cap(join(problems))}. Pod IPs change; Service names don't.",
                  expected=expected, observed=observed)
