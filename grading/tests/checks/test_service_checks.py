from grading.tests.checks.builders import configmap, container, deployment, run, service

REDIS = deployment("redis", containers=[container("redis", image="redis:7.4", ports=(("redis", 6379),))])
POSTGRES = deployment(
    "postgres",
    kind="StatefulSet",
    containers=[container("postgres", image="postgres:16", ports=(("postgres", 5432),))],
)


def model_server(*env, env_from=None):
    c = container("model-server", env=list(env))
    if env_from:
        c["envFrom"] = env_from
    return deployment("model-server", containers=[c])


def stack(*env, env_from=None):
    return [
        model_server(*env, env_from=env_from),
        REDIS,
        POSTGRES,
        service("model-server"),
        service("redis", ports=((6379, "redis"),)),
        service("postgres", ports=((5432, "postgres"),)),
    ]


def test_stack_components_needs_a_workload_and_service_each():
    assert run("stack-components", *stack()).passed
    outcome = run("stack-components", *stack()[:-1], points=6)
    assert not outcome.passed and outcome.points == 5
    assert "no Service selects the pods of StatefulSet/postgres" in outcome.message
    outcome = run("stack-components", model_server(), service("model-server"), points=6)
    assert outcome.points == 2 and "no Redis workload" in outcome.message


def test_service_selectors_must_select_some_pods():
    assert run("service-selectors-match", deployment("api"), service("api")).passed
    outcome = run("service-selectors-match", deployment("api"), service("api", selector={"app": "apí"}))
    assert not outcome.passed and "Service/api (app=apí) select(s) no pods" in outcome.message


def test_target_port_by_name_or_number():
    assert run("service-target-ports", deployment("api"), service("api", ports=((80, "http"),))).passed
    assert run("service-target-ports", deployment("api"), service("api", ports=((80, 8080),))).passed
    outcome = run("service-target-ports", deployment("api"), service("api", ports=((80, 8081),)))
    assert not outcome.passed
    assert (
        "Service/api port 80 targets 8081 but Deployment/api declares container ports http:8080"
        in outcome.message
    )


def test_target_port_defaults_to_port():
    svc = service("api", ports=((8080, "x"),))
    del svc["spec"]["ports"][0]["targetPort"]
    assert run("service-target-ports", deployment("api"), svc).passed


def test_target_ports_leave_selectorless_services_to_the_selector_check():
    assert not run("service-target-ports", deployment("api"), service("x", selector={"app": "x"})).passed


def test_service_exposes_workload_half_credit_for_wrong_port():
    assert run("service-exposes-workload", deployment("api"), service("api")).passed
    outcome = run(
        "service-exposes-workload", deployment("api"), service("api", ports=((80, "web"),)), points=4
    )
    assert not outcome.passed and outcome.points == 2
    assert not run("service-exposes-workload", deployment("api")).passed


def test_env_service_dns_accepts_short_names_and_urls():
    for redis_host in ["redis", "redis:6379", "redis://redis:6379/0", "http://redis/"]:
        objects = stack(
            {"name": "REDIS_URL", "value": redis_host},
            {"name": "DATABASE_URL", "value": "postgresql://app@postgres:5432/predictions"},
        )
        assert run("env-service-dns", *objects).passed, redis_host


def test_env_service_dns_refuses_names_tied_to_another_namespace_and_says_why():
    # Issue 13: these reach `default`/`production`, never the sandbox namespace the grader uses.
    for redis_host, namespace in [
        ("redis.default.svc.cluster.local", "default"),
        ("redis.ml-stack", "ml-stack"),
        ("redis://redis.production.svc:6379/0", "production"),
    ]:
        objects = stack(
            {"name": "REDIS_HOST", "value": redis_host},
            {"name": "DB_HOST", "value": "postgres"},
        )
        outcome = run("env-service-dns", *objects, points=2)
        assert not outcome.passed and outcome.points == 1, redis_host
        assert f"names the Service in namespace '{namespace}'" in outcome.message
        assert "sandbox namespace of its own" in outcome.message and "short name (redis)" in outcome.message
    objects = stack({"name": "REDIS_HOST", "value": "redis"},
                    {"name": "DB_HOST", "value": "postgres.production"})
    outcome = run("env-service-dns", *objects)
    assert not outcome.passed and "namespace 'production'" in outcome.message


def test_env_service_dns_rejects_ips_and_other_hosts():
    objects = stack(
        {"name": "REDIS_HOST", "value": "10.96.45.12"}, {"name": "DB_HOST", "value": "postgres.example.com"}
    )
    outcome = run("env-service-dns", *objects)
    assert not outcome.passed and outcome.points == 0
    assert "No variable of Deployment/model-server names Service redis" in outcome.message


def test_env_service_dns_reads_values_from_configmaps():
    objects = stack(
        {"name": "DB_HOST", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "db"}}},
        env_from=[{"configMapRef": {"name": "cfg"}}],
    )
    objects.append(configmap("cfg", {"db": "postgres", "REDIS_HOST": "redis"}))
    assert run("env-service-dns", *objects).passed
