"""The submission form: YAML files, an archive, or pasted YAML. Only the cheap checks happen
here (sizes, names); parsing is the pipeline's job, in the worker."""

from django import forms

from grading.conf import limits
from grading.intake.parsing import PASTE_NAME, README_NAMES, TAR_SUFFIXES, YAML_SUFFIXES, ZIP_SUFFIXES

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


class SubmissionForm(forms.Form):
    files = MultipleFileField(
        required=False, label="Upload files",
        help_text="One or more .yaml/.yml files, or one .zip or .tar.gz; add a README.md if the lab "
                  "asks for one. 1 MiB in total.")
    paste = forms.CharField(
        required=False, label="…or paste YAML", strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "code-input"}),
        help_text="Separate objects with a line holding only ---.")

    def clean(self):
        data = super().clean()
        max_bytes = limits().max_bytes
        uploads = data.get("files") or []
        paste = data.get("paste") or ""
        if not uploads and not paste.strip():
            raise forms.ValidationError("Upload your manifests or paste them.")
        # Beside manifests, another file (apply.sh, a Makefile) is skipped with a note by the
        # grader, as inside a .zip (issue 13); only an upload with nothing gradable is refused.
        if not paste.strip() and not any(allowed_name(upload.name) for upload in uploads):
            for upload in uploads:
                self.add_error("files", f"{upload.name}: upload .yaml, .yml, .zip, .tar.gz or README.md "
                                        "files (other files are skipped when they come with these).")
        total = sum(upload.size for upload in uploads) + len(paste.encode())
        if total > max_bytes:
            raise forms.ValidationError(f"The submission is larger than {max_bytes // 1024} KiB.")
        return data

    def submitted_files(self) -> list[tuple[str, bytes]]:
        files = [(upload.name, upload.read()) for upload in self.cleaned_data["files"]]
        if self.cleaned_data["paste"].strip():
            files.append((PASTE_NAME, self.cleaned_data["paste"].encode()))
        return files
