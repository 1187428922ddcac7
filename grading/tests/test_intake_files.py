"""What an upload holds besides manifests, graded end to end as a worker does (the parse in the
isolated child): files that are not YAML are skipped with a note, wherever they are; a
kustomization is refused with how to render it; and the issue's own Ingress and monitor examples
stay refused by the sandbox policy."""

import io
import zipfile

from grading.labs import CheckSpec, LabSpec
from grading.pipeline import grade_static
from grading.tests.conftest import FAKE_CHECKS

LAB = LabSpec(slug="lab", title="Lab", checks=[
    CheckSpec(id="deployment", title="A Deployment", check="has-kind", params={"kind": "Deployment"},
              points=1, hint="Write one.", lesson_url="/lesson#a")])
DEPLOYMENT = b"""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: app
          image: nginx:1.27
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
"""
KUSTOMIZATION = b"""\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deployment.yaml]
namePrefix: prod-
"""
SIDE_FILES = [("apply.sh", b"#!/bin/sh\nkubectl apply -f .\n"),
              ("Makefile", b"apply:\n\tkubectl apply -f .\n"), (".gitignore", b"*.swp\n")]


def grade(files, **kwargs):
    return grade_static(LAB, files, registry=FAKE_CHECKS, **kwargs)


def zipped(files) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_scripts_and_dotfiles_beside_the_manifests_are_ignored_with_a_note():
    report = grade([("deployment.yaml", DEPLOYMENT), *SIDE_FILES])
    assert report.errors == [] and report.passed
    assert report.notes == ["Ignored (not YAML): apply.sh, Makefile, .gitignore"]


def test_the_same_files_inside_a_zip_get_the_same_treatment():
    report = grade([("upload.zip", zipped([("deployment.yaml", DEPLOYMENT), *SIDE_FILES]))])
    assert report.errors == [] and report.passed
    assert report.notes == ["Ignored (not YAML): upload.zip:apply.sh, upload.zip:Makefile, "
                            "upload.zip:.gitignore"]


def test_an_upload_of_only_a_script_says_there_is_nothing_to_grade_and_what_was_skipped():
    report = grade([("apply.sh", b"kubectl apply -f .\n")])
    assert [e.message for e in report.errors] == ["no Kubernetes objects found in the submission"]
    assert report.notes == ["Ignored (not YAML): apply.sh"]


def test_a_kustomization_is_refused_with_how_to_render_it():
    report = grade([("deployment.yaml", DEPLOYMENT), ("kustomization.yaml", KUSTOMIZATION)])
    [error] = report.errors
    assert error.file == "kustomization.yaml"
    assert "a kustomization is not applied by the grader" in error.message
    assert "`kubectl kustomize dir/ > all.yaml`" in error.message
    assert "metadata.name" not in error.message


def test_a_kustomization_in_a_zip_or_under_another_name_is_recognised():
    report = grade([("k.zip", zipped([("base/kustomization.yml", KUSTOMIZATION),
                                      ("base/deployment.yaml", DEPLOYMENT)]))])
    assert [e.file for e in report.errors] == ["k.zip:base/kustomization.yml"]
    assert "kubectl kustomize" in report.errors[0].message
    report = grade([("overlay.yaml", KUSTOMIZATION)], isolation=None)
    [error] = report.errors
    assert (error.file, error.field) == ("overlay.yaml", "kind") and "kubectl kustomize" in error.message


def test_an_ingress_with_only_a_default_backend_is_refused():
    ingress = b"""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: catch-all}
spec:
  ingressClassName: traefik
  defaultBackend:
    service: {name: web, port: {number: 80}}
"""
    report = grade([("deployment.yaml", DEPLOYMENT), ("ingress.yaml", ingress)], isolation=None)
    [error] = report.errors
    assert error.field == "spec.defaultBackend" and "every host" in error.message


def test_a_service_monitor_on_every_namespace_or_another_one_is_refused():
    monitor = """\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: all}
spec:
  selector: {matchLabels: {app: web}}
  namespaceSelector: %s
  endpoints: [{port: metrics}]
"""
    for selector in ("{any: true}", "{matchNames: [kube-system]}"):
        files = [("deployment.yaml", DEPLOYMENT), ("monitor.yaml", (monitor % selector).encode())]
        [error] = grade(files, isolation=None).errors
        assert error.field == "spec.namespaceSelector" and "other namespaces" in error.message


def test_the_upload_form_takes_side_files_with_manifests_and_refuses_them_alone():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grading.forms import SubmissionForm

    with_manifest = SubmissionForm({}, {"files": [SimpleUploadedFile("deployment.yaml", DEPLOYMENT),
                                                  SimpleUploadedFile("apply.sh", SIDE_FILES[0][1])]})
    assert with_manifest.is_valid(), with_manifest.errors
    assert [name for name, _ in with_manifest.submitted_files()] == ["deployment.yaml", "apply.sh"]
    alone = SubmissionForm({}, {"files": [SimpleUploadedFile("apply.sh", SIDE_FILES[0][1])]})
    assert not alone.is_valid()
    assert "apply.sh: upload .yaml, .yml, .zip, .tar.gz or README.md" in alone.errors["files"][0]
