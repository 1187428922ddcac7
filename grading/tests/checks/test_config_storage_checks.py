from grading.tests.checks.builders import configmap, container, deployment, pvc, run, secret

SECRET_ENV = {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "keys", "key": "api-key"}}}


def app(*, env=(), env_from=None, volumes=None, mounts=None, init=None, kind="Deployment"):
    c = container("server", env=list(env))
    if env_from:
        c["envFrom"] = env_from
    if mounts:
        c["volumeMounts"] = mounts
    return deployment("api", containers=[c], volumes=volumes, init=init, kind=kind)


def test_configmap_consumed_each_way():
    cm = configmap("settings", {"LOG_LEVEL": "INFO"})
    via_env_from = app(env_from=[{"configMapRef": {"name": "settings"}}])
    via_env = app(
        env=[{"name": "L", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "LOG_LEVEL"}}}]
    )
    via_volume = app(
        volumes=[{"name": "cfg", "configMap": {"name": "settings"}}],
        mounts=[{"name": "cfg", "mountPath": "/etc/app"}],
    )
    for workload, how in [(via_env_from, "envFrom"), (via_env, "env"), (via_volume, "volume")]:
        assert run("configmap-consumed", workload, cm).passed, how
        assert run("configmap-consumed", workload, cm, via=[how], configmap="settings").passed, how
    assert not run("configmap-consumed", via_env_from, cm, via=["volume"]).passed


def test_configmap_volume_must_be_mounted():
    unmounted = app(volumes=[{"name": "cfg", "configMap": {"name": "settings"}}])
    assert not run("configmap-consumed", unmounted, configmap("settings", {})).passed


def test_configmap_missing_from_submission_fails_naming_it():
    outcome = run("configmap-consumed", app(env_from=[{"configMapRef": {"name": "settings"}}]))
    assert not outcome.passed and "ConfigMap/settings, which is not in the submission" in outcome.message


def test_secret_consumed_needs_the_key():
    assert run("secret-consumed", app(env=[SECRET_ENV]), secret("keys", string_data={"api-key": "x"})).passed
    outcome = run("secret-consumed", app(env=[SECRET_ENV]), secret("keys", {"apikey": "eA=="}))
    assert not outcome.passed and "reads key 'api-key' that Secret/keys does not have" in outcome.message


def test_secret_consumed_through_a_projected_volume():
    workload = app(
        volumes=[{"name": "creds", "projected": {"sources": [{"secret": {"name": "keys"}}]}}],
        mounts=[{"name": "creds", "mountPath": "/var/run/creds"}],
    )
    assert run("secret-consumed", workload, secret("keys", {"a": "Yg=="}), via=["volume"]).passed


def test_unknown_via_is_a_type_error():
    import pytest

    with pytest.raises(TypeError):
        run("secret-consumed", app(), via=["files"])


def test_password_from_secret_passes_with_secret_key_ref():
    env = {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
    assert run("password-from-secret", app(env=[env]), secret("db", string_data={"password": "p"})).passed


def test_password_literal_or_in_a_configmap_fails():
    literal = app(env=[{"name": "POSTGRES_PASSWORD", "value": "hunter2"}])
    outcome = run("password-from-secret", literal)
    assert not outcome.passed and "sets POSTGRES_PASSWORD from a literal value" in outcome.message
    in_cm = app(env_from=[{"configMapRef": {"name": "cfg"}}])
    outcome = run("password-from-secret", in_cm, configmap("cfg", {"DB_PASSWORD": "x"}))
    assert not outcome.passed and "which is not a Secret" in outcome.message


def test_password_from_secret_fails_when_no_password_variable_exists():
    assert not run("password-from-secret", app()).passed


def test_persistent_volume_from_a_submitted_claim_at_the_path():
    workload = app(
        volumes=[{"name": "models", "persistentVolumeClaim": {"claimName": "model-store"}}],
        mounts=[{"name": "models", "mountPath": "/models/", "readOnly": True}],
    )
    assert run("persistent-volume", workload, pvc(), mount_path="/models").passed
    assert not run("persistent-volume", workload, pvc(), mount_path="/data").passed
    outcome = run("persistent-volume", workload)
    assert (
        not outcome.passed
        and "PersistentVolumeClaim/model-store, which is not in the submission" in outcome.message
    )


def test_persistent_volume_from_volume_claim_templates():
    sts = app(kind="StatefulSet", mounts=[{"name": "data", "mountPath": "/var/lib/postgresql/data"}])
    sts["spec"]["template"]["spec"]["containers"][0]["image"] = "postgres:16"
    sts["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {}}]
    assert run("persistent-volume", sts, component="postgres").passed


def test_empty_dir_is_not_persistent():
    workload = app(
        volumes=[{"name": "models", "emptyDir": {}}], mounts=[{"name": "models", "mountPath": "/m"}]
    )
    outcome = run("persistent-volume", workload)
    assert not outcome.passed and "its volumes are emptyDir only" in outcome.message


def test_init_container_must_write_the_model_volume():
    volumes = [{"name": "models", "persistentVolumeClaim": {"claimName": "model-store"}}]
    mounts = [{"name": "models", "mountPath": "/models", "readOnly": True}]
    writer = container("fetch", ports=(), volumeMounts=[{"name": "models", "mountPath": "/models"}])
    reader = container(
        "fetch", ports=(), volumeMounts=[{"name": "models", "mountPath": "/m", "readOnly": True}]
    )
    assert run("init-container-fetches-model", app(volumes=volumes, mounts=mounts, init=[writer])).passed
    assert not run("init-container-fetches-model", app(volumes=volumes, mounts=mounts, init=[reader])).passed
    assert not run("init-container-fetches-model", app(volumes=volumes, mounts=mounts)).passed
