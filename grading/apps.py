from django.apps import AppConfig
from django.core import checks


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = "Lab grading"

    def ready(self) -> None:
        from courses import progress
        from courses.services import register_content_importer
        from grading import conf, selectors, services
        from lms.celery import app

        register_content_importer(services.labs_import)
        progress.register_feature("labs", label="Labs", evidence=selectors.passed_lab_slugs,
                                  status=selectors.dashboard_status, items=selectors.lab_entries)
        from courses import schedule
        from grading.schedule_items import schedule_items

        schedule.register_items(schedule_items)
        # The sweeper runs on Celery beat; settings may add to or override this entry.
        app.conf.beat_schedule = {**conf.beat_schedule(), **(app.conf.beat_schedule or {})}
        checks.register(check_sandbox_settings)
        # The ingress-class check (Django-free) asks conf for the served classes at grading time.
        from grading.checks import ingress as ingress_checks

        ingress_checks.served_ingress_classes = conf.ingress_classes


def _own_hosts(settings) -> list[str]:
    """Podium's own host names: ALLOWED_HOSTS and the hosts of CSRF_TRUSTED_ORIGINS."""
    from urllib.parse import urlsplit

    hosts = [str(h) for h in getattr(settings, "ALLOWED_HOSTS", [])]
    hosts += [urlsplit(str(o)).hostname or "" for o in getattr(settings, "CSRF_TRUSTED_ORIGINS", [])]
    # "*" names no host; a "*.example" origin is its domain.
    return [h.removeprefix("*") for h in hosts if h and h != "*"]


def check_sandbox_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A sandbox could serve Podium's own login page on Podium's origin if the sandbox domain
    were Podium's host, contained it or sat under it: refuse to start."""
    from django.conf import settings

    from grading import conf
    from grading.live.sandbox import domain_overlap

    errors = []
    try:
        domain, ingress_class = conf.sandbox_domain(), conf.sandbox_ingress_class()
        conf.sandbox_denied_cidrs()
        conf.sandbox_install()  # install id, prefix and label: a bad one would fail every grade
    except ValueError as exc:
        return [checks.Error(str(exc), id="grading.E002")]
    if not domain or "." not in domain or "*" in domain:
        errors.append(checks.Error(
            f"GRADING_SANDBOX_DOMAIN {domain!r} is not a domain (like sandbox.podium-labs.test).",
            id="grading.E001"))
    for host in _own_hosts(settings):
        if domain and domain_overlap(domain, host):
            errors.append(checks.Error(
                f"GRADING_SANDBOX_DOMAIN {domain!r} overlaps Podium's own host {host!r} (equal, containing "
                "or contained): a lab's sandbox could serve pages on Podium's origin.",
                hint="Use a domain of its own for sandboxes, e.g. sandbox.<another registrable domain>.",
                id="grading.E001"))
    if not ingress_class:
        errors.append(checks.Error("GRADING_SANDBOX_INGRESS_CLASS is empty.", id="grading.E003"))
    return errors
