"""The API server's field validations that the OpenAPI schema does not express
(grading/intake/field_validation.py): one test per rule, each on a minimal manifest that the schema
accepts and `kubectl apply` refuses. Each would pass validation before field_validation existed."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from grading.intake.field_validation import parse_quantity, port_name_problem
from grading.intake.parsing import Limits, parse_submission
from grading.intake.validation import KUBERNETES_VERSION, validate_objects
from grading.labs import read_lab
from grading.pipeline import grade_static

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx:1.27
      ports:
        - {name: http, containerPort: 8080}
      resources:
        limits: {cpu: 500m, memory: 128Mi}
      readinessProbe:
        httpGet: {path: /healthz, port: http}
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: 8080}
"""
INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  ingressClassName: traefik
  rules:
    - host: web.podium.test
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: web, port: {number: 80}}}
"""


def problems(text: str) -> list:
    parsed = parse_submission([("a.yaml", text.encode())], Limits())
    assert parsed.errors == []
    return validate_objects(parsed.objects, KUBERNETES_VERSION)


def only(text: str):
    found = problems(text)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


@pytest.mark.parametrize("text", [POD, SERVICE, INGRESS])
def test_the_valid_examples_pass(text):
    assert problems(text) == []


# --- null list items ------------------------------------------------------------------------------

NULL_ITEMS = {
    "env": ("      env:\n        - {name: A, value: b}\n        -\n",
            "spec.containers[0].env[1]", 11),
    "volumeMounts": ("      volumeMounts:\n        -\n", "spec.containers[0].volumeMounts[0]", 10),
    "envFrom": ("      envFrom:\n        - \n", "spec.containers[0].envFrom[0]", 10),
    "ports": ("      ports:\n        -\n", "spec.containers[0].ports[0]", 10),
}


@pytest.mark.parametrize("name", NULL_ITEMS)
def test_a_stray_dash_in_a_container_list_is_refused_with_file_line_and_field(name):
    lines, field, line = NULL_ITEMS[name]
    text = POD.replace("      ports:\n        - {name: http, containerPort: 8080}\n", "") \
        .replace("      resources:", lines + "      resources:", 1)
    found = problems(text)
    [problem] = [p for p in found if p.field == field]
    assert problem.file == "a.yaml" and problem.line == line
    assert f"Pod/web: {field}: Required value" in problem.message
    assert "a `-` with nothing after it" in problem.message


def test_null_items_in_volumes_tolerations_tls_paths_rules_and_hpa_metrics_are_refused():
    pod = POD + "  volumes:\n    -\n  tolerations:\n    -\n"
    assert {p.field for p in problems(pod)} == {"spec.volumes[0]", "spec.tolerations[0]"}
    ingress = INGRESS.replace("  rules:\n", "  tls:\n    - \n  rules:\n    -\n") \
        .replace("        paths:\n", "        paths:\n          -\n")
    assert {p.field for p in problems(ingress)} == {"spec.tls[0]", "spec.rules[0]",
                                                    "spec.rules[1].http.paths[0]"}
    hpa = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 3
  metrics:
    -
"""
    [problem] = problems(hpa)
    assert problem.field == "spec.metrics[0]" and "Required value" in problem.message


def test_a_null_item_of_a_deployment_is_named_with_the_full_api_path():
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: nginx:1.27
          env:
            - {name: A, value: b}
            -
"""
    problem = only(text)
    assert problem.message == ("Deployment/web: spec.template.spec.containers[0].env[1]: Required value: "
                               "an empty list item (a `-` with nothing after it); remove it or complete it")
    assert problem.line == 14


# --- names and labels --------------------------------------------------------------------------------

def test_an_object_name_must_be_a_dns_subdomain():
    problem = only(POD.replace("name: web", "name: Web_1"))
    assert problem.field == "metadata.name"
    assert "Invalid value: 'Web_1': a lowercase RFC 1123 subdomain" in problem.message


def test_a_service_name_must_be_a_dns_1035_label():
    # A subdomain (dots) or a leading digit is fine for a Pod, not for a Service.
    assert problems(POD.replace("name: web", "name: 1-web.v2")) == []
    problem = only(SERVICE.replace("name: web\n", "name: 1-web\n", 1))
    assert "a DNS-1035 label" in problem.message and problem.field == "metadata.name"


def test_a_stateful_set_name_must_be_a_dns_label():
    text = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: %s}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres:17}]
"""
    assert problems(text % "db") == []
    problem = only(text % "db.v2")
    assert problem.field == "metadata.name" and "a lowercase RFC 1123 label" in problem.message


def test_a_cronjob_name_is_at_most_52_characters():
    text = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: %s}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: app, image: busybox:1.36}]
"""
    assert problems(text % ("a" * 52)) == []
    assert "must be no more than 52 characters" in only(text % ("a" * 53)).message


def test_container_and_volume_names_must_be_dns_labels():
    text = POD.replace("- name: app", "- name: App.1") + "  volumes:\n    - {name: cache_dir, emptyDir: {}}\n"
    assert {p.field for p in problems(text)} == {"spec.containers[0].name", "spec.volumes[0].name"}


def test_label_keys_and_values_follow_the_label_syntax():
    text = POD.replace("  name: web\n", "  name: web\n  labels: {app: 'web server', 'example.com/': x, "
                                        "'-bad': ok, version: '%s'}\n" % ("v" * 64))
    messages = {p.field: p.message for p in problems(text)}
    assert "a valid label must be an empty string" in messages["metadata.labels.app"]
    assert "name part must be non-empty" in messages["metadata.labels.example.com/"]
    assert "name part must consist of alphanumeric" in messages["metadata.labels.-bad"]
    assert "must be no more than 63 characters" in messages["metadata.labels.version"]


def test_annotation_keys_are_qualified_names_read_case_insensitively():
    annotated = POD.replace("  name: web\n", "  name: web\n  annotations: {Example.COM/Owner: x, 'a b': y}\n")
    problem = only(annotated)
    assert problem.field == "metadata.annotations.a b" and "name part must consist" in problem.message


def test_selector_and_template_labels_are_checked_too():
    text = SERVICE.replace("selector: {app: web}", "selector: {app: 'web/v1'}")
    assert "a valid label must be" in only(text).message


# --- quantities ---------------------------------------------------------------------------------------

def test_a_malformed_quantity_is_refused_and_the_fix_is_named():
    problem = only(POD.replace("memory: 128Mi", "memory: 64MB"))
    assert problem.field == "spec.containers[0].resources.limits.memory"
    assert "Invalid value: '64MB': quantities must match" in problem.message
    assert "64Mi" in problem.message and "64M " in problem.message


@pytest.mark.parametrize("value", ["1gb", "2 Gi", "500 m", "1.5.2", "K", "1K", "abc", "1e", "Gi"])
def test_quantities_the_api_server_refuses(value):
    assert parse_quantity(value) is None
    assert "quantities must match" in only(POD.replace("memory: 128Mi", f"memory: '{value}'")).message


@pytest.mark.parametrize(("value", "expected"), [("500m", "0.5"), ("1Gi", 2**30), ("1e3", 1000),
                                                 ("1.5", "1.5"), ("2", 2), (".5k", 500), ("1E", 10**18),
                                                 ("+1.", 1)])
def test_quantities_the_api_server_accepts(value, expected):
    assert parse_quantity(value) == Decimal(expected)


def test_a_negative_request_is_refused():
    assert "must be greater than or equal to 0" in only(POD.replace("cpu: 500m", "cpu: -1")).message


def test_claims_and_hpa_targets_have_their_quantities_checked():
    claim = ("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n"
             "  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 10GB}}\n")
    assert only(claim).field == "spec.resources.requests.storage"
    hpa = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 0
  maxReplicas: 3
  metrics:
    - type: Resource
      resource: {name: memory, target: {type: AverageValue, averageValue: 100MB}}
"""
    assert {p.field for p in problems(hpa)} == {"spec.minReplicas",
                                                "spec.metrics[0].resource.target.averageValue"}


# --- ports ------------------------------------------------------------------------------------------------

def test_a_quoted_numeric_target_port_is_a_port_name_and_refused():
    problem = only(SERVICE.replace("targetPort: 8080", "targetPort: '8080'"))
    assert problem.field == "spec.ports[0].targetPort"
    assert "must contain at least one letter" in problem.message
    assert "write 8080 without quotes" in problem.message


def test_a_quoted_numeric_probe_port_is_refused():
    problem = only(POD.replace("port: http}", "port: '8080'}"))
    assert problem.field == "spec.containers[0].readinessProbe.httpGet.port"


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_port_numbers_are_between_1_and_65535(port):
    problem = only(POD.replace("containerPort: 8080", f"containerPort: {port}"))
    assert "must be between 1 and 65535, inclusive" in problem.message


def test_a_service_port_out_of_range_is_refused_but_target_port_zero_means_the_port():
    assert "between 1 and 65535" in only(SERVICE.replace("port: 80,", "port: 70000,")).message
    assert problems(SERVICE.replace("targetPort: 8080", "targetPort: 0")) == []


@pytest.mark.parametrize(("name", "problem"), [
    ("http-metrics-long", "must be no more than 15 characters"),
    ("HTTP", "must contain only alpha-numeric characters"),
    ("web--ui", "must not contain consecutive hyphens"),
    ("8080", "must contain at least one letter"),
    ("-web", "must not begin or end with a hyphen"),
])
def test_container_port_names_are_iana_service_names(name, problem):
    assert problem in port_name_problem(name)
    found = only(POD.replace("port: http}", "port: 8080}").replace("name: http,", f"name: '{name}',"))
    assert found.field == "spec.containers[0].ports[0].name" and problem in found.message


def test_container_port_names_are_unique_in_a_container_not_across_containers():
    port = "        - {name: http, containerPort: 8080}\n"
    text = POD.replace(port, port + port.replace("8080", "9090"))
    assert "Duplicate value: 'http'" in only(text).message
    sidecar = POD + ("    - name: proxy\n      image: envoy:1.31\n"
                     "      ports: [{name: http, containerPort: 9090}]\n")
    assert problems(sidecar) == []


def test_a_service_with_two_ports_names_both():
    text = SERVICE + "    - {port: 443, targetPort: 8443}\n"
    problem = only(text)
    assert problem.field == "spec.ports[1].name" and "Required value" in problem.message


def test_ingress_backend_port_name_and_number_exactly_one():
    both = INGRESS.replace("port: {number: 80}", "port: {number: 80, name: http}")
    assert "cannot set both port name & port number" in only(both).message
    bad_name = INGRESS.replace("port: {number: 80}", "port: {name: '443'}")
    assert "must contain at least one letter" in only(bad_name).message


def test_an_ingress_backend_names_a_service_by_its_dns_1035_name():
    problem = only(INGRESS.replace("service: {name: web,", "service: {name: Web_API,"))
    assert problem.field == "spec.rules[0].http.paths[0].backend.service.name"
    assert "a DNS-1035 label" in problem.message


def test_network_policy_quoted_port_is_refused():
    text = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec:\n"
            "  podSelector: {}\n  ingress: [{ports: [{port: '5432'}]}]\n")
    assert only(text).field == "spec.ingress[0].ports[0].port"


# --- Secrets and ConfigMaps ----------------------------------------------------------------------------

SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  password: %s\n"


def test_secret_data_must_be_base64():
    assert problems(SECRET % "c2VjcmV0") == []
    problem = only(SECRET % "hunter2")
    assert problem.field == "data.password" and "not valid base64" in problem.message
    assert "stringData" in problem.message
    assert "not valid base64" in only(SECRET % "'c2VjcmV0!'").message


def test_secret_data_keys_are_config_keys():
    assert "a valid config key" in only(SECRET.replace("password:", "'db password':") % "c2VjcmV0").message


def test_a_tls_secret_holds_tls_crt_and_tls_key():
    text = ("apiVersion: v1\nkind: Secret\nmetadata: {name: web-tls}\ntype: kubernetes.io/tls\n"
            "data:\n  tls.crt: Y2VydA==\n")
    problem = only(text)
    assert problem.message == ("Secret/web-tls: data: data[tls.key]: Required value: a Secret of type "
                               "kubernetes.io/tls holds both tls.crt and tls.key")
    assert problems(text + "stringData:\n  tls.key: key\n") == []


def test_config_map_keys_and_binary_data():
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {'a/b': x, ok: y}\n"
            "binaryData: {ok: '!!'}\n")
    found = sorted((p.field, p.message.split(": ", 2)[2]) for p in problems(text))
    assert [field for field, _ in found] == ["binaryData.ok", "binaryData.ok", "data.a/b"]
    assert "not valid base64" in found[0][1] + found[1][1]
    assert "duplicate of key present in data" in found[0][1] + found[1][1]
    assert "a valid config key" in found[2][1]


# --- Ingress class, probes ------------------------------------------------------------------------------

def test_ingress_class_name_and_class_annotation_together_are_refused():
    annotation = "  annotations: {kubernetes.io/ingress.class: nginx}\n"
    text = INGRESS.replace("  name: web\n", "  name: web\n" + annotation)
    problem = only(text)
    assert problem.field == "metadata.annotations.kubernetes.io/ingress.class"
    assert "can not be set when the class field is also set" in problem.message
    assert problems(text.replace("  ingressClassName: traefik\n", "")) == []


def test_an_ingress_path_must_be_absolute():
    assert "must be an absolute path" in only(INGRESS.replace("path: /", "path: api")).message


def test_a_probe_has_exactly_one_handler():
    two = POD.replace("httpGet: {path: /healthz, port: http}",
                      "httpGet: {path: /healthz, port: http}\n        tcpSocket: {port: http}")
    problem = only(two)
    assert "may not specify more than 1 handler type" in problem.message
    assert problem.field == "spec.containers[0].readinessProbe.tcpSocket"
    none = POD.replace("httpGet: {path: /healthz, port: http}", "periodSeconds: 5")
    problem = only(none)
    assert "must specify a handler type" in problem.message
    assert problem.field == "spec.containers[0].readinessProbe"


def test_a_lifecycle_hook_has_exactly_one_handler():
    text = POD + "      lifecycle:\n        preStop: {}\n"
    assert "must specify a handler type" in only(text).message


def test_reference_solutions_meet_every_field_rule():
    labs = Path(__file__).resolve().parents[2] / "courses/content/kubernetes-fundamentals/labs"
    files = [(str(f), f.read_bytes()) for f in sorted(labs.glob("*/solution/*.yaml"))]
    parsed = parse_submission(files, Limits())
    assert parsed.errors == [] and parsed.objects
    assert [str(p) for p in validate_objects(parsed.objects, KUBERNETES_VERSION)] == []


# --- through the pipeline, on a real lab ---------------------------------------------------------------

def practical_files(replace: tuple[str, str] | None = None) -> list[tuple[str, bytes]]:
    folder = Path(__file__).resolve().parents[2] / "courses/content/kubernetes-fundamentals/labs/practical"
    files = []
    for file in sorted((folder / "solution").iterdir()):
        text = file.read_text()
        if replace and replace[0] in text:
            text = text.replace(replace[0], replace[1], 1)
            replace = None
        files.append((file.name, text.encode()))
    return files


def test_a_malformed_memory_limit_is_refused_not_reported_as_missing():
    lab = read_lab(Path(__file__).resolve().parents[2] / "courses/content/kubernetes-fundamentals/labs"
                   / "practical")
    assert grade_static(lab, practical_files(), isolation=None).errors == []
    files = practical_files(("limits:\n              cpu: 500m\n              memory: 128Mi",
                             "limits:\n              cpu: 500m\n              memory: 64MB"))
    report = grade_static(lab, files, isolation=None)
    assert report.checks == [] and report.preview == []
    [error] = report.errors
    assert error.field.endswith("resources.limits.memory") and "'64MB'" in error.message
    assert "no limits.memory" not in error.message


# --- a workload's selector against its own pod template -------------------------------------------------

WORKLOAD = """\
apiVersion: apps/v1
kind: %s
metadata: {name: web}
spec:
  selector:
    %s
  template:
    metadata:
      labels: {app: web, tier: front}
    spec:
      containers: [{name: app, image: nginx:1.27}]
"""


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"])
def test_a_workload_whose_selector_misses_its_template_is_refused(kind):
    text = WORKLOAD % (kind, "matchLabels: {app: webapp}")
    if kind == "StatefulSet":
        text = text.replace("spec:\n  selector", "spec:\n  serviceName: web\n  selector")
    problem = only(text)
    assert problem.field == "spec.template.metadata.labels"
    assert problem.line == (10 if kind == "StatefulSet" else 9)  # the `labels:` line
    assert problem.message.startswith(f"{kind}/web: spec.template.metadata.labels: Invalid value: "
                                      "{app=web, tier=front}: `selector` does not match template `labels`")
    assert "spec.selector asks for app=webapp" in problem.message


@pytest.mark.parametrize(("selector", "valid"), [
    ("matchLabels: {app: web}", True),
    ("matchExpressions: [{key: tier, operator: In, values: [front, back]}]", True),
    ("matchExpressions: [{key: tier, operator: NotIn, values: [back]}]", True),
    ("matchExpressions: [{key: app, operator: Exists}]", True),
    ("matchExpressions: [{key: canary, operator: DoesNotExist}]", True),
    ("matchExpressions: [{key: tier, operator: In, values: [back]}]", False),
    ("matchExpressions: [{key: tier, operator: NotIn, values: [front]}]", False),
    ("matchExpressions: [{key: canary, operator: Exists}]", False),
    ("matchExpressions: [{key: app, operator: DoesNotExist}]", False),
    ("{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [back]}]}", False),
])
def test_match_expressions_are_evaluated_like_the_api_server(selector, valid):
    text = WORKLOAD % ("Deployment", selector)
    if selector.startswith("{"):  # both parts in one flow mapping
        text = text.replace("  selector:\n    " + selector, "  selector: " + selector)
    found = problems(text)
    assert (found == []) is valid, [str(p) for p in found]


def test_a_job_selector_is_judged_only_when_manual():
    job = """\
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  %s
  selector: {matchLabels: {run: other}}
  template:
    metadata: {labels: {run: once}}
    spec:
      restartPolicy: Never
      containers: [{name: app, image: busybox:1.36}]
"""
    assert "`selector` does not match template `labels`" in only(job % "manualSelector: true").message
    # Without manualSelector the API server generates the selector itself (and refuses a hand-written
    # one for its own reason, with the controller-uid label): not this rule.
    assert not any("does not match template" in p.message for p in problems(job % "parallelism: 1"))


# --- requests against limits ------------------------------------------------------------------------------

def resources_pod(requests: str, limits: str) -> str:
    return POD.replace("        limits: {cpu: 500m, memory: 128Mi}\n",
                       (f"        requests: {requests}\n" if requests else "")
                       + (f"        limits: {limits}\n" if limits else ""))


def test_a_request_above_its_limit_is_refused():
    problem = only(resources_pod("{cpu: '1', memory: 64Mi}", "{cpu: 500m, memory: 128Mi}"))
    assert problem.field == "spec.containers[0].resources.requests.cpu" and problem.line == 12
    assert ("Pod/web: spec.containers[0].resources.requests.cpu: Invalid value: '1': must be less than "
            "or equal to cpu limit of '500m'") in problem.message
    assert "lower the request or raise the limit" in problem.message
    # Compared as quantities, not as text: 1Gi > 1000Mi, 0.5 == 500m.
    problem = only(resources_pod("{memory: 1Gi}", "{memory: 1000Mi}"))
    assert "must be less than or equal to memory limit of '1000Mi'" in problem.message
    assert problems(resources_pod("{cpu: '0.5', memory: 1000Mi}", "{cpu: 500m, memory: 1Gi}")) == []


def test_a_request_without_a_limit_and_a_limit_without_a_request_are_fine_for_cpu_and_memory():
    assert problems(resources_pod("{cpu: '8', memory: 64Gi}", "")) == []
    assert problems(resources_pod("", "{cpu: 100m, memory: 64Mi}")) == []
    assert problems(resources_pod("{memory: 64Mi}", "{cpu: 100m}")) == []


def test_an_init_container_request_above_its_limit_is_refused_too():
    init = ("  initContainers:\n    - name: init\n      image: busybox:1.36\n"
            "      resources: {requests: {memory: 2Gi}, limits: {memory: 1Gi}}\n")
    text = POD.replace("  containers:\n", init + "  containers:\n")
    problem = only(text)
    assert problem.field == "spec.initContainers[0].resources.requests.memory"
    assert "must be less than or equal to memory limit of '1Gi'" in problem.message


def test_a_gpu_request_must_equal_its_limit():
    problem = only(resources_pod("{nvidia.com/gpu: 2}", "{cpu: 500m, nvidia.com/gpu: 1}"))
    assert problem.field == "spec.containers[0].resources.requests.nvidia.com/gpu"
    assert "Invalid value: 2: must be equal to nvidia.com/gpu limit of 1" in problem.message
    # Below the limit is refused too: extended resources are never overcommitted.
    assert "must be equal to nvidia.com/gpu limit of 2" in \
        only(resources_pod("{nvidia.com/gpu: 1}", "{nvidia.com/gpu: 2}")).message
    assert problems(resources_pod("{nvidia.com/gpu: 1}", "{nvidia.com/gpu: '1'}")) == []
    # A limit alone is the usual way: the request defaults to it.
    assert problems(resources_pod("", "{nvidia.com/gpu: 1}")) == []


def test_a_gpu_request_without_a_limit_is_refused():
    problem = only(resources_pod("{cpu: 100m, nvidia.com/gpu: 1}", "{memory: 1Gi}"))
    assert problem.field == "spec.containers[0].resources.limits"
    assert "nvidia.com/gpu: Required value: Limit must be set for non overcommitable resources" \
        in problem.message


def test_hugepages_are_not_overcommitted_either():
    problem = only(resources_pod("{hugepages-2Mi: 64Mi, memory: 64Mi}",
                                 "{hugepages-2Mi: 128Mi, memory: 128Mi}"))
    assert "must be equal to hugepages-2Mi limit of '128Mi'" in problem.message


def test_a_fraction_of_a_gpu_is_refused():
    problem = only(resources_pod("", "{nvidia.com/gpu: 0.5}"))
    assert problem.field == "spec.containers[0].resources.limits.nvidia.com/gpu"
    assert "Invalid value: 0.5: must be an integer" in problem.message


def test_the_activity_5_gpu_lab_refuses_a_gpu_request_above_its_limit_at_intake():
    labs = Path(__file__).resolve().parents[2] / "courses/content/kubernetes-fundamentals/labs"
    folder = labs / "activity-5-gpu"
    text = (folder / "solution" / "llm-server.yaml").read_text()
    broken = text.replace("            nvidia.com/gpu: 1           # must equal the limit",
                          "            nvidia.com/gpu: 2", 1)
    assert broken != text
    report = grade_static(read_lab(folder), [("llm-server.yaml", broken.encode())], isolation=None)
    assert report.checks == []
    [error] = report.errors
    assert error.file == "llm-server.yaml" and error.field.endswith("resources.requests.nvidia.com/gpu")
    assert "must be equal to nvidia.com/gpu limit of 1" in error.message


# --- what activity-1's selector check still judges, now that a mismatch is refused at intake --------------

def test_a_selector_on_a_version_label_fails_the_selector_check():
    from grading.tests.checks.builders import deployment, run

    versioned = deployment("iris", labels={"app": "iris", "version": "v1"})
    assert problems_of_objects([versioned]) == []  # a cluster accepts it
    outcome = run("selector-matches-template", versioned)
    assert not outcome.passed
    assert "Deployment/iris selects on version=v1: the selector is immutable" in outcome.message
    for labels in ({"app": "iris-v2"}, {"app.kubernetes.io/version": "1.4.0", "app": "iris"}):
        assert not run("selector-matches-template", deployment("iris", labels=labels)).passed
    # The version may label the pods, as long as the selector leaves it out.
    stable = deployment("iris", labels={"app": "iris", "version": "v1"},
                        selector={"matchLabels": {"app": "iris"}})
    assert run("selector-matches-template", stable).passed
    assert run("selector-matches-template", deployment("web2", labels={"app": "web2", "tier": "3"})).passed


def test_a_selector_that_also_matches_another_workloads_pods_fails_the_selector_check():
    from grading.tests.checks.builders import deployment, run

    first = deployment("iris", labels={"app": "iris"})
    second = deployment("iris-canary", labels={"app": "iris", "track": "canary"})
    assert problems_of_objects([first, second]) == []  # a cluster accepts both
    outcome = run("selector-matches-template", first, second, points=2)
    assert not outcome.passed and outcome.points == 1  # the canary's own selector is specific enough
    assert "Deployment/iris's selector app=iris also matches the pods of Deployment/iris-canary" \
        in outcome.message


def test_the_activity_1_selector_variant_is_accepted_by_validation_and_fails_only_its_checks():
    labs = Path(__file__).resolve().parents[2] / "courses/content/kubernetes-fundamentals/labs"
    folder = labs / "activity-1-first-deployment"
    variant = folder / "broken" / "version-in-selector-no-port"
    files = [(f.name, f.read_bytes()) for f in sorted(variant.glob("*.yaml")) if f.name != "expect.yaml"]
    report = grade_static(read_lab(folder), files, isolation=None)
    assert report.errors == []
    failed = {check.id for check in report.checks if not check.passed}
    assert failed == {"selector", "container-port", "service"}


def problems_of_objects(objects: list[dict]) -> list:
    # JSON is YAML, without the anchors a YAML dumper writes for shared dicts (refused at intake).
    return problems("\n---\n".join(json.dumps(obj) for obj in objects))
