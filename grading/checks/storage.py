"""Checks on storage: persistent volumes mounted by a workload, and models fetched into them."""

from grading.checks.base import CheckOutcome, check, failed, join, passed
from grading.checks.objects import Objects, ref
from grading.checks.pods import COMPONENT_TITLES, containers, find_component, target_workload


def _norm(path: str | None) -> str:
    return (path or "").rstrip("/") or "/"


def _persistent_volumes(objects: Objects, workload: dict) -> tuple[dict[str, str], list[str]]:
    """({volume name: what backs it}, problems) for the workload's persistent volumes:
    PVC volumes whose claim is submitted, and a StatefulSet's volumeClaimTemplates."""
    spec = objects.pod_template(workload)["spec"]
    volumes: dict[str, str] = {}
    problems: list[str] = []
    for volume in spec.get("volumes") or []:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if claim is None:
            continue
        if objects.get("PersistentVolumeClaim", claim) is None:
            problems.append(f"volume {volume.get('name')!r} claims PersistentVolumeClaim/{claim}, "
                            "which is not in the submission")
        else:
            volumes[str(volume.get("name"))] = f"PersistentVolumeClaim/{claim}"
    if workload.get("kind") == "StatefulSet":
        for template in (workload.get("spec") or {}).get("volumeClaimTemplates") or []:
            template_name = str((template.get("metadata") or {}).get("name"))
            volumes[template_name] = f"volumeClaimTemplate {template_name!r}"
    return volumes, problems


@check("persistent-volume")
def persistent_volume(objects: Objects, *, points: float, mount_path: str | None = None,
                      component: str | None = None, kind: str | None = None,
                      name: str | None = None) -> CheckOutcome:
    """A container of the workload mounts persistent storage (a submitted PVC, or a StatefulSet
    volumeClaimTemplate), at `mount_path` when given."""
    if component:
        workload = find_component(objects, component)
        title = COMPONENT_TITLES.get(component, component)
        which = f"Judging {ref(workload)}, the {title} workload." if workload else \
            f"The submission has no {title} workload."
    else:
        workload, which = target_workload(objects, kind, name)
    where = f" at {mount_path}" if mount_path else ""
    expected = f"a PersistentVolumeClaim mounted{where}"
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    volumes, problems = _persistent_volumes(objects, workload)
    spec = objects.pod_template(workload)["spec"]
    mounts = [(label, m) for label, c in containers(spec) for m in c.get("volumeMounts") or []]
    hits = [f"{label} mounts {volumes[m.get('name')]} at {m.get('mountPath')}" for label, m in mounts
            if m.get("name") in volumes
            and (mount_path is None or _norm(m.get("mountPath")) == _norm(mount_path))]
    if hits:
        return passed(points, f"{which} Its {hits[0]}.", expected=expected, observed="; ".join(hits))
    if problems:
        return failed(points, f"{which} Its {join(problems)}.", expected=expected,
                      observed="; ".join(problems))
    if volumes:
        mounted = [f"{label} mounts {m.get('name')} at {m.get('mountPath')}" for label, m in mounts]
        return failed(points, f"{which} It has persistent storage ({join(list(volumes.values()))}) but no "
                      f"container mounts it{where}.", expected=expected,
                      observed="; ".join(mounted) or "no volume mounts")
    kinds = sorted({next(iter(k for k in v if k != "name"), "?") for v in spec.get("volumes") or []})
    observed = f"{ref(workload)} volumes: {', '.join(kinds) or 'none'}"
    have = f"its volumes are {', '.join(kinds)} only" if kinds else "it has no volumes"
    return failed(points, f"{which} It has no persistent storage ({have}): data is lost whenever the pod "
                  "is replaced. Mount a PersistentVolumeClaim.", expected=expected, observed=observed)


@check("init-container-fetches-model")
def init_container_fetches_model(objects: Objects, *, points: float, mount_path: str = "/models",
                                 kind: str | None = None, name: str | None = None) -> CheckOutcome:
    """An init container mounts, writable, the volume a regular container reads the model from
    (the one mounted at `mount_path`), so the model is in place before the server starts."""
    workload, which = target_workload(objects, kind, name)
    expected = f"an init container writing to the volume mounted at {mount_path}"
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    spec = objects.pod_template(workload)["spec"]
    model_volumes = {m.get("name") for _, c in containers(spec) for m in c.get("volumeMounts") or []
                     if _norm(m.get("mountPath")) == _norm(mount_path)}
    inits = spec.get("initContainers") or []
    if not model_volumes:
        return failed(points, f"{which} No container mounts a volume at {mount_path}, so there is no model "
                      "volume to fill.", expected=expected, observed=f"{ref(workload)} mounts nothing there")
    writers = [c.get("name") for c in inits for m in c.get("volumeMounts") or []
               if m.get("name") in model_volumes and not m.get("readOnly")]
    if writers:
        return passed(points, f"{which} Init container {writers[0]!r} fills the model volume before the "
                      "server starts.", expected=expected,
                      observed=f"init container {writers[0]!r} mounts it")
    observed = f"init containers: {', '.join(str(c.get('name')) for c in inits)}" if inits \
        else "no init containers"
    return failed(points, f"{which} No init container writes to the volume mounted at {mount_path}; fetch "
                  "the model in an init container so the server never starts without it.",
                  expected=expected, observed=observed)
