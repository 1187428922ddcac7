"""What load_course did, the one way it updates a row (only the fields that changed), and the
one way it fingerprints content."""

import hashlib
import json
from dataclasses import dataclass, field


def content_hash(values) -> str:
    """A stable fingerprint of imported content (JSON-able values, keys in any order)."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class ImportReport:
    course: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)

    def lines(self) -> list[str]:
        if not self.changed:
            return [f"{self.course}: up to date, nothing changed ({len(self.unchanged)} items checked)."]
        out = [f"{self.course}:"]
        for label, items in (("created", self.created), ("updated", self.updated),
                             ("removed", self.removed)):
            if items:
                out.append(f"  {label} ({len(items)}): {', '.join(items)}")
        out.append(f"  unchanged: {len(self.unchanged)}")
        return out


def update_if_changed(obj, values: dict, label: str, report: ImportReport) -> None:
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        report.unchanged.append(label)
        return
    for name in changed:
        setattr(obj, name, values[name])
    obj.save(update_fields=changed)
    shown = [n for n in changed if n != "content_hash"] or ["content hash"]
    report.updated.append(f"{label} ({', '.join(shown)})")
