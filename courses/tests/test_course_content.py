"""The Module 04 content itself: complete, structured as the outline says, and every YAML
example a valid Kubernetes object of the course's version (versions.yaml) (strict: unknown fields fail)."""

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.conf import settings

from courses.content_files import read_course
from courses.services import course_import

COURSE_DIR = Path(settings.COURSE_CONTENT_DIR) / "kubernetes-fundamentals"
K8S_VERSION = "1.36.0"
MIN_PROSE_WORDS = 1500

# The outline's topics, as each lesson's H2 headings, in order (issue 3).
OUTLINE = {
    1: ["What Kubernetes is and why it matters", "Kubernetes vs Docker Compose vs Docker Swarm",
        "History and ecosystem (CNCF)", "When to use Kubernetes and when not to",
        "Setting up a local cluster (minikube, kind, k3s)", "Hands-on: deploy a first application"],
    2: ["The control plane", "Node components", "Add-ons", "How scheduling decisions are made",
        "The API server and kubectl", "Hands-on: explore cluster components"],
    3: ["Pods: the smallest deployable unit", "Multi-container pods and the sidecar pattern",
        "Init containers", "Namespaces for isolation", "Labels and selectors",
        "Resource requests and limits", "Hands-on: deploy an ML inference pod"],
    4: ["Deployments for managing replicas", "ReplicaSets", "Rolling updates and rollbacks",
        "Service types: ClusterIP, NodePort, LoadBalancer", "Service discovery and DNS",
        "Endpoints and EndpointSlices", "Hands-on: a scalable ML API with load balancing"],
    5: ["The Kubernetes networking model", "CNI plugins (Calico, Cilium, Flannel)", "Network Policies",
        "Ingress controllers (NGINX, Traefik)", "TLS termination and certificates",
        "Exposing services to the internet", "Hands-on: Ingress for multiple services"],
    6: ["Volumes, PersistentVolumes and PersistentVolumeClaims", "StorageClasses and dynamic provisioning",
        "StatefulSets", "Volume types (hostPath, NFS, cloud storage)",
        "Managing model artifacts and datasets", "Hands-on: a model with persistent storage"],
    7: ["ConfigMaps", "Secrets", "Environment variables", "Volume mounts for configuration and secrets",
        "External secret management (Vault, External Secrets Operator)",
        "Best practices for secret management",
        "Hands-on: configure an ML app with ConfigMaps and Secrets"],
    8: ["What Helm is and why use it", "Chart structure", "Installing charts from repositories",
        "Creating custom charts", "Templating and values files", "Helm for ML deployments",
        "Hands-on: package an ML application as a chart"],
    9: ["The GPU device plugin", "Requesting GPU resources",
        "GPU sharing strategies (time-slicing, MIG, MPS)", "Multi-GPU pods", "GPU node pools",
        "Troubleshooting GPU issues", "Hands-on: deploy a GPU-accelerated model"],
    10: ["kubectl commands for monitoring", "Metrics Server", "Resource usage monitoring",
         "Log aggregation", "Health checks: liveness, readiness and startup probes",
         "Prometheus basics for Kubernetes", "Hands-on: monitoring for an ML workload"],
}
CLOSING = ["Common pitfalls", "Check your understanding", "Summary"]
FENCE_RE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.S | re.M)

LESSONS = read_course(COURSE_DIR).lessons


def lesson_id(lesson) -> str:
    return f"{lesson.number:02d}-{lesson.slug}"


def h2_headings(body: str) -> list[str]:
    return re.findall(r"^## (.+?)[ \t]*$", FENCE_RE.sub("", body), re.M)


def section(body: str, heading: str) -> str:
    return body.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def yaml_examples():
    for lesson in LESSONS:
        for match in FENCE_RE.finditer(lesson.body):
            info = match.group(1).split()
            if info[:1] != ["yaml"] or "partial" in info[1:]:
                continue
            line = lesson.body_line + lesson.body[: match.start()].count("\n")
            yield pytest.param(lesson, line, match.group(2), id=f"{lesson_id(lesson)}:{line}")


def test_the_course_has_ten_lessons_numbered_in_order():
    assert [lesson.number for lesson in LESSONS] == list(range(1, 11))


@pytest.mark.django_db
def test_course_loads_without_errors_or_warnings():
    report = course_import(path=COURSE_DIR)
    assert "course kubernetes-fundamentals" in report.created
    assert sum(item.startswith("lesson ") for item in report.created) == 10


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_id)
def test_lesson_covers_its_outline_in_order(lesson):
    headings = h2_headings(lesson.body)
    wanted = OUTLINE[lesson.number] + CLOSING
    missing = [h for h in wanted if h not in headings]
    assert not missing, f"{lesson.path.name} lacks the headings {missing}"
    positions = [headings.index(h) for h in wanted]
    assert positions == sorted(positions), f"{lesson.path.name}: outline headings out of order"


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_id)
def test_lesson_has_enough_teaching_text(lesson):
    prose = re.sub(r"<[^>]+>", " ", FENCE_RE.sub("", lesson.body))
    words = len(re.findall(r"[A-Za-z0-9][\w'’./-]*", prose))
    assert words >= MIN_PROSE_WORDS, f"{lesson.path.name}: {words} words of prose"


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_id)
def test_lesson_has_objectives_questions_and_summary(lesson):
    assert len(lesson.objectives) >= 3
    questions = section(lesson.body, "Check your understanding")
    answers = questions.count("<details>")
    assert 3 <= answers <= 5, f"{lesson.path.name}: {answers} hidden answers"
    assert answers == questions.count("</details>") == questions.count("<summary>")
    assert section(lesson.body, "Summary").strip()


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_id)
def test_hands_on_section_leads_to_its_lab(lesson):
    hands_on = next(h for h in OUTLINE[lesson.number] if h.startswith("Hands-on"))
    text = section(lesson.body, hands_on)
    assert "```" in text, "the hands-on gives commands or manifests to run"
    if lesson.hands_on:
        assert "lab" in text.lower()


@pytest.mark.parametrize(("lesson", "line", "source"), list(yaml_examples()))
def test_yaml_example_is_a_valid_kubernetes_object(lesson, line, source):
    docs = [doc for doc in yaml.safe_load_all(source) if doc is not None]
    assert docs, f"{lesson.path.name}:{line}: empty yaml block (mark fragments as `yaml partial`)"
    for doc in docs:
        where = f"{lesson.path.name}:{line} {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{where}: {exc.message} at {'.'.join(map(str, exc.path))}")
        except kubernetes_validate.SchemaNotFoundError:
            pytest.fail(f"{where}: no Kubernetes {K8S_VERSION} schema for {doc.get('apiVersion')} "
                        f"{doc.get('kind')} (CRDs belong in `yaml partial` blocks)")
        image_tags = [c.get("image", "") for c in _containers(doc)]
        assert all(":" in image and not image.endswith(":latest") for image in image_tags), (
            f"{where}: images must be pinned to a tag: {image_tags}")


def _containers(doc: dict) -> list[dict]:
    spec = doc.get("spec") or {}
    pod = spec.get("template", {}).get("spec") or spec.get("jobTemplate", {}).get("spec", {}).get(
        "template", {}).get("spec") or (spec if doc.get("kind") == "Pod" else {})
    return (pod.get("containers") or []) + (pod.get("initContainers") or [])


@pytest.mark.django_db
def test_the_module_quiz_bank_draws_25_questions_covering_every_topic():
    from courses.models import Course
    from courses.quiz import services as quiz_service

    course_import(path=COURSE_DIR)
    quiz = Course.objects.get(slug="kubernetes-fundamentals").quiz
    questions = list(quiz.questions.filter(active=True))
    assert len(questions) >= 40
    assert quiz.questions_per_attempt == 25 and quiz.pass_score == 18
    kinds = [q.kind for q in questions]
    assert kinds.count("short") >= 5 and kinds.count("multiple") >= 1
    topic_of = {q.key: q.topic for q in questions}
    for seed in range(100):
        keys, _ = quiz_service.draw(quiz, questions, seed)
        assert len(set(keys)) == 25
        for topic in quiz.topics:
            assert sum(topic_of[k] == topic["id"] for k in keys) >= max(1, topic["min"])
