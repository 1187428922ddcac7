"""Static file storages whose url() remembers its answers (issue 17).

Every page asks for the URLs of the same few files (stylesheets, scripts, the icon), and with
hashed names each answer is a manifest lookup plus URL joining and quoting: the same string every
time while the process runs. Each storage instance keeps its answers (bounded); tests that
change STATIC_URL or STORAGES get a new storage instance, hence a fresh memo.
"""

from django.contrib.staticfiles.storage import StaticFilesStorage as DjangoStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage as WhiteNoiseManifestStorage

MEMO_SIZE = 2048


class MemoisedURLs:
    def url(self, name, force=False):
        if force or not isinstance(name, str):
            return super().url(name, force)
        memo = self.__dict__.setdefault("_url_memo", {})
        found = memo.get(name)
        if found is None:
            found = super().url(name)  # errors (a file missing from the manifest) are not kept
            if len(memo) < MEMO_SIZE:
                memo[name] = found
        return found


class StaticFilesStorage(MemoisedURLs, DjangoStaticFilesStorage):
    """Files served from static/ as they are (DEBUG, tests)."""


class CompressedManifestStaticFilesStorage(MemoisedURLs, WhiteNoiseManifestStorage):
    """Hashed, compressed names from `collectstatic` (production)."""
