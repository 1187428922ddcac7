"""Command answers and short answers: every correct form accepted, every wrong one refused.

The table tests read the rules the course's quiz.yaml declares, so they test the bank students
get, not a copy of it.
"""

import pytest
import yaml
from django.urls import reverse

from courses.models import Answer, Course, Question
from courses.quiz import answers as quiz_answers
from courses.quiz import services as quiz_service
from courses.quiz.files import normalise
from courses.quiz.services import is_correct
from courses.services import course_import
from courses.tests.conftest import QUIZ_YAML
from courses.tests.test_course_content import COURSE_DIR
from courses.tests.test_quiz import import_with
from courses.yaml_lines import ContentErrors

BANK = {q["id"]: q for q in yaml.safe_load((COURSE_DIR / "quiz.yaml").read_text())["questions"]}


def judged(key: str, text: str) -> str | None:
    """None when the course's rules for question `key` accept `text`, else why not."""
    assert BANK[key]["kind"] == "command"
    return quiz_answers.why_not(BANK[key]["command"], text)


# --- one table per command question -------------------------------------------------------

LOGS_OK = [
    "kubectl logs web-0 --previous",
    "kubectl logs web-0 -p",
    "kubectl logs -p web-0",
    "kubectl logs --previous web-0",
    "kubectl logs pod/web-0 --previous",
    "kubectl logs po/web-0 -p",
    "kubectl logs pods/web-0 -p",
    "kubectl logs web-0 -c server --previous",
    "kubectl logs web-0 --container=server -p",
    "kubectl logs -pc server web-0",
    "kubectl -n ml logs web-0 -p",
    "kubectl logs web-0 -p --namespace=ml",
    "kubectl --context kind-podium logs web-0 -p",
    "kubectl logs web-0 --previous=true",
    "kubectl logs web-0 --previous.",
    "`kubectl logs web-0 -p`",
    "$ kubectl logs web-0 -p",
    "kubectl logs web-0 -p --tail 50",
]
LOGS_WRONG = [
    "kubectl logs web-0",  # the current instance, not the crashed one
    "kubectl logs web-0 --previous=false",
    "kubectl logs web-1 -p",
    "kubectl logs deployment/web -p",
    "kubectl logs web-0 -p && rm -rf /",
    "kubectl logs web-0 -p; kubectl delete pod web-0",
    "kubectl logs web-0 -p | grep Error",
    "kubectl logs web-0 -p > crash.log",
    "kubectl logs $(kubectl get pod -o name) -p",
    "kubectl logs `echo web-0` -p",
    "kubectl logs web-0 -p --selector app=web",
    "kubectl describe pod web-0",
    "docker logs web-0",
    "kubectl logs 'web-0 -p",
]


@pytest.mark.parametrize("answer", LOGS_OK)
def test_logs_of_crashed_container_accepts_every_correct_form(answer):
    assert judged("logs-of-crashed-container", answer) is None


@pytest.mark.parametrize("answer", LOGS_WRONG)
def test_logs_of_crashed_container_refuses_wrong_and_compound_commands(answer):
    assert judged("logs-of-crashed-container", answer) is not None


HELM_OK = [
    "helm upgrade --install sentiment ./model-server",
    "helm upgrade -i sentiment ./model-server",
    "helm upgrade sentiment ./model-server --install",
    "helm upgrade sentiment model-server/ -i",
    "helm upgrade -n ml --install sentiment ./model-server",
    "helm upgrade --install sentiment ./model-server --namespace ml --create-namespace",
    "helm upgrade --install sentiment ./model-server -f values-prod.yaml --set replicaCount=3 --wait",
    "helm --kube-context kind-podium upgrade --install sentiment ./model-server",
    "helm upgrade --install=true sentiment ./model-server.",
]
HELM_WRONG = [
    "helm upgrade sentiment ./model-server",  # fails when the release does not exist
    "helm install sentiment ./model-server",
    "helm upgrade --install=false sentiment ./model-server",
    "helm upgrade --install sentiment ./model-server && rm -rf /",
    "helm upgrade --install sentiment ./model-server || true",
    "helm upgrade --install sentiment ./model-server --dry-run",
    "helm upgrade --install sentiment ./model-server --dry-run=server",
    "helm upgrade --install other ./model-server",
    "helm upgrade --install sentiment ./other-chart",
]


@pytest.mark.parametrize("answer", HELM_OK)
def test_helm_upgrade_install_accepts_every_correct_form(answer):
    assert judged("helm-upgrade-install", answer) is None


@pytest.mark.parametrize("answer", HELM_WRONG)
def test_helm_upgrade_install_refuses_false_flags_dry_runs_and_shell_operators(answer):
    assert judged("helm-upgrade-install", answer) is not None


EVENTS_OK = [
    "kubectl describe pod web-0",
    "kubectl describe pods web-0",
    "kubectl describe po web-0",
    "kubectl describe pod/web-0",
    "kubectl describe po/web-0 -n ml",
    "kubectl events --for pod/web-0",
    "kubectl events --for=po/web-0",
    "kubectl get events --field-selector involvedObject.name=web-0",
    "kubectl get ev --field-selector involvedObject.name=web-0",
    "kubectl get event --field-selector=involvedObject.name==web-0",
    "kubectl get events --field-selector involvedObject.name=web-0 --sort-by=.lastTimestamp",
    "kubectl -n ml get events --field-selector involvedObject.name=web-0",
    "Kubectl describe pod web-0.",
]
EVENTS_WRONG = [
    "kubectl get events --field-selector involvedObject.name!=web-0",
    "kubectl get events",  # every event of the namespace, not the Pod's
    "kubectl get events --field-selector involvedObject.name=web-1",
    "kubectl events --for pod/web-1",
    "kubectl describe pod web-0 --show-events=false",
    "kubectl describe deployment web-0",
    "kubectl logs web-0",
    "kubectl describe pod web-0; kubectl delete ns ml",
]


@pytest.mark.parametrize("answer", EVENTS_OK)
def test_events_of_a_pod_accepts_every_correct_form(answer):
    assert judged("events-of-a-pod", answer) is None


@pytest.mark.parametrize("answer", EVENTS_WRONG)
def test_events_of_a_pod_compares_field_selectors_exactly(answer):
    assert judged("events-of-a-pod", answer) is not None


ROLLBACK_OK = [
    "kubectl rollout undo deployment/model-server",
    "kubectl rollout undo deployment model-server",
    "kubectl rollout undo deploy/model-server",
    "kubectl rollout undo deployments/model-server",
    "kubectl rollout undo deployment.apps/model-server",
    "kubectl rollout undo deployment/model-server --to-revision=0",
    "kubectl rollout undo deployment/model-server --to-revision 0",
    "kubectl -n ml rollout undo deploy model-server",
    "kubectl rollout undo deployment/model-server.",
]
ROLLBACK_WRONG = [
    "kubectl rollout undo deployment/model-server --to-revision=2",  # a revision, not the previous
    "kubectl rollout undo deployment/model-server --dry-run=server",
    "kubectl rollout undo statefulset/model-server",
    "kubectl rollout restart deployment/model-server",
    "kubectl rollout undo deployment/model-server && kubectl delete hpa --all",
    "kubectl rollout undo",
]


@pytest.mark.parametrize("answer", ROLLBACK_OK)
def test_rollback_command_accepts_every_correct_form(answer):
    assert judged("rollback-command", answer) is None


@pytest.mark.parametrize("answer", ROLLBACK_WRONG)
def test_rollback_command_refuses_other_revisions_and_dry_runs(answer):
    assert judged("rollback-command", answer) is not None


def test_every_command_question_has_a_table_here():
    commands = {key for key, q in BANK.items() if q["kind"] == "command"}
    assert commands == {"logs-of-crashed-container", "helm-upgrade-install", "events-of-a-pod",
                        "rollback-command"}


def test_no_short_answer_judges_a_command_with_a_regex():
    for key, q in BANK.items():
        if q["kind"] == "short":
            assert not any(a.startswith(("kubectl ", "helm ")) for a in q.get("accept", [])), key


def test_why_not_names_the_difference():
    assert judged("logs-of-crashed-container", "kubectl logs web-0 --previous=false") == (
        "--previous is 'false', expected 'true'")
    piped = "helm upgrade -i sentiment ./model-server | sh"
    assert "shell operators" in judged("helm-upgrade-install", piped)


# --- short answers: trailing punctuation and the declared forms ----------------------------

@pytest.mark.parametrize(("key", "answer"), [
    ("node-heartbeat-lease-namespace", "kube-node-lease namespace"),
    ("node-heartbeat-lease-namespace", "The kube-node-lease namespace."),
    ("node-heartbeat-lease-namespace", "kube-node-lease."),
    ("qos-requests-equal-limits", "qosClass: Guaranteed"),
    ("qos-requests-equal-limits", "qosClass:Guaranteed"),
    ("qos-requests-equal-limits", "Guaranteed."),
    ("tls-secret-type", "type: kubernetes.io/tls"),
    ("tls-secret-type", "kubernetes.io/tls."),
    ("service-dns-name", "redis.ml.svc.cluster.local."),
    ("service-dns-name", "redis.ml.svc.cluster.local"),
    ("secret-data-encoding", "Base64!"),
    ("hpa-replica-calculation", "6 replicas."),
    ("limitrange-default-requests", "A LimitRange."),
    ("limitrange-default-requests", "kind: LimitRange"),
])
def test_short_answers_accept_declared_forms_with_trailing_punctuation(key, answer):
    q = BANK[key]
    question = Question(kind="short", accept=q.get("accept", []), accept_regex=q.get("accept_regex", ""))
    assert is_correct(question, {"text": answer})


@pytest.mark.parametrize(("key", "answer"), [
    ("node-heartbeat-lease-namespace", "kube-system namespace"),
    ("qos-requests-equal-limits", "qosClass: Burstable"),
    ("service-dns-name", "redis.ml.svc"),
])
def test_short_answers_still_refuse_wrong_ones(key, answer):
    q = BANK[key]
    question = Question(kind="short", accept=q.get("accept", []), accept_regex=q.get("accept_regex", ""))
    assert not is_correct(question, {"text": answer})


def test_normalise_drops_trailing_sentence_punctuation():
    assert normalise('"Guaranteed."') == "guaranteed"
    assert normalise("qosClass :Guaranteed") == "qosclass: guaranteed"


# --- the command kind in the database and the loader ----------------------------------------

@pytest.mark.django_db
def test_imported_command_question_is_judged_by_its_rules():
    course_import(path=COURSE_DIR)
    question = Question.objects.get(key="logs-of-crashed-container", active=True)
    assert question.kind == Question.Kind.COMMAND and question.command
    assert is_correct(question, {"text": "kubectl -n ml logs po/web-0 -c server -p."})
    assert not is_correct(question, {"text": "kubectl logs web-0 --previous=false"})
    assert not is_correct(question, {"text": "kubectl logs web-0 -p && rm -rf /"})


COMMAND_QUESTION = """\
  - id: q-command
    topic: beta
    difficulty: easy
    kind: command
    lesson_link: 02-lesson-2.md#first-topic
    text: Show the crashed log.
    accept: [kubectl logs web-0 -p]
    command:
      - run: kubectl logs pod/web-0
        required: [--previous]
    explanation: EXPLAIN-CMD.
"""


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field", "message"), [
    (("required: [--previous]", "required: [--previouss]"), "questions[6].command[0]",
     "unknown kubectl flag '--previouss'"),
    (("accept: [kubectl logs web-0 -p]", "accept: [kubectl logs web-0]"), "questions[6].accept[0]",
     "'kubectl logs web-0' is not accepted by the command rules: --previous is missing"),
    (("run: kubectl logs pod/web-0", "run: kubectl logs pod/web-0 -p"), "questions[6].command[0]",
     "declare --previous under required or optional"),
    (("run: kubectl logs pod/web-0", "run: kubectl logs pod/web-0 && ls"), "questions[6].command[0]",
     "shell operators"),
    (("        required: [--previous]\n", "        required: [--previous]\n        forbidden: [-p]\n"),
     "questions[6].command[0]", "--previous both allowed and forbidden"),
    (("    command:\n      - run: kubectl logs pod/web-0\n        required: [--previous]\n", ""),
     "questions[6].command", "a command question needs command rules"),
    (("kind: command", "kind: short"), "questions[6].command",
     "only a command question (kind: command) has command rules"),
])
def test_loader_names_the_command_question_field_and_problem(tmp_path, change, field, message):
    text = QUIZ_YAML + COMMAND_QUESTION.replace(*change)
    assert text != QUIZ_YAML + COMMAND_QUESTION
    with pytest.raises(ContentErrors) as info:
        import_with(tmp_path, text)
    assert message in str(info.value)
    assert "question 'q-command'" in str(info.value)
    assert "quiz.yaml:" in str(info.value) and field in str(info.value)


@pytest.mark.django_db
def test_a_valid_command_question_loads(tmp_path):
    import_with(tmp_path, QUIZ_YAML + COMMAND_QUESTION)
    question = Question.objects.get(key="q-command")
    assert question.command == [{"run": "kubectl logs pod/web-0", "required": ["--previous"], "optional": [],
                                 "forbidden": [], "other_flags": "refuse"}]
    assert is_correct(question, {"text": "kubectl logs -p po/web-0"})


@pytest.mark.django_db
def test_a_command_question_is_answered_in_a_text_box_and_scored_by_its_rules(client, tmp_path, alice):
    import_with(tmp_path, QUIZ_YAML + COMMAND_QUESTION)
    course = Course.objects.get(slug="test-course")
    attempt = quiz_service.attempt_start(quiz=course.quiz, user=alice)
    attempt.question_keys = [k for k in attempt.question_keys if k != "q-command"][:3] + ["q-command"]
    attempt.save()
    client.force_login(alice)
    page = client.get(reverse("quiz-attempt", args=[course.slug, attempt.pk])).content.decode()
    assert 'name="q-q-command"' in page and "one kubectl or helm command" in page
    assert "kubectl logs web-0 -p" not in page  # the accepted example is not given away
    saved = client.post(reverse("quiz-save", args=[course.slug, attempt.pk]),
                        {"question": "q-command", "q-q-command": "kubectl -n ml logs po/web-0 --previous."},
                        headers={"HX-Request": "true"})
    assert saved.status_code == 200
    quiz_service.attempt_submit(attempt=attempt)
    assert Answer.objects.get(attempt=attempt, question__key="q-command").is_correct is True
