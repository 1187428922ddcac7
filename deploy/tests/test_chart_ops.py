"""Operating the chart (issue 19 items 6-14): installs and upgrades that survive `--wait`,
GitOps renders and rollouts, and data that survives. Rendered with the real helm binary; the
scripts the chart ships (wait-for-migrations, Redis start-up) are run for real where they can be.
The restore drill is deploy/tests/test_restore.py. What the chart does with `lookup` (install and
upgrade only) is rendered against a small stand-in API server (`FakeApiServer`)."""

import base64
import json
import os
import re
import socket
import stat
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dj_database_url
import pytest
import yaml
from django.test import override_settings

from deploy.tests.conftest import (
    CHART,
    EXTERNAL_VALUES,
    NAMESPACE,
    RELEASE,
    ROOT,
    Rendered,
    helm,
    parse,
    render,
)
from grading import conf
from grading.tasks import grade_submission
from lms import beat

APP_DEPLOYMENTS = ("podium-web", "podium-worker", "podium-beat")


def rendered(*sets: str, values: tuple[Path, ...] = ()) -> Rendered:
    return parse(render(*values, sets=sets).stdout)


def render_error(*sets: str) -> str:
    result = render(sets=sets, check=False)
    assert result.returncode != 0, f"rendered with {sets}"
    return result.stderr


def pod_spec(chart: Rendered, kind: str, name: str) -> dict:
    return chart.get(kind, name)["spec"]["template"]["spec"]


def env_of(container: dict) -> dict:
    return {e["name"]: e.get("value") for e in container.get("env") or []}


# -- 6. `helm install --wait` ------------------------------------------------------------------

def _hook_phases(obj: dict) -> set[str]:
    hooks = ((obj["metadata"].get("annotations") or {}).get("helm.sh/hook") or "")
    return {h.strip() for h in hooks.split(",") if h.strip()}


def _needs(obj: dict, chart: Rendered) -> set[str]:
    """What an object needs before it can become ready, read from its rendered spec: the Secrets
    and ConfigMaps its pods mount, the database behind the app Secret, and the migrate Job for
    pods with a wait-for-migrations init container."""
    if obj["kind"] not in ("Deployment", "StatefulSet", "Job"):
        return set()
    spec = obj["spec"]["template"]["spec"]
    needs = set()
    for volume in spec.get("volumes") or []:
        if "secret" in volume:
            needs.add(f"Secret/{volume['secret']['secretName']}")
        if "configMap" in volume:
            needs.add(f"ConfigMap/{volume['configMap']['name']}")
    for container in (spec.get("initContainers") or []) + spec["containers"]:
        for source in container.get("envFrom") or []:
            if "configMapRef" in source:
                needs.add(f"ConfigMap/{source['configMapRef']['name']}")
        if "DATABASE_URL_FILE" in env_of(container):
            needs |= {f"StatefulSet/{s['metadata']['name']}" for s in chart.of_kind("StatefulSet")
                      if s["metadata"]["name"].endswith("-postgresql")}
    if any(c["name"] == "wait-for-migrations" for c in spec.get("initContainers") or []):
        needs |= {f"Job/{j['metadata']['name']}" for j in chart.of_kind("Job")
                  if j["metadata"]["labels"]["app.kubernetes.io/component"] == "migrate"}
    return needs


def install_with_wait(chart: Rendered, already: frozenset[str] = frozenset()) -> list[str]:
    """Helm's install order: pre-install hooks (each waited for), then every other object
    (`--wait`: all of them ready), then post-install hooks. Returns the order objects become
    ready; raises naming what `--wait` would wait on forever. `already`: objects created before
    the install (an existing Secret)."""
    key = lambda o: f"{o['kind']}/{o['metadata']['name']}"  # noqa: E731
    needs = {key(o): _needs(o, chart) for o in chart.objects}
    phases = [[o for o in chart.objects if "pre-install" in _hook_phases(o)],
              [o for o in chart.objects if not _hook_phases(o)],
              [o for o in chart.objects if "post-install" in _hook_phases(o)]]
    existing, ready, order = set(already), set(already), []
    for name, phase in zip(("pre-install hooks", "--wait", "post-install hooks"), phases, strict=True):
        existing |= {key(o) for o in phase}
        progress = True
        while progress:
            progress = False
            for obj in sorted(existing - ready):
                if needs[obj] <= ready:
                    ready.add(obj)
                    order.append(obj)
                    progress = True
        stuck = sorted({key(o) for o in phase} - ready)
        if stuck:
            waits = {s: sorted(needs[s] - ready) for s in stuck}
            raise AssertionError(f"{name} never finishes: {waits}")
    return order


@pytest.mark.parametrize("values", [(), (EXTERNAL_VALUES,)], ids=["in-chart database", "external"])
def test_helm_install_wait_finishes_database_then_migrations_then_app(values):
    chart = rendered(values=values)
    order = install_with_wait(chart, frozenset({"Secret/podium-external"} if values else ()))
    job = "Job/podium-migrate-1"
    assert _hook_phases(chart.get("Job", "podium-migrate-1")) == set()
    for deployment in APP_DEPLOYMENTS:
        assert order.index(job) < order.index(f"Deployment/{deployment}")
    if not values:
        assert order.index("StatefulSet/podium-postgresql") < order.index(job)


def test_a_post_install_migrate_hook_is_reported_as_the_wait_deadlock():
    """The order model itself: the old chart's hook Job is exactly what it reports."""
    chart = rendered()
    job = chart.get("Job", "podium-migrate-1")
    job["metadata"]["annotations"] = {"helm.sh/hook": "post-install,pre-upgrade"}
    with pytest.raises(AssertionError, match=r"--wait never finishes: .*Deployment/podium-web.*"
                                             r"Job/podium-migrate-1"):
        install_with_wait(chart)


def test_each_revision_gets_its_own_migrate_job_kept_until_the_next_upgrade():
    # helm template renders revision 1: the name carries .Release.Revision, so upgrade N creates
    # podium-migrate-N (a Job's pod template is immutable) and drops the previous one. No TTL:
    # a GitOps tool would recreate a Job that deleted itself.
    job = rendered().get("Job", "podium-migrate-1")
    assert "ttlSecondsAfterFinished" not in job["spec"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"  # retries until the DB answers


def _wait_script(chart: Rendered) -> str:
    init = pod_spec(chart, "Deployment", "podium-web")["initContainers"][0]
    assert init["name"] == "wait-for-migrations" and init["command"][:2] == ["sh", "-c"]
    return init["command"][2]


def test_wait_for_migrations_logs_why_it_waits(tmp_path):
    """The init container's script, run with a stand-in `python`: the database is down, then
    migrations are missing, then the schema is current."""
    script = _wait_script(rendered())
    assert "/dev/null" not in script
    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir()
    fake.write_text(f"""#!/bin/sh
n=$(cat {calls} 2>/dev/null || echo 0); n=$((n + 1)); echo $n > {calls}
case $n in
  1) echo 'Traceback (most recent call last):' >&2
     echo 'django.db.utils.OperationalError: connection to server at "podium-postgresql" failed:' \
       'Connection refused' >&2
     exit 1 ;;
  2) exit 1 ;;
  *) exit 0 ;;
esac
""")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    result = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=30,
                            env={"PATH": f"{fake.parent}:/usr/bin:/bin", "WAIT_SECONDS": "0"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ('wait-for-migrations: attempt 1: django.db.utils.OperationalError: connection to '
                        'server at "podium-postgresql" failed: Connection refused; next check in 0 s')
    assert lines[1] == ("wait-for-migrations: attempt 2: the database has unapplied migrations: "
                        "Job podium-migrate-1 has not finished; next check in 0 s")
    assert lines[2] == "wait-for-migrations: the schema is up to date"


# -- 7. Generated secrets ------------------------------------------------------------------------

class FakeApiServer:
    """Just enough of a Kubernetes API for `helm template --dry-run=server`: discovery for the
    kinds the chart renders, GET of the objects in `stored` (404 for the rest). helm's `lookup`
    then sees what a cluster would hold: a release's Secret, PostgreSQL's volume claim."""

    CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding", "ValidatingAdmissionPolicy",
                      "ValidatingAdmissionPolicyBinding", "AdminNetworkPolicy"}

    def __init__(self, stored: list[dict]):
        kinds: dict[str, set[str]] = {"v1": {"Secret", "PersistentVolumeClaim"}}
        for obj in rendered().objects + parse(render(EXTERNAL_VALUES).stdout).objects:
            kinds.setdefault(obj["apiVersion"], set()).add(obj["kind"])
        self.kinds = kinds
        self.objects = {self.path(o["apiVersion"], o["kind"], o["metadata"]["name"]): o for o in stored}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                path = self.path.split("?")[0]
                server.requests.append(path)
                code, body = server.answer(path)
                payload = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @staticmethod
    def plural(kind: str) -> str:
        kind = kind.lower()
        return kind[:-1] + "ies" if kind.endswith("y") else kind + ("es" if kind.endswith("s") else "s")

    def path(self, api_version: str, kind: str, name: str) -> str:
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        scope = "" if kind in self.CLUSTER_SCOPED else f"/namespaces/{NAMESPACE}"
        return f"{base}{scope}/{self.plural(kind)}/{name}"

    def answer(self, path: str) -> tuple[int, dict]:
        if path == "/version":
            return 200, {"major": "1", "minor": "31", "gitVersion": "v1.31.0"}
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        if path == "/apis":
            groups: dict[str, list[dict]] = {}
            for group_version in self.kinds:
                if "/" in group_version:
                    group, version = group_version.split("/")
                    groups.setdefault(group, []).append({"groupVersion": group_version, "version": version})
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": g, "versions": v, "preferredVersion": v[0]} for g, v in groups.items()]}
        group_version = path.removeprefix("/api/").removeprefix("/apis/")
        if group_version in self.kinds:
            return 200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                         "resources": [{"name": self.plural(k), "singularName": k.lower(), "kind": k,
                                        "namespaced": k not in self.CLUSTER_SCOPED, "verbs": ["get", "list"]}
                                       for k in sorted(self.kinds[group_version])]}
        if path in self.objects:
            return 200, self.objects[path]
        return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                     "code": 404}

    def render(self, *sets: str, check: bool = True) -> subprocess.CompletedProcess:
        args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--dry-run=server",
                "--disable-openapi-validation", "--kube-apiserver", self.url, "--kubeconfig", os.devnull]
        for item in sets:
            args += ["--set", item]
        return helm(*args, check=check)

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _release_secret(**data: str) -> dict:
    """The release's Secret as the cluster returns it (Helm's ownership marks, base64 data)."""
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "podium-secrets", "namespace": NAMESPACE,
                         "labels": {"app.kubernetes.io/managed-by": "Helm"},
                         "annotations": {"meta.helm.sh/release-name": RELEASE,
                                         "meta.helm.sh/release-namespace": NAMESPACE}},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


DATABASE_CLAIM = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                  "metadata": {"name": "data-podium-postgresql-0", "namespace": NAMESPACE},
                  "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "8Gi"}}},
                  "status": {"phase": "Bound"}}


def test_upgrades_keep_the_generated_values_the_cluster_holds():
    kept = {"SECRET_KEY": "s" * 50, "POSTGRES_PASSWORD": "initdb-password",
            "REDIS_PASSWORD": "redis-password"}
    with FakeApiServer([_release_secret(**kept), DATABASE_CLAIM]) as cluster:
        first, second = (parse(cluster.render().stdout) for _ in range(2))
        assert f"{cluster.path('v1', 'Secret', 'podium-secrets')}" in cluster.requests
    for chart in (first, second):
        secret = chart.get("Secret", "podium-secrets")["stringData"]
        assert {k: secret[k] for k in kept} == kept
        assert secret["DATABASE_URL"] == "postgres://podium:initdb-password@podium-postgresql:5432/podium"
    assert _checksums(first) == _checksums(second)


def test_a_database_volume_without_its_secret_stops_the_install_instead_of_a_new_password():
    with FakeApiServer([DATABASE_CLAIM]) as cluster:
        result = cluster.render(check=False)
    assert result.returncode != 0
    assert ("PersistentVolumeClaim podium/data-podium-postgresql-0 holds an existing PostgreSQL database, "
            "but Secret podium-secrets (its password) is gone") in result.stderr
    assert "set postgresql.password" in result.stderr and "secrets.existingSecret" in result.stderr
    # A first install (no volume yet) makes new values; explicit passwords need no lookup at all.
    with FakeApiServer([]) as cluster:
        fresh = parse(cluster.render().stdout).get("Secret", "podium-secrets")["stringData"]
    assert len(fresh["SECRET_KEY"]) == 50
    with FakeApiServer([DATABASE_CLAIM]) as cluster:
        assert cluster.render("postgresql.password=initdb-password").returncode == 0


def test_pods_roll_when_an_existing_secret_changes_in_the_cluster():
    def checksum(password: str) -> str:
        secret = _release_secret(SECRET_KEY="k" * 50, DATABASE_URL=f"postgres://u:{password}@db/podium",
                                 REDIS_URL="redis://:r@redis:6379/0")
        secret["metadata"]["name"] = "podium-external"
        with FakeApiServer([secret]) as cluster:
            chart = parse(cluster.render("secrets.existingSecret=podium-external", "postgresql.enabled=false",
                                         "redis.enabled=false").stdout)
        return {c["checksum/secret"] for c in _checksums(chart).values()}.pop()

    assert checksum("one") == checksum("one") != checksum("two")


def test_generated_secret_survives_uninstall_and_atomic_rollback():
    secret = rendered().get("Secret", "podium-secrets")
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_readme_tells_production_to_bring_its_own_secret():
    readme = (ROOT / "deploy" / "README.md").read_text()
    assert "existingSecret" in readme and "Argo CD" in readme
    assert "helm.sh/resource-policy: keep" in readme


# -- 8. replicas and the HPA --------------------------------------------------------------------

def test_replicas_are_left_to_the_hpa_when_autoscaling_is_on():
    chart = rendered()
    for name in ("podium-web", "podium-worker"):
        assert "replicas" not in chart.get("Deployment", name)["spec"], name
        assert chart.get("HorizontalPodAutoscaler", name)
    fixed = rendered("web.autoscaling.enabled=false", "worker.autoscaling.enabled=false")
    assert fixed.get("Deployment", "podium-web")["spec"]["replicas"] == 3
    assert fixed.get("Deployment", "podium-worker")["spec"]["replicas"] == 2
    assert fixed.of_kind("HorizontalPodAutoscaler") == []


def test_the_practicals_replicas_check_reads_the_hpa_floor_when_replicas_is_left_out():
    from grading.checks.base import run_check
    from grading.checks.objects import Objects

    chart = rendered()
    web, hpa = chart.get("Deployment", "podium-web"), chart.get("HorizontalPodAutoscaler", "podium-web")
    outcome = run_check("deployment-replicas", Objects([web, hpa]), {"min": 3}, points=10)
    assert outcome.passed
    assert outcome.observed == ("Deployment/podium-web has no replicas; HorizontalPodAutoscaler/podium-web "
                                "keeps minReplicas: 3")
    # Without the HPA a missing replicas still means one pod.
    assert not run_check("deployment-replicas", Objects([web]), {"min": 3}, points=10).passed


# -- 9. Worker shutdown ------------------------------------------------------------------------

def _longest_lab_time_limit() -> int:
    limits = [yaml.safe_load(p.read_text()).get("time_limit_seconds", 120)
              for p in (ROOT / "courses" / "content").glob("*/labs/*/lab.yaml")]
    assert limits
    return max(limits)


SANDBOX_TEARDOWN_SECONDS = 60  # deleting the sandbox namespace after the last run stops


def test_worker_grace_outlasts_the_longest_grading_run_and_its_teardown():
    """SIGTERM is Celery's warm shutdown: no new messages, running tasks finish. The kubelet's
    SIGKILL must come after the longest run's hard limit (live grading on), plus teardown."""
    with override_settings(GRADING_KUBE_IN_CLUSTER=True):
        hard_limit = conf.task_time_limit(_longest_lab_time_limit())
    assert hard_limit >= 360
    grace = pod_spec(rendered(), "Deployment", "podium-worker")["terminationGracePeriodSeconds"]
    assert grace >= hard_limit + SANDBOX_TEARDOWN_SECONDS, (grace, hard_limit)
    # A run killed anyway gives its message back (acks_late, reject_on_worker_lost) and holds
    # at most one message per process (prefetch 1), so a stop releases what it has not started.
    from django.conf import settings

    assert grade_submission.acks_late and grade_submission.reject_on_worker_lost
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


# -- 10. Media ------------------------------------------------------------------------------------

def test_media_volume_is_opt_in_and_refuses_read_write_once_across_replicas():
    chart = rendered()
    assert "podium-media" not in {c["metadata"]["name"] for c in chart.of_kind("PersistentVolumeClaim")}
    for _, spec in chart.pod_specs():
        assert "media" not in {v["name"] for v in spec.get("volumes") or []}
    message = render_error("media.enabled=true")
    assert "media.enabled with media.accessModes [ReadWriteOnce]" in message
    assert "ReadWriteMany" in message
    shared = rendered("media.enabled=true", "media.accessModes={ReadWriteMany}")
    assert shared.get("PersistentVolumeClaim", "podium-media")["spec"]["accessModes"] == ["ReadWriteMany"]
    mounts = pod_spec(shared, "Deployment", "podium-web")["containers"][0]["volumeMounts"]
    assert {"name": "media", "mountPath": "/var/lib/podium/media"} in mounts


# -- 11. Worker egress ----------------------------------------------------------------------------

def _egress_rules(chart: Rendered) -> list[tuple[str, dict]]:
    return [(p["metadata"]["name"], rule) for p in chart.of_kind("NetworkPolicy")
            for rule in p["spec"].get("egress") or []]


def test_worker_egress_opens_nothing_until_the_api_servers_addresses_are_given():
    chart = rendered()
    for name, rule in _egress_rules(chart):
        cidrs = [peer["ipBlock"]["cidr"] for peer in rule.get("to") or [] if "ipBlock" in peer]
        assert "0.0.0.0/0" not in cidrs and "::/0" not in cidrs, name
        assert "to" in rule, f"{name} opens egress to everyone"
        assert 443 not in {p["port"] for p in rule.get("ports") or []}, name
    assert chart.get("NetworkPolicy", "podium-worker-kube-api")["spec"]["egress"] == []
    opened = rendered("networkPolicy.kubernetesApi.cidrs={172.18.0.2/32}")
    assert opened.get("NetworkPolicy", "podium-worker-kube-api")["spec"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "172.18.0.2/32"}}], "ports": [{"protocol": "TCP", "port": 6443}]}]
    refused = render_error("networkPolicy.kubernetesApi.cidrs={0.0.0.0/0}")
    assert "/networkPolicy/kubernetesApi/cidrs/0" in refused


def test_notes_warn_when_live_grading_cannot_reach_the_api():
    from deploy.tests.conftest import helm

    notes = helm("install", "podium", str(CHART), "--dry-run=client", "-n", "podium").stdout
    assert "networkPolicy.kubernetesApi.cidrs is empty" in notes


# -- 12. Redis: broker and cache apart ------------------------------------------------------------

_UNITS = {"b": 1, "kb": 1024, "mb": 1024 ** 2, "gb": 1024 ** 3, "Mi": 1024 ** 2, "Gi": 1024 ** 3}


def _bytes(quantity: str) -> int:
    number = quantity.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(number) * _UNITS[quantity[len(number):]]


def test_broker_never_evicts_and_cache_evicts_in_two_instances_with_room_to_fork():
    chart = rendered()
    config = chart.get("ConfigMap", "podium-redis-config")["data"]
    broker = dict(line.split(" ", 1) for line in config["broker.conf"].splitlines())
    cache = dict(line.split(" ", 1) for line in config["cache.conf"].splitlines())
    assert broker["maxmemory-policy"] == "noeviction" and broker["appendonly"] == "yes"
    assert cache["maxmemory-policy"] == "allkeys-lru" and cache["appendonly"] == "no"
    for kind, name, conf_name in (("StatefulSet", "podium-redis", "broker.conf"),
                                  ("Deployment", "podium-redis-cache", "cache.conf")):
        container = pod_spec(chart, kind, name)["containers"][0]
        assert container["command"] == ["sh", "/etc/redis/start.sh", conf_name]
        maxmemory = _bytes((broker if conf_name == "broker.conf" else cache)["maxmemory"])
        limit = _bytes(container["resources"]["limits"]["memory"])
        assert limit >= 1.9 * maxmemory, (name, limit, maxmemory)
    secret = chart.get("Secret", "podium-secrets")["stringData"]
    assert secret["REDIS_CACHE_URL"].endswith("@podium-redis-cache:6379/0")
    for name in APP_DEPLOYMENTS:
        app_env = env_of(pod_spec(chart, "Deployment", name)["containers"][0])
        assert app_env["REDIS_CACHE_URL_FILE"] == "/run/secrets/podium/REDIS_CACHE_URL"
    # The cache can be folded back into the broker (then REDIS_URL serves both, as before).
    single = rendered("redis.cache.enabled=false")
    assert "REDIS_CACHE_URL" not in single.get("Secret", "podium-secrets")["stringData"]
    assert "podium-redis-cache" not in {d["metadata"]["name"] for d in single.of_kind("Deployment")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not Path("/usr/bin/redis-server").exists(), reason="redis-server is not installed")
def test_redis_starts_from_the_rendered_config_with_the_password_from_a_file_never_argv(tmp_path):
    import redis

    password = 'a "quoted" pass\\word with spaces'
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"redis": {"password": password}}))
    chart = parse(render(values).stdout)
    assert chart.get("Secret", "podium-secrets")["stringData"]["REDIS_PASSWORD"] == password
    config = chart.get("ConfigMap", "podium-redis-config")["data"]
    dirs = {name: tmp_path / name for name in ("etc", "auth", "secrets", "data")}
    for path in dirs.values():
        path.mkdir()
    (dirs["secrets"] / "REDIS_PASSWORD").write_text(
        chart.get("Secret", "podium-secrets")["stringData"]["REDIS_PASSWORD"])
    port = _free_port()

    def local(text: str) -> str:
        for container_path, name in (("/run/secrets/redis", "secrets"), ("/run/redis-auth", "auth"),
                                     ("/etc/redis", "etc"), ("/data", "data")):
            text = text.replace(container_path, str(dirs[name]))
        return text

    (dirs["etc"] / "start.sh").write_text(local(config["start.sh"]))
    (dirs["etc"] / "cache.conf").write_text(local(config["cache.conf"]) + f"port {port}\nbind 127.0.0.1\n")
    server = subprocess.Popen(["/bin/sh", str(dirs["etc"] / "start.sh"), "cache.conf"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        client = redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=2)
        deadline = time.monotonic() + 10
        while True:
            try:
                assert client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, server.stdout.read1().decode() if server.stdout else ""
                time.sleep(0.1)
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(host="127.0.0.1", port=port, password="wrong").ping()
        cmdline = Path(f"/proc/{server.pid}/cmdline").read_bytes().decode()
        assert "redis-server" in cmdline and "pass" not in cmdline
        assert stat.S_IMODE(os.stat(dirs["auth"] / "auth.conf").st_mode) == 0o600
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_cache_url_setting_falls_back_to_the_broker_url():
    code = "from django.conf import settings; print(settings.CACHES['default'].get('LOCATION'))"
    base = {k: v for k, v in os.environ.items() if not k.startswith("REDIS")}
    run = lambda extra: subprocess.run(  # noqa: E731
        [str(ROOT / ".venv" / "bin" / "python"), "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT, env={**base, "DJANGO_SETTINGS_MODULE": "lms.settings", **extra},
        capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    assert run({"REDIS_URL": "redis://broker:6379/0"}) == "redis://broker:6379/0"
    assert run({"REDIS_URL": "redis://broker:6379/0", "REDIS_CACHE_URL": "redis://cache:6379/0"}) == \
        "redis://cache:6379/0"


# -- 13. Cross-field checks, URLs, existing secret, DEBUG, checksums, beat ---------------------------

@pytest.mark.parametrize(("sets", "message"), [
    (("web.autoscaling.maxReplicas=2",),
     "web.autoscaling.maxReplicas (2) is below web.autoscaling.minReplicas (3)"),
    (("worker.autoscaling.minReplicas=5", "worker.autoscaling.maxReplicas=4"),
     "worker.autoscaling.maxReplicas (4) is below worker.autoscaling.minReplicas (5)"),
    (("web.podDisruptionBudget.minAvailable=3",),
     "web.podDisruptionBudget.minAvailable (3) must be below web.autoscaling.minReplicas (3)"),
    (("web.autoscaling.enabled=false", "web.replicas=4", "web.podDisruptionBudget.minAvailable=4"),
     "web.podDisruptionBudget.minAvailable (4) must be below web.replicas (4)"),
    (("web.podDisruptionBudget.minAvailable=100%",), "minAvailable 100% leaves no pod to evict"),
    (("config.extraEnv.DEBUG=1",), "config.extraEnv.DEBUG duplicates the key DEBUG"),
    (("config.extraEnv.ALLOWED_HOSTS=*",), "config.extraEnv.ALLOWED_HOSTS duplicates the key ALLOWED_HOSTS"),
])
def test_cross_field_mistakes_stop_the_render_naming_the_values(sets, message):
    assert message in render_error(*sets)


def test_extra_env_of_its_own_keys_still_renders():
    chart = rendered("config.extraEnv.GRADING_RATE_LIMIT=5/10m")
    assert chart.get("ConfigMap", "podium-config")["data"]["GRADING_RATE_LIMIT"] == "5/10m"


def test_passwords_with_url_characters_survive_in_the_urls():
    import redis.connection

    password = "p@ss:w/rd?#1+ %&="
    chart = rendered(f"postgresql.password={password}", f"redis.password={password}")
    secret = chart.get("Secret", "podium-secrets")["stringData"]
    database = dj_database_url.parse(secret["DATABASE_URL"])
    assert (database["PASSWORD"], database["HOST"]) == (password, "podium-postgresql")
    for key in ("REDIS_URL", "REDIS_CACHE_URL"):
        assert redis.connection.parse_url(secret[key])["password"] == password


def test_existing_secrets_email_password_is_read_when_mail_goes_through_smtp():
    chart = rendered("config.emailHost=smtp.example.com", values=(EXTERNAL_VALUES,))
    for name in APP_DEPLOYMENTS:
        app_env = env_of(pod_spec(chart, "Deployment", name)["containers"][0])
        assert app_env["EMAIL_HOST_PASSWORD_FILE"] == "/run/secrets/podium/EMAIL_HOST_PASSWORD", name
    # No SMTP host: Django's default (localhost:25) needs no password, and none is required.
    assert "EMAIL_HOST_PASSWORD_FILE" not in env_of(
        pod_spec(rendered(values=(EXTERNAL_VALUES,)), "Deployment", "podium-web")["containers"][0])


FIXED = ("secrets.secretKey=" + "k" * 50, "postgresql.password=pg-password", "redis.password=redis-password")


def _checksums(chart: Rendered) -> dict[str, dict]:
    return {name: {k: v for k, v in chart.get("Deployment", name)["spec"]["template"]["metadata"]
                   ["annotations"].items() if k.startswith("checksum/")} for name in APP_DEPLOYMENTS}


def test_pods_roll_when_the_secret_or_the_config_changes():
    before = _checksums(rendered(*FIXED))
    assert all(set(c) == {"checksum/config", "checksum/secret"} for c in before.values())
    assert before == _checksums(rendered(*FIXED))
    new_key = _checksums(rendered(*FIXED, "secrets.secretKey=" + "y" * 50))
    new_config = _checksums(rendered(*FIXED, "config.logLevel=DEBUG"))
    for name in APP_DEPLOYMENTS:
        assert new_key[name]["checksum/secret"] != before[name]["checksum/secret"]
        assert new_key[name]["checksum/config"] == before[name]["checksum/config"]
        assert new_config[name]["checksum/config"] != before[name]["checksum/config"]
    # One render: the three Deployments hash the very Secret rendered beside them.
    generated = _checksums(rendered())
    assert len({c["checksum/secret"] for c in generated.values()}) == 1


def test_beat_runs_the_heartbeat_scheduler_and_is_restarted_when_it_stops_ticking():
    beat_pod = pod_spec(rendered(), "Deployment", "podium-beat")
    container = beat_pod["containers"][0]
    assert "--scheduler=lms.beat:HeartbeatScheduler" in container["command"]
    assert env_of(container)["BEAT_HEARTBEAT_FILE"] == "/var/lib/podium/beat-heartbeat"
    probe = container["livenessProbe"]["exec"]["command"]
    assert probe == ["python", "-m", "lms.beat", "/var/lib/podium/beat-heartbeat", "180"]
    assert {"name": "var", "mountPath": "/var/lib/podium"} in container["volumeMounts"]
    # The probe's command, as the kubelet runs it.
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "lms.beat",
                             "/nonexistent/beat-heartbeat", "180"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert "the scheduler has not ticked" in result.stderr


def test_beat_started_as_the_chart_starts_it_writes_a_heartbeat_the_probe_accepts(tmp_path):
    container = pod_spec(rendered(), "Deployment", "podium-beat")["containers"][0]
    def local(args: list[str]) -> list[str]:
        return [arg.replace("/var/lib/podium", str(tmp_path)) for arg in args]

    command, probe = local(container["command"]), local(container["livenessProbe"]["exec"]["command"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "DEBUG", "DATABASE"))}
    env.update(PODIUM_VAR_DIR=str(tmp_path),
               BEAT_HEARTBEAT_FILE=local([env_of(container)["BEAT_HEARTBEAT_FILE"]])[0])
    bin_dir = ROOT / ".venv" / "bin"
    process = subprocess.Popen([str(bin_dir / command[0]), *command[1:]], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "beat-heartbeat").exists():
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, "beat wrote no heartbeat within 30 s"
            time.sleep(0.2)
        result = subprocess.run([str(bin_dir / probe[0]), *probe[1:]], cwd=ROOT, env=env, timeout=60)
        assert result.returncode == 0
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_heartbeat_scheduler_touches_the_file_on_every_tick(tmp_path, monkeypatch):
    from lms.celery import app

    heartbeat = tmp_path / "beat-heartbeat"
    monkeypatch.setenv("BEAT_HEARTBEAT_FILE", str(heartbeat))
    scheduler = beat.HeartbeatScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True,
                                        max_interval=300)  # what `celery beat` passes
    scheduler.setup_schedule()
    try:
        assert scheduler.max_interval == beat.MAX_LOOP_INTERVAL
        os.utime(tmp_path, None)
        assert beat.main([str(heartbeat), "180"]) == 1  # not ticked yet
        scheduler.tick()
        assert beat.main([str(heartbeat), "180"]) == 0
        stale = time.time() - 600
        os.utime(heartbeat, (stale, stale))
        assert beat.main([str(heartbeat), "180"]) == 1
        scheduler.tick()
        assert beat.age_seconds(heartbeat) < 5
    finally:
        scheduler.close()


# -- 14. PostgreSQL: startup, drains, backups --------------------------------------------------------

def test_postgresql_has_a_startup_probe_and_a_disruption_budget():
    chart = rendered("postgresql.startupSeconds=900")
    container = pod_spec(chart, "StatefulSet", "podium-postgresql")["containers"][0]
    assert container["startupProbe"]["periodSeconds"] * container["startupProbe"]["failureThreshold"] == 900
    assert "initialDelaySeconds" not in container["livenessProbe"]
    pdb = chart.get("PodDisruptionBudget", "podium-postgresql")["spec"]
    assert pdb["minAvailable"] == 1
    assert pdb["selector"]["matchLabels"]["app.kubernetes.io/component"] == "postgresql"


def test_backup_cronjob_runs_the_shared_script_with_the_retention_from_values():
    chart = rendered("postgresql.backup.keep=3", "postgresql.backup.schedule=0 2 * * *")
    cron = chart.get("CronJob", "podium-postgresql-backup")["spec"]
    assert cron["schedule"] == "0 2 * * *" and cron["concurrencyPolicy"] == "Forbid"
    pod = cron["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == pod_spec(chart, "StatefulSet", "podium-postgresql")["containers"][0]["image"]
    assert container["command"] == ["sh", "/opt/podium/pg-backup.sh"]
    assert env_of(container)["BACKUP_KEEP"] == "3"
    scripts = chart.get("ConfigMap", "podium-postgresql-backup-scripts")["data"]
    assert scripts["pg-backup.sh"] == (CHART / "files" / "pg-backup.sh").read_text()
    assert scripts["pg-restore.sh"] == (CHART / "files" / "pg-restore.sh").read_text()
    claim = chart.get("PersistentVolumeClaim", "podium-postgresql-backup")
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    # The backup pod reaches PostgreSQL, and PostgreSQL lets it in.
    egress = chart.get("NetworkPolicy", "podium-backup-egress")["spec"]
    assert egress["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "backup"
    allowed = chart.get("NetworkPolicy", "podium-postgresql-ingress")["spec"]["ingress"][0]["from"][0]
    assert "backup" in allowed["podSelector"]["matchExpressions"][1]["values"]



# -- 15. images pinned -------------------------------------------------------------------------

def _images(chart: Rendered):
    """(kind/name, image) for every container of every workload, CronJobs included."""
    for obj in chart.objects:
        spec = obj.get("spec") or {}
        if obj["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        pod = (spec.get("template") or {}).get("spec")
        if obj["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet", "CronJob") and pod:
            for container in (pod.get("initContainers") or []) + pod["containers"]:
                yield f"{obj['kind']}/{obj['metadata']['name']}", container["image"]


def test_third_party_images_are_pinned_by_digest():
    chart = rendered("postgresql.backup.enabled=true")
    third_party = [(where, image) for where, image in _images(chart) if not image.startswith("podium:")]
    assert {image.split(":")[0] for _, image in third_party} >= {"postgres", "redis"}
    for where, image in third_party:
        assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", image), f"{where}: {image}"


def test_podiums_own_image_can_be_pulled_by_digest():
    digest = "sha256:" + "a" * 64
    chart = rendered(f"image.digest={digest}", "image.tag=1.2.3")
    assert {image for _, image in _images(chart) if image.startswith("podium:")} == {f"podium:1.2.3@{digest}"}
