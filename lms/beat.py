"""Celery beat's liveness: a heartbeat file the scheduler touches on every tick, and a check the
kubelet runs against it.

Beat is a single replica that sends the sweeper and the sandbox reaper (grading/conf.py). A beat
process that is up but stuck (a broker connection that never returns, a deadlock) sends nothing
and nobody notices: submissions lost with a worker wait forever, sandboxes are never reaped. The
scheduler below writes the time of each tick to a file; `python -m lms.beat <file> <max age>`
exits non-zero when the file is missing or older than the max age, so the kubelet restarts the
pod (deploy/helm/podium/templates/beat.yaml: `celery beat --scheduler lms.beat:HeartbeatScheduler`).

The check imports nothing from Django or Celery: it runs every probe period in the beat container.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from celery.beat import PersistentScheduler

HEARTBEAT_ENV = "BEAT_HEARTBEAT_FILE"
# Beat wakes at least this often (seconds), so a healthy process touches the file this often.
MAX_LOOP_INTERVAL = 30


def heartbeat_path() -> Path:
    """BEAT_HEARTBEAT_FILE, else beat-heartbeat in PODIUM_VAR_DIR (the chart: /var/lib/podium)."""
    explicit = os.environ.get(HEARTBEAT_ENV)
    if explicit:
        return Path(explicit)
    from django.conf import settings

    return Path(settings.VAR_DIR) / "beat-heartbeat"


def touch(path: Path, now: float | None = None) -> None:
    """Write the time atomically (a half-written file must not read as a stale beat)."""
    stamp = time.time() if now is None else now
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(f"{stamp:.0f}\n")
    os.utime(tmp, (stamp, stamp))
    tmp.replace(path)


def age_seconds(path: Path, now: float | None = None) -> float | None:
    """Seconds since the last heartbeat, or None when there is none."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    return (time.time() if now is None else now) - mtime


class HeartbeatScheduler(PersistentScheduler):
    """The default persistent scheduler, touching the heartbeat file after every tick (a tick
    that hangs sending a task leaves the file to age), and waking at least every 30 s."""

    def __init__(self, *args, **kwargs):
        # `celery beat` passes its own max_interval (5 minutes by default): cap it.
        kwargs["max_interval"] = min(kwargs.get("max_interval") or MAX_LOOP_INTERVAL, MAX_LOOP_INTERVAL)
        super().__init__(*args, **kwargs)
        self.heartbeat_file = heartbeat_path()

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        touch(self.heartbeat_file)
        return interval


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m lms.beat <heartbeat file> <max age in seconds>", file=sys.stderr)
        return 2
    path, max_age = Path(argv[0]), float(argv[1])
    age = age_seconds(path)
    if age is None:
        print(f"beat heartbeat {path} does not exist: the scheduler has not ticked", file=sys.stderr)
        return 1
    if age > max_age:
        print(f"beat heartbeat {path} is {age:.0f} s old (limit {max_age:.0f} s): the scheduler is stuck",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
