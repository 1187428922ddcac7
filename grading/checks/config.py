"""Checks on configuration: ConfigMaps and Secrets consumed by a workload, no literal passwords."""

import re

from grading.checks.base import CheckOutcome, cap, check, failed, join, passed, scored
from grading.checks.objects import Objects, ref
from grading.checks.pods import containers, target_workload

VIAS = ("env", "envFrom", "volume")


def config_refs(pod_spec: dict, kind: str, *, with_optional: bool = False) -> list[tuple]:
    """(object name, via, key or None, where) for every reference a pod spec makes to a
    ConfigMap or Secret (`kind`). Volumes count only when a container mounts them. With
    `with_optional`, each tuple ends with the reference's `optional: true` flag."""
    key_ref, env_ref, vol_key = ("configMapKeyRef", "configMapRef", "configMap") if kind == "ConfigMap" \
        else ("secretKeyRef", "secretRef", "secret")
    found: list[tuple[str, str, str | None, str]] = []
    all_containers = containers(pod_spec, init=True)
    mounted = {m.get("name") for _, c in all_containers for m in c.get("volumeMounts") or []}
    for label, c in all_containers:
        for var in c.get("env") or []:
            r = (var.get("valueFrom") or {}).get(key_ref)
            if r:
                found.append((str(r.get("name")), "env", r.get("key"), f"{label} env {var.get('name')}",
                              r.get("optional") is True))
        for source in c.get("envFrom") or []:
            r = source.get(env_ref)
            if r:
                found.append((str(r.get("name")), "envFrom", None, f"{label} envFrom",
                              r.get("optional") is True))
    for volume in pod_spec.get("volumes") or []:
        if volume.get("name") not in mounted:
            continue
        sources = [volume.get(vol_key)] + [s.get(vol_key) for s in
                                           (volume.get("projected") or {}).get("sources") or []]
        for source in sources:
            if source:
                name = source.get("secretName") if kind == "Secret" and "secretName" in source \
                    else source.get("name")
                found.append((str(name), "volume", None, f"volume {volume.get('name')!r}",
                              source.get("optional") is True))
    return found if with_optional else [r[:4] for r in found]


def _has_key(obj: dict, key: str | None) -> bool:
    return key is None or key in (obj.get("data") or {}) or key in (obj.get("stringData") or {})


def _consumed(objects: Objects, kind: str, points: float, via: list[str] | None, name: str | None,
              workload_kind: str | None, workload_name: str | None) -> CheckOutcome:
    via = via or list(VIAS)
    unknown = [v for v in via if v not in VIAS]
    if unknown:
        raise TypeError(f"via must be among {VIAS}, not {unknown}")
    workload, which = target_workload(objects, workload_kind, workload_name)
    how = "/".join(via)
    expected = f"{'the ' + kind + ' ' + repr(name) if name else 'a ' + kind} consumed via {how}"
    if workload is None:
        return failed(points, which, expected=expected, observed="no workload")
    refs = [r for r in config_refs(objects.pod_template(workload)["spec"], kind, with_optional=True)
            if r[1] in via and (name is None or r[0] == name)]
    good, broken, unset = [], [], []
    for obj_name, how_used, key, where, optional in refs:
        obj = objects.get(kind, obj_name)
        if optional and (obj is None or not _has_key(obj, key)):
            # optional: true means the kubelet starts the pod without it: nothing breaks, but
            # nothing is consumed either.
            unset.append(f"{where} refers to {kind}/{obj_name}{f' key {key!r}' if key else ''} with "
                         "optional: true, which is not in the submission, so the pod starts without it")
        elif obj is None:
            broken.append(f"{where} refers to {kind}/{obj_name}, which is not in the submission")
        elif not _has_key(obj, key):
            broken.append(f"{where} reads key {key!r} that {kind}/{obj_name} does not have")
        else:
            good.append(f"{kind}/{obj_name} via {how_used} ({where})")
    observed = "; ".join(good + broken + unset) or f"{ref(workload)} uses no {kind} via {how}"
    if good and not broken:
        return passed(points, f"{which} It reads {join(good)}.", expected=expected, observed=observed)
    if good:
        return CheckOutcome(False, round(points / 2, 2), float(points),
                            f"{which} {cap(join(broken))}; the pod would not start.", expected, observed)
    if broken:
        return failed(points, f"{which} {cap(join(broken))}; the pod would not start.",
                      expected=expected, observed=observed)
    why = f" {cap(join(unset))}." if unset else ""
    return failed(points, f"{which} It doesn't consume {expected.split(' consumed')[0]} via {how}.{why}",
                  expected=expected, observed=observed)


@check("configmap-consumed")
def configmap_consumed(objects: Objects, *, points: float, via: list[str] | None = None,
                       configmap: str | None = None, kind: str | None = None,
                       name: str | None = None) -> CheckOutcome:
    """A submitted ConfigMap is consumed by the workload via env (configMapKeyRef), envFrom or a
    mounted volume (`via` narrows it down); every reference must resolve."""
    return _consumed(objects, "ConfigMap", points, via, configmap, kind, name)


@check("secret-consumed")
def secret_consumed(objects: Objects, *, points: float, via: list[str] | None = None,
                    secret: str | None = None, kind: str | None = None,
                    name: str | None = None) -> CheckOutcome:
    """A submitted Secret is consumed by the workload via env (secretKeyRef), envFrom or a
    mounted volume; every reference must resolve, keys included."""
    return _consumed(objects, "Secret", points, via, secret, kind, name)


@check("password-from-secret")
def password_from_secret(objects: Objects, *, points: float, pattern: str = "PASSWORD") -> CheckOutcome:
    """Every environment variable whose name matches `pattern`, in every workload, comes from a
    secretKeyRef to a submitted Secret that has the key; none is a literal (nor a ConfigMap value)."""
    regex = re.compile(pattern, re.IGNORECASE)
    expected = f"env vars matching {pattern} use valueFrom.secretKeyRef"
    good, bad = [], []
    for workload in objects.workloads():
        for label, c in containers(objects.pod_template(workload)["spec"], init=True):
            where = f"{ref(workload)} {label}"
            for var in c.get("env") or []:
                var_name = str(var.get("name", ""))
                if not regex.search(var_name) or var_name.endswith("_FILE"):
                    continue
                secret_ref = (var.get("valueFrom") or {}).get("secretKeyRef")
                if not secret_ref:
                    source = "a literal value" if "value" in var else "a non-Secret source"
                    bad.append(f"{where} sets {var_name} from {source}")
                    continue
                secret = objects.get("Secret", str(secret_ref.get("name")))
                if secret is None:
                    bad.append(f"{where} reads {var_name} from Secret/{secret_ref.get('name')}, "
                               "which is not in the submission")
                elif not _has_key(secret, secret_ref.get("key")):
                    bad.append(f"{where} reads key {secret_ref.get('key')!r} that "
                               f"Secret/{secret_ref.get('name')} does not have")
                else:
                    good.append(f"{var_name} in {ref(workload)}")
            for source in c.get("envFrom") or []:
                prefix = str(source.get("prefix") or "")
                cm = objects.get("ConfigMap", str((source.get("configMapRef") or {}).get("name")))
                for key in (cm or {}).get("data") or {}:
                    if regex.search(prefix + str(key)):
                        bad.append(f"{where} gets {prefix}{key} from {ref(cm)}, which is not a Secret")
                # envFrom.secretRef turns every key of the Secret into a variable: a password
                # key arrives from the Secret as surely as through secretKeyRef.
                secret_name = (source.get("secretRef") or {}).get("name")
                secret = objects.get("Secret", str(secret_name)) if secret_name else None
                keys = [*((secret or {}).get("data") or {}), *((secret or {}).get("stringData") or {})]
                good += [f"{prefix}{key} in {ref(workload)} (envFrom {ref(secret)})" for key in keys
                         if regex.search(prefix + str(key)) and secret is not None]
                optional = (source.get("secretRef") or {}).get("optional") is True
                if secret_name and secret is None and not optional:
                    bad.append(f"{where} takes envFrom Secret/{secret_name}, which is not in the submission")
    if not good and not bad:
        return failed(points, f"No workload takes a {pattern.lower()} from the environment: no env "
                      f"variable and no key of a Secret read through envFrom matches {pattern}. The "
                      "database password should reach its containers through secretKeyRef (or envFrom "
                      "of a Secret with a password key).",
                      expected=expected, observed="no such variable")
    return scored(len(good), len(good) + len(bad), points,
                  message_ok=f"Passwords come from Secrets: {join(good)}.",
                  message_bad=f"{cap(join(bad))}. A password in a Pod template is visible to anyone who can "
                              "read the Deployment; keep it in a Secret and use secretKeyRef.",
                  expected=expected, observed="; ".join(bad) or "all from Secrets")
