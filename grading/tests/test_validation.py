from grading.intake.parsing import Limits, parse_submission
from grading.intake.validation import KUBERNETES_VERSION, validate_objects, validator_for

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: iris
spec:
  replicas: 3
  selector:
    matchLabels: {app: iris}
  template:
    metadata:
      labels: {app: iris}
    spec:
      containers:
        - name: server
          image: iris:1.0
          resources:
            limits: {cpu: 500m, memory: 1Gi}
"""


def problems(text: str):
    parsed = parse_submission([("a.yaml", text.encode())], Limits())
    assert parsed.errors == []
    return validate_objects(parsed.objects, KUBERNETES_VERSION)


def test_a_valid_deployment_passes():
    assert problems(DEPLOYMENT) == []


def test_unknown_field_is_an_error_naming_field_and_line():
    [problem] = problems(
        DEPLOYMENT.replace(
            "          image: iris:1.0\n", "          image: iris:1.0\n          imagePullPolice: Always\n"
        )
    )
    assert problem.field == "spec.template.spec.containers[0].imagePullPolice"
    assert problem.line == 16
    assert problem.document == 1
    assert "unknown field 'imagePullPolice'" in problem.message
    assert problem.message.startswith("Deployment/iris:")


def test_wrong_type_is_an_error():
    [problem] = problems(DEPLOYMENT.replace("replicas: 3", "replicas: three"))
    assert problem.field == "spec.replicas"
    assert "must be integer, got 'three'" in problem.message


def test_missing_required_field_is_an_error():
    [problem] = problems(DEPLOYMENT.replace("        - name: server\n          image", "        - image"))
    assert problem.field == "spec.template.spec.containers[0]"
    assert "'name' is a required field" in problem.message


def test_unknown_kind_or_api_version_is_an_error():
    [problem] = problems(DEPLOYMENT.replace("apps/v1", "extensions/v1beta1"))
    assert problem.field == "kind"
    assert "has no kind 'Deployment' in apiVersion 'extensions/v1beta1'" in problem.message


def test_validators_are_built_once_per_kind():
    assert validator_for(KUBERNETES_VERSION, "Deployment", "apps/v1") is validator_for(
        KUBERNETES_VERSION, "Deployment", "apps/v1"
    )


def test_service_monitors_are_known():
    text = """\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: iris}
spec:
  selector: {matchLabels: {app: iris}}
  endpoints: [{port: metrics}]
"""
    assert problems(text) == []
    found = [p.message for p in problems(text.replace("spec:", "specs:"))]
    assert "ServiceMonitor/iris: unknown field 'specs'" in " ".join(found)
    assert "ServiceMonitor/iris: 'spec' is a required field" in " ".join(found)
