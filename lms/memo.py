"""ProcessMemo: what a process builds once and keeps, keyed by what it is built from.

Course outlines, lab rows, rendered rows and fragments, questions autosave has met: each is the
same for every request of one content version, so a process keeps it in a dict keyed by that
version. A dict, so reads cost a lookup; bounded, the oldest entries dropped first, so old content
versions do not pile up; `remember` under a lock, as gunicorn may run threads.
"""

import threading


class ProcessMemo(dict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size
        self._lock = threading.Lock()

    def remember(self, key, value):
        """Keep `value` under `key` (dropping the oldest entries past `size`) and return it."""
        with self._lock:
            while len(self) >= self.size:
                self.pop(next(iter(self)))
            self[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            super().clear()
