"""Settings for the page benchmark only (bench/pages.sh): Podium's own settings plus the floor route.

Everything a student request goes through (middleware, sessions, cache, database, templates) is
exactly lms.settings; only the URLconf differs, adding `/bench/floor/` (bench/urls.py). Never
used in production: nothing outside bench/ imports this module.
"""

from lms.settings import *  # noqa: F403
from lms.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
