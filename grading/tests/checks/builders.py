"""Small Kubernetes objects for check unit tests: just the fields a check reads."""

import base64
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from grading.checks import Objects, run_check


def container(
    name="server", *, image="python:3.12-slim", ports=(("http", 8080),), resources=None, **extra
) -> dict:
    c = {"name": name, "image": image, **extra}
    if ports:
        c["ports"] = [{"name": n, "containerPort": p} if n else {"containerPort": p} for n, p in ports]
    if resources is not None:
        c["resources"] = resources
    return c


FULL_RESOURCES = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}}


def deployment(
    name="api",
    *,
    labels=None,
    containers=None,
    replicas=3,
    selector=None,
    init=None,
    volumes=None,
    annotations=None,
    kind="Deployment",
    **pod_spec,
) -> dict:
    labels = labels or {"app": name}
    spec = {"containers": containers or [container()], **pod_spec}
    if init:
        spec["initContainers"] = init
    if volumes:
        spec["volumes"] = volumes
    meta = {"labels": labels, **({"annotations": annotations} if annotations else {})}
    body = {
        "replicas": replicas,
        "selector": selector if selector is not None else {"matchLabels": labels},
        "template": {"metadata": meta, "spec": spec},
    }
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name}, "spec": body}


def pod(name="pod", *, labels=None, containers=None, **pod_spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": name}},
        "spec": {"containers": containers or [container()], **pod_spec},
    }


def service(
    name="api", *, selector=None, ports=((80, "http"),), labels=None, annotations=None, port_names=None
) -> dict:
    meta = {"name": name, "labels": labels or {"app": name}}
    if annotations:
        meta["annotations"] = annotations
    svc_ports = []
    for i, (port, target) in enumerate(ports):
        entry = {"port": port, "targetPort": target}
        entry["name"] = (
            (port_names or [])[i] if port_names else (target if isinstance(target, str) else f"p{port}")
        )
        svc_ports.append(entry)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {"selector": selector if selector is not None else {"app": name}, "ports": svc_ports},
    }


def configmap(name, data) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def secret(name, data=None, *, type_="Opaque", string_data=None) -> dict:
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": type_}
    if data is not None:
        obj["data"] = data
    if string_data is not None:
        obj["stringData"] = string_data
    return obj


def pvc(name="model-store") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }


def hpa(
    target="api",
    *,
    api_version="autoscaling/v2",
    kind="Deployment",
    min_replicas=2,
    max_replicas=5,
    metrics=None,
) -> dict:
    spec = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target},
        "minReplicas": min_replicas,
        "maxReplicas": max_replicas,
    }
    if metrics is None:
        metrics = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}},
            }
        ]
    spec["metrics"] = metrics
    return {
        "apiVersion": api_version,
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": f"{target}-hpa"},
        "spec": spec,
    }


def ingress(
    name="web",
    *,
    hosts=("api.podium.test",),
    service_name="api",
    port=None,
    tls_hosts=None,
    secret_name="web-tls",  # noqa: S107 (an object name, not a password)
    class_name="traefik",
    annotations=None,
) -> dict:
    port = port or {"number": 80}
    spec = {
        "rules": [
            {
                "host": h,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": service_name, "port": port}},
                        }
                    ]
                },
            }
            for h in hosts
        ]
    }
    if class_name:
        spec["ingressClassName"] = class_name
    if tls_hosts is None:
        tls_hosts = list(hosts)
    if tls_hosts:
        spec["tls"] = [{"hosts": list(tls_hosts), "secretName": secret_name}]
    meta = {"name": name, **({"annotations": annotations} if annotations else {})}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def certificate(*names: str, san: bool = True, other_key: bool = False) -> tuple[bytes, bytes]:
    """A self-signed (cert PEM, key PEM) for the DNS `names`, made fresh for a test."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "test")])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
    cert = builder.sign(key, hashes.SHA256())
    signing_key = ec.generate_private_key(ec.SECP256R1()) if other_key else key
    key_pem = signing_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def tls_secret(name="web-tls", *names: str, type_="kubernetes.io/tls", **cert_options) -> dict:
    cert, key = certificate(*(names or ("api.podium.test",)), **cert_options)
    return secret(
        name,
        {"tls.crt": base64.b64encode(cert).decode(), "tls.key": base64.b64encode(key).decode()},
        type_=type_,
    )


def run(name: str, *items: dict, points: float = 2, **params):
    return run_check(name, Objects(list(items)), params, points=points)
