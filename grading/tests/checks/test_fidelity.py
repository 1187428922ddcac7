"""Issue 13: false passes and false failures of the checks, each from a minimal manifest."""

from django.test import override_settings

from grading.tests.checks.builders import (
    FULL_RESOURCES,
    configmap,
    container,
    deployment,
    ingress,
    run,
    secret,
)

GPU = {"limits": {"nvidia.com/gpu": 1}}


# --- activity-4: the class must be one the sandbox serves --------------------------------------

def test_ingress_class_no_controller_serves_fails_and_lists_the_served_classes():
    outcome = run("ingress-class", ingress(class_name="no-such-class"))
    assert not outcome.passed
    assert "asks for class 'no-such-class', which no controller of the sandbox serves" in outcome.message
    assert "the class served is traefik" in outcome.message
    assert run("ingress-class", ingress(class_name="traefik")).passed


@override_settings(GRADING_INGRESS_CLASSES="traefik,nginx")
def test_ingress_classes_come_from_the_setting():
    assert run("ingress-class", ingress(class_name="nginx")).passed
    outcome = run("ingress-class", ingress(class_name="haproxy"))
    assert not outcome.passed and "the classes served are traefik and nginx" in outcome.message


# --- activity-5: the operator and value decide whether GPU nodes are selected ------------------

def gpu_pod(**pod_spec):
    return deployment("llm", containers=[container(resources=GPU)], **pod_spec)


def required(*expressions, terms=None):
    terms = terms or [{"matchExpressions": list(expressions)}]
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}


def expr(key, operator, *values):
    return {"key": key, "operator": operator, **({"values": list(values)} if values else {})}


def test_gpu_present_does_not_exist_keeps_the_pod_off_gpu_nodes_and_fails():
    affinity = required(expr("nvidia.com/gpu.present", "DoesNotExist"))
    outcome = run("gpu-node-selector", gpu_pod(affinity=affinity))
    assert not outcome.passed
    assert "DoesNotExist does not require a GPU node" in outcome.message


def test_gpu_notin_false_label_and_unrelated_gpu_keys_do_not_select():
    for affinity in [required(expr("nvidia.com/gpu.product", "NotIn", "Tesla-T4")),
                     required(expr("my-gpu-pool", "In", "yes"))]:
        assert not run("gpu-node-selector", gpu_pod(affinity=affinity)).passed, affinity
    outcome = run("gpu-node-selector", gpu_pod(nodeSelector={"nvidia.com/gpu.present": "false"}))
    assert not outcome.passed and "selects nodes without a GPU" in outcome.message


def test_preferred_only_gpu_affinity_does_not_select():
    affinity = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 1, "preference": {"matchExpressions": [expr("nvidia.com/gpu.present", "In", "true")]}}]}}
    outcome = run("gpu-node-selector", gpu_pod(affinity=affinity))
    assert not outcome.passed and "only prefers GPU nodes" in outcome.message


def test_one_term_without_a_gpu_requirement_lets_the_pod_anywhere():
    terms = [{"matchExpressions": [expr("nvidia.com/gpu.present", "In", "true")]},
             {"matchExpressions": [expr("kubernetes.io/os", "In", "linux")]}]
    outcome = run("gpu-node-selector", gpu_pod(affinity=required(terms=terms)))
    assert not outcome.passed and "nodeSelectorTerms[1] has no GPU requirement" in outcome.message


def test_gpu_labels_that_select_pass():
    for pod_spec in [
        {"nodeSelector": {"nvidia.com/gpu.present": "true"}},
        {"nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-L4"}},
        {"nodeSelector": {"cloud.google.com/gke-accelerator": "nvidia-l4"}},
        {"nodeSelector": {"k8s.amazonaws.com/accelerator": "nvidia-tesla-t4"}},
        {"affinity": required(expr("nvidia.com/gpu.present", "In", "true"))},
        {"affinity": required(expr("nvidia.com/gpu.product", "In", "NVIDIA-A100-SXM4-40GB"))},
        {"affinity": required(expr("nvidia.com/gpu.memory", "Gt", "20000"),
                              expr("nvidia.com/gpu.compute.major", "Gt", "7"))},
        {"affinity": required(expr("nvidia.com/gpu.present", "Exists"))},
    ]:
        assert run("gpu-node-selector", gpu_pod(**pod_spec)).passed, pod_spec


# --- configuration: optional references and envFrom Secrets ------------------------------------

def test_optional_configmap_key_ref_to_an_absent_configmap_is_not_would_not_start():
    env = [{"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "tuning", "key": "level",
                                                                   "optional": True}}}]
    outcome = run("configmap-consumed", deployment("api", containers=[container(env=env)]))
    assert not outcome.passed
    assert "would not start" not in outcome.message
    assert "optional: true" in outcome.message and "starts without it" in outcome.message
    # Beside a ConfigMap that is consumed, the optional one costs nothing.
    env.append({"name": "MODEL", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "model"}}})
    assert run("configmap-consumed", deployment("api", containers=[container(env=env)]),
               configmap("cfg", {"model": "iris"})).passed


def test_password_through_envfrom_secret_ref_is_accepted():
    db = deployment("postgres", containers=[container(
        image="postgres:16", envFrom=[{"secretRef": {"name": "postgres-credentials"}}])])
    creds = secret("postgres-credentials", string_data={"POSTGRES_PASSWORD": "pw", "POSTGRES_USER": "app"})
    outcome = run("password-from-secret", db, creds)
    assert outcome.passed and "POSTGRES_PASSWORD" in outcome.message
    # A prefixed envFrom of a ConfigMap holding a password key is still a literal in disguise.
    api = deployment("api", containers=[container(envFrom=[{"configMapRef": {"name": "cfg"},
                                                             "prefix": "DB_"}])])
    outcome = run("password-from-secret", api, configmap("cfg", {"PASSWORD": "x"}))
    assert not outcome.passed and "DB_PASSWORD from ConfigMap/cfg, which is not a Secret" in outcome.message


def test_no_password_anywhere_says_what_is_expected():
    outcome = run("password-from-secret", deployment("api", containers=[container(resources=FULL_RESOURCES)]))
    assert not outcome.passed and "envFrom of a Secret with a password key" in outcome.message


# --- cert-manager: one Secret per Certificate, judged per Secret -------------------------------

def test_two_ingresses_sharing_a_cert_manager_secret_only_one_annotated_is_not_missing():
    issuer = {"cert-manager.io/cluster-issuer": "letsencrypt"}
    api = ingress("api", hosts=("shop.podium.test",), service_name="api", secret_name="shop-tls",
                  annotations=issuer)
    static = ingress("static", hosts=("shop.podium.test",), service_name="static", secret_name="shop-tls")
    outcome = run("ingress-tls-certificate", api, static)
    assert outcome.passed, outcome.message
    assert "Secret/shop-tls for shop.podium.test is issued by cert-manager for Ingress/api" in outcome.message
    # A host the annotated Ingress does not list is not in the issued certificate.
    other = ingress("other", hosts=("admin.podium.test",), service_name="static", secret_name="shop-tls")
    outcome = run("ingress-tls-certificate", api, other)
    assert not outcome.passed
    assert "Secret/shop-tls is issued by cert-manager for Ingress/api's hosts (shop.podium.test), " \
           "not for admin.podium.test" in outcome.message


# --- activity-2: components found by what they run ---------------------------------------------

def test_postgres_exporter_is_not_taken_for_the_database():
    from grading.tests.checks.builders import service

    exporter = deployment("postgres-exporter", containers=[container(
        image="quay.io/prometheuscommunity/postgres-exporter:v0.15.0", ports=(("metrics", 9187),))])
    database = deployment("db", kind="StatefulSet", containers=[container(
        image="postgres:16", ports=(("postgres", 5432),))])
    cache = deployment("cache", containers=[container(image="redis:7.4", ports=(("redis", 6379),))])
    api = deployment("model-server")
    objects = [exporter, database, cache, api, service("db", ports=((5432, "postgres"),)),
               service("cache", ports=((6379, "redis"),)), service("model-server")]
    outcome = run("stack-components", *objects)
    assert outcome.passed, outcome.message
    assert "PostgreSQL: StatefulSet/db (image postgres:16) behind Service/db" in outcome.message
    assert "model server: Deployment/model-server" in outcome.message
    # The exporter before the database in file order changes nothing for the storage check either.
    outcome = run("persistent-volume", *objects, component="postgres")
    assert "Judging StatefulSet/db, the PostgreSQL workload" in outcome.message
