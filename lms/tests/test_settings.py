"""Settings come from the environment and fail closed."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SECRET_KEY": "a-long-random-production-key-" + "x" * 40,
    "ALLOWED_HOSTS": "podium.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://podium.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
}


def run_manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if k not in ("SECRET_KEY", "DEBUG", "SECURE_SSL", "STATICFILES_MANIFEST")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_manage("check", env={"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_mode_starts_without_a_secret_key(tmp_path):
    result = run_manage("check", env={"DEBUG": "1", "PODIUM_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dev-secret-key").exists()


def test_secret_key_can_come_from_a_file(tmp_path):
    key = tmp_path / "secret"
    key.write_text("k" * 60)
    env = {**PRODUCTION_ENV, "SECRET_KEY_FILE": str(key)}
    del env["SECRET_KEY"]
    result = run_manage("check", env=env)
    assert result.returncode == 0, result.stderr


def test_check_deploy_prints_no_warnings_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_bad_boolean_is_a_clear_error():
    result = run_manage("check", env={**PRODUCTION_ENV, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr
