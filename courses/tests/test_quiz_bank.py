"""The module quiz bank (issue 15): every lesson covered in every attempt, the listed subjects
asked about, the reviewed questions worded as the review found right."""

import re
from types import SimpleNamespace

import yaml

from courses.quiz import services as quiz_service
from courses.tests.test_course_content import COURSE_DIR

DATA = yaml.safe_load((COURSE_DIR / "quiz.yaml").read_text())
BANK = {q["id"]: q for q in DATA["questions"]}


def lesson_of(question: dict) -> int:
    return int(question["lesson_link"][:2])


def test_bank_has_at_least_92_questions_and_the_description_says_how_many():
    assert len(BANK) >= 92
    stated = re.search(r"from a bank of (\d+)", DATA["description"])
    assert stated and int(stated.group(1)) == len(BANK)
    per_attempt = re.search(r"(\d+) questions drawn", DATA["description"])
    assert int(per_attempt.group(1)) == DATA["settings"]["questions_per_attempt"]


def test_every_lesson_has_a_topic_whose_minimum_guarantees_it_a_question():
    for lesson in range(1, 11):
        guaranteed = [t["id"] for t in DATA["topics"] if t.get("min", 0) >= 1 and all(
            lesson_of(q) == lesson for q in DATA["questions"] if q["topic"] == t["id"])
            and any(lesson_of(q) == lesson for q in DATA["questions"] if q["topic"] == t["id"])]
        assert guaranteed, f"no topic with min >= 1 holds only lesson {lesson:02d} questions"


def test_every_attempt_draws_at_least_one_question_per_lesson():
    settings = DATA["settings"]
    quiz = SimpleNamespace(topics=DATA["topics"], questions_per_attempt=settings["questions_per_attempt"],
                           shuffle_questions=True, shuffle_options=True)
    questions = [SimpleNamespace(key=q["id"], topic=q["topic"], position=i,
                                 options=[{"id": o["text"]} for o in q.get("options", [])])
                 for i, q in enumerate(DATA["questions"])]
    lesson = {q["id"]: lesson_of(q) for q in DATA["questions"]}
    for seed in range(500):
        keys, _ = quiz_service.draw(quiz, questions, seed)
        assert len(set(keys)) == settings["questions_per_attempt"]
        assert {lesson[k] for k in keys} == set(range(1, 11)), f"seed {seed}"


def test_the_subjects_the_review_found_missing_are_asked_about():
    subjects = {
        "lesson 01": [k for k, q in BANK.items() if lesson_of(q) == 1],
        "Gateway API": ["gateway-api-route-owner"],
        "Ingress-NGINX retirement": ["ingress-nginx-retired"],
        "DRA GA 1.34": ["dra-structured-claims"],
        "native sidecars GA 1.33": ["native-sidecar-declaration", "sidecar-blocks-job"],
        "init containers": ["init-container-semantics", "init-container-effective-request"],
        "Jobs and CronJobs": ["cronjob-creates-jobs"],
        "DaemonSets": ["daemonset-per-node-agent"],
        "ResourceQuota and LimitRange": ["quota-rejects-pods-without-requests",
                                         "limitrange-default-requests"],
        "Helm 4": ["helm4-rollback-on-failure", "helm4-server-side-apply"],
    }
    assert len(subjects["lesson 01"]) >= 3
    for subject, keys in subjects.items():
        for key in keys:
            q = BANK.get(key)
            assert q, f"{subject}: no question {key}"
            assert q["difficulty"] in {"easy", "medium", "hard"} and q["explanation"].strip(), key
            assert "#" in q["lesson_link"], key  # the loader checks the anchor exists


def _correct(key: str) -> list[str]:
    return [o["text"] for o in BANK[key]["options"] if o.get("correct")]


def test_helm_dry_run_question_keys_the_strict_server_side_validation():
    pipe = "`helm template web ./chart | kubectl apply --dry-run=server -f -`"
    assert _correct("helm-dry-run-server") == [pipe]
    wrong = [o["text"] for o in BANK["helm-dry-run-server"]["options"] if not o.get("correct")]
    assert "`helm install web ./chart --dry-run=server`" in wrong


def test_reviewed_questions_say_what_the_review_asked():
    assert BANK["what-protects-secrets"]["lesson_link"] == "07-configuration-secrets.md#rbac-on-secrets"
    assert "usually" in _correct("exit-code-137")[0]
    assert "intended" in BANK["tls-secret-type"]["text"] and "must" not in BANK["tls-secret-type"]["text"]
    assert "Plain flanneld" in _correct("flannel-no-policy-enforcement")[0]
    assert "pod-level resources" in BANK["pod-shared-context"]["explanation"].lower()
    assert not any("cgroup" in o["text"] for o in BANK["pod-shared-context"]["options"])
    hpa = BANK["helm-replicas-vs-hpa"]["explanation"]
    assert "Helm 3" in hpa and "server-side apply" in hpa and "conflict" in hpa
    remove = BANK["remove-replicas-with-hpa"]
    assert "1 replica" in _correct("remove-replicas-with-hpa")[0]
    assert "edit-last-applied" in remove["explanation"]
