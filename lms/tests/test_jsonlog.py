"""LOG_FORMAT=json: one JSON object per line on stdout."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from lms.jsonlog import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]


def test_a_record_becomes_one_json_line_with_time_level_logger_and_message():
    record = logging.LogRecord("grading.tasks", logging.WARNING, __file__, 1, "submission %s: %s",
                               (7, "retrying\nnow"), None)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "grading.tasks"
    assert entry["message"] == "submission 7: retrying\nnow"
    assert entry["time"].endswith("+00:00")


def test_exceptions_are_kept_inside_the_json_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in entry["exception"]


def test_log_format_json_sends_log_lines_to_stdout_as_json():
    code = "import logging, django; django.setup(); logging.getLogger('podium').warning('hello')"
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "lms.settings",
           "SECRET_KEY": "x" * 50}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1])["message"] == "hello"
