"""The submission form: YAML files, an archive, or pasted YAML.

Everything that can be known without opening a file is checked here, before anything is queued,
each error on the field it is about (the lab page lists them in its error summary): something to
grade, the number of files, their names, the total size, and a README the lab requires.
Parsing, and anything inside an archive, is the grader's job: archives are opened only in its
bounded child process (grading/intake/isolated.py), never in the web process."""

from django import forms

from grading.conf import limits
from grading.intake.parsing import (
    PASTE_NAME,
    README_NAMES,
    TAR_SUFFIXES,
    YAML_SUFFIXES,
    ZIP_SUFFIXES,
    shorten,
)

ACCEPT = ",".join(YAML_SUFFIXES + ZIP_SUFFIXES + TAR_SUFFIXES + (".md",))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


def allowed_name(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(YAML_SUFFIXES + ZIP_SUFFIXES + TAR_SUFFIXES) or lower in README_NAMES


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n // (1024 * 1024)} MiB" if n % (1024 * 1024) == 0 else f"{n / (1024 * 1024):.1f} MiB"
    return f"{max(n // 1024, 1)} KiB"


class SubmissionForm(forms.Form):
    files = MultipleFileField(
        required=False, label="Upload files",
        help_text="One or more .yaml/.yml files, or one .zip or .tar.gz; add a README.md if the lab "
                  "asks for one. 1 MiB in total.")
    paste = forms.CharField(
        required=False, label="…or paste YAML", strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "code-input"}),
        help_text="Separate objects with a line holding only ---.")

    def __init__(self, *args, lab=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lab = lab  # None: no lab-specific checks (the README)

    def clean(self):
        data = super().clean()
        if self.errors:  # a file Django refused (empty, unreadable): that error says it all
            return data
        uploads = data.get("files") or []
        paste = data.get("paste") or ""
        if not uploads and not paste.strip():
            self.add_error("files", "Choose your manifest files to upload, or paste your YAML below.")
            return data
        limits_ = limits()
        if len(uploads) > limits_.max_files:
            self.add_error("files", f"You chose {len(uploads)} files; at most {limits_.max_files} can be "
                                    "submitted. Put them in one .zip or .tar.gz instead.")
        # Beside manifests, another file (apply.sh, a Makefile) is skipped with a note by the
        # grader, as inside a .zip (issue 13); only an upload with nothing gradable is refused.
        if not paste.strip() and not any(allowed_name(upload.name) for upload in uploads):
            for upload in uploads:
                self.add_error("files", f"{shorten(upload.name)}: upload .yaml, .yml, .zip, .tar.gz or "
                                        "README.md files (other files are skipped when they come with "
                                        "these).")
        total = sum(upload.size for upload in uploads) + len(paste.encode())
        if total > limits_.max_bytes:
            largest = max(uploads, key=lambda u: u.size, default=None)
            where = f" (the largest is {shorten(largest.name)}, {_size(largest.size)})" if largest else ""
            self.add_error("paste" if not uploads else "files",
                           f"Your submission is {_size(total)}{where}; the limit is "
                           f"{_size(limits_.max_bytes)} in total. Leave out what the lab does not ask for.")
        if self.lab is not None and self.lab.require_readme and not self._has_readme(uploads):
            self.add_error("files", "This lab needs a README.md that explains how to deploy and use your "
                                    "system: upload it with your manifests (pasted YAML can't include one).")
        return data

    @staticmethod
    def _has_readme(uploads) -> bool:
        """A README among the files, or an archive (the grader looks inside: we don't, here)."""
        for upload in uploads:
            lower = upload.name.lower()
            if lower in README_NAMES or lower.endswith(ZIP_SUFFIXES + TAR_SUFFIXES):
                return True
        return False

    def submitted_files(self) -> list[tuple[str, bytes]]:
        files = [(upload.name, upload.read()) for upload in self.cleaned_data["files"]]
        if self.cleaned_data["paste"].strip():
            files.append((PASTE_NAME, self.cleaned_data["paste"].encode()))
        return files
