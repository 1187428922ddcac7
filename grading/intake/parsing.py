"""Turn an untrusted upload (YAML files, a .zip or .tar.gz, pasted text) into Kubernetes objects.

Pure: no Django. Everything here assumes the input is hostile:
- bytes are capped (after decompression) before any YAML is read;
- archives are read in memory, never extracted; member count, sizes and names are checked
  (absolute paths, `..`, over-long names, links and devices are refused); a .tar.gz is
  decompressed through a bounded reader, so its headers (GNU long names, PAX records) count
  into the budget too and tarfile can never pull more than the budget;
- YAML goes through libyaml's event stream (PyYAML's C parser, the CSafeLoader) and we compose
  the nodes ourselves, so we can refuse anchors and aliases (alias bombs), cap documents, depth
  and nodes, and spot duplicate keys *before* anything is constructed;
- construction uses a reduced safe constructor: plain scalars, lists and mappings only; plain
  scalars resolve as Kubernetes reads them (sigs.k8s.io/yaml): no base-60 numbers (`1:30` is a
  string), and integers must fit 64 bits.

Every problem names file, document number, line and field; every name quoted is shortened.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

YAML_SUFFIXES = (".yaml", ".yml")
ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar.gz", ".tgz")
README_NAMES = {"readme", "readme.md", "readme.txt", "readme.markdown"}
KUSTOMIZATION_NAMES = {"kustomization.yaml", "kustomization.yml"}
KUSTOMIZE_GROUP = "kustomize.config.k8s.io/"
KUSTOMIZATION_MESSAGE = ("a kustomization is not applied by the grader (it applies plain manifests, as "
                         "`kubectl apply -f`): render it with `kubectl kustomize dir/ > all.yaml` and "
                         "upload all.yaml instead of the kustomization and its bases")
PASTE_NAME = "pasted.yaml"
MAX_NAME_CHARS = 1024       # an archive member's path
MAX_NAME_PART_CHARS = 255   # one component of it (NAME_MAX on Linux)
SHOWN_NAME_CHARS = 80       # a name quoted in a message
# A tar stream holds headers and padding besides the members' bytes: per member, its header,
# a GNU long-name or PAX header (a name of at most MAX_NAME_CHARS) and the padding to 512 bytes;
# then the end-of-archive blocks and the record padding (10 KiB).
TAR_MEMBER_OVERHEAD = 4096
TAR_END_OVERHEAD = 20 * 1024


def shorten(name: str, limit: int = SHOWN_NAME_CHARS) -> str:
    """`name` cut to `limit` characters around an ellipsis, keeping its start and its end (the
    file name is what a student recognises)."""
    if len(name) <= limit:
        return name
    head = (limit - 1) // 2
    return f"{name[:head]}…{name[-(limit - 1 - head):]}"


def _quoted(name: str) -> str:
    return repr(shorten(name))


@dataclass
class Problem:
    """One thing wrong with a submission, located as precisely as we can."""

    file: str
    document: int | None
    line: int | None
    field: str | None
    message: str
    # The lesson section that explains the rule ("03-core-resources.md#running-as-non-root");
    # the result page links to it.
    lesson_link: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = self.file
        if self.document:
            where += f" (document {self.document})"
        if self.line:
            where += f":{self.line}"
        return f"{where}{f' [{self.field}]' if self.field else ''}: {self.message}"


@dataclass
class ParsedObject:
    """One Kubernetes object from a submission, with where it came from."""

    data: dict
    file: str
    document: int
    node: MappingNode
    prefix: str = ""  # "items[2]" when unpacked from a `kind: List`

    @property
    def kind(self) -> str:
        return str(self.data.get("kind") or "")

    @property
    def name(self) -> str:
        metadata = self.data.get("metadata")
        return str(metadata.get("name") or "") if isinstance(metadata, dict) else ""

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}" if self.name else self.kind

    def line(self, path: tuple | list = ()) -> int | None:
        """The line of the field at `path` (("spec", "replicas")), else of its nearest parent."""
        return line_of(self.node, list(path))

    def problem(self, path: tuple | list, message: str, lesson_link: str = "") -> Problem:
        return Problem(self.file, self.document, self.line(path), field_name(path, self.prefix), message,
                       lesson_link)


@dataclass
class ParseResult:
    objects: list[ParsedObject] = field(default_factory=list)
    readme: str | None = None
    ignored: list[str] = field(default_factory=list)     # archive members that are not YAML
    errors: list[Problem] = field(default_factory=list)


class TooLarge(Exception):
    """A hard limit was hit: stop reading at once (the rest may be a bomb)."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def field_name(path: tuple | list, prefix: str = "") -> str | None:
    out = prefix
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out or None


def line_of(node: Node, path: list) -> int | None:
    line = node.start_mark.line + 1
    for part in path:
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value == str(part):
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


@dataclass(frozen=True)
class Limits:
    """What an untrusted submission may hold. Checked before any YAML is composed."""

    max_bytes: int = 1024 * 1024          # total, after decompression
    max_documents: int = 200              # YAML documents across all files
    max_depth: int = 40                   # nesting of mappings/sequences
    max_nodes: int = 50_000               # scalars, mappings and sequences across all files
    max_files: int = 50                   # uploaded files, or members of an archive


# --- files and archives ---------------------------------------------------------------------

@dataclass
class _Budget:
    limits: Limits
    bytes: int = 0
    documents: int = 0
    nodes: int = 0

    def add_bytes(self, n: int, file: str) -> None:
        self.bytes += n
        if self.bytes > self.limits.max_bytes:
            raise TooLarge(Problem(file, None, None, None,
                                   f"the submission is larger than {_size(self.limits.max_bytes)} "
                                   "(counted after decompression)"))


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n % (1024 * 1024) == 0 else f"{n} bytes"


def _is_readme(name: str) -> bool:
    return name.rsplit("/", 1)[-1].lower() in README_NAMES


def _kind_of(name: str, data: bytes) -> str:
    lower = name.lower()
    if lower.endswith(YAML_SUFFIXES):
        return "yaml"
    if lower.endswith(ZIP_SUFFIXES) or data[:4] == b"PK\x03\x04":
        return "zip"
    if lower.endswith(TAR_SUFFIXES) or data[:2] == b"\x1f\x8b":
        return "tar"
    if _is_readme(name):
        return "readme"
    return "other"


def parse_submission(files: list[tuple[str, bytes]], limits: Limits,
                     on_file: Callable[[str], None] | None = None) -> ParseResult:
    """Parse every uploaded file. Never raises for bad input: problems go to `result.errors`.

    A hard limit (size, documents, nodes, members) stops everything at once with one error.
    `on_file(name)` is called before each file is read (the isolated parser says where it was
    when it ran out of memory or time).
    """
    result = ParseResult()
    budget = _Budget(limits)
    try:
        if len(files) > limits.max_files:
            raise TooLarge(Problem("(upload)", None, None, None,
                                   f"too many files ({len(files)}; at most {limits.max_files})"))
        if not files:
            result.errors.append(Problem("(upload)", None, None, None,
                                         "nothing was submitted: upload YAML files or paste YAML"))
        for name, data in files:
            kind = _kind_of(name, data)
            shown = shorten(name)
            if on_file:
                on_file(shown)
            if kind == "zip":
                _read_members(result, budget, shown, _zip_members(shown, data, limits))
            elif kind == "tar":
                _read_members(result, budget, shown, _tar_members(shown, data, limits))
            elif kind in ("yaml", "readme"):
                budget.add_bytes(len(data), shown)
                _read_file(result, budget, shown, data, kind)
            else:
                # As inside an archive, and as `kubectl apply -f dir/` does: a script or a
                # Makefile beside the manifests is skipped (the report notes it), not refused.
                result.ignored.append(shown)
    except TooLarge as exc:
        result.objects, result.errors = [], [exc.problem]
    except RecursionError:
        # Python's own readers recurse on some inputs (tarfile follows chained PAX headers).
        result.objects, result.errors = [], [Problem("(upload)", None, None, None,
                                                     "the upload is nested too deeply to be read "
                                                     "(chained archive headers?)")]
    return result


def _read_file(result: ParseResult, budget: _Budget, name: str, data: bytes, kind: str) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        result.errors.append(Problem(name, None, None, None,
                                     f"not UTF-8 text (byte {exc.start} cannot be decoded)"))
        return
    if kind == "readme":
        if result.readme is None:
            result.readme = text
        return
    if name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] in KUSTOMIZATION_NAMES:
        # Its fields (resources, patches, namePrefix...) are no object; kubectl apply -k would
        # render them, the grader does not.
        result.errors.append(Problem(name, None, None, None, KUSTOMIZATION_MESSAGE))
        return
    parse_yaml(text, name, budget, result)


def _read_members(result: ParseResult, budget: _Budget, archive: str, members) -> None:
    for member, data in members:
        # Member names are at most MAX_NAME_CHARS long (checked); shown shortened.
        display = f"{archive}:{shorten(member)}"
        if data is None:  # a directory
            continue
        kind = _kind_of(member, b"")
        if kind in ("yaml", "readme"):
            budget.add_bytes(len(data), display)
            _read_file(result, budget, display, data, kind)
        else:
            result.ignored.append(display)


def _check_member_name(archive: str, name: str) -> None:
    if len(name) > MAX_NAME_CHARS:
        raise TooLarge(Problem(archive, None, None, None,
                               f"archive member {_quoted(name)} has a name of {len(name)} characters; "
                               f"at most {MAX_NAME_CHARS}"))
    parts = name.replace("\\", "/").split("/")
    if any(len(part) > MAX_NAME_PART_CHARS for part in parts):
        raise TooLarge(Problem(archive, None, None, None,
                               f"archive member {_quoted(name)} has a path component longer than "
                               f"{MAX_NAME_PART_CHARS} characters"))
    if "\0" in name:
        raise TooLarge(Problem(archive, None, None, None,
                               f"archive member {_quoted(name)} has a NUL character in its name"))
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise TooLarge(Problem(archive, None, None, None,
                               f"archive member {_quoted(name)} has an unsafe path (absolute or with '..')"))


def _zip_members(name: str, data: bytes, limits: Limits):
    import lzma
    import zipfile  # here, not at the top: the isolated parser starts faster without it

    # The central directory (names, extra fields, comment) is at most the upload's own size
    # (the form caps it at max_bytes); zipfile keeps the comment and extra fields unread by us.
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, UnicodeDecodeError) as exc:
        raise TooLarge(Problem(name, None, None, None,
                               f"not a readable .zip archive ({shorten(str(exc))})")) from None
    if len(infos) > limits.max_files:
        raise TooLarge(Problem(name, None, None, None,
                               f"the archive holds {len(infos)} members; at most {limits.max_files}"))
    declared = 0
    for info in infos:
        _check_member_name(name, info.filename)
        mode = info.external_attr >> 16
        if mode and (mode & 0o170000) not in (0, 0o100000, 0o040000):
            raise TooLarge(Problem(name, None, None, None,
                                   f"archive member {_quoted(info.filename)} is a link or a device file"))
        if info.flag_bits & 0x1:
            raise TooLarge(Problem(name, None, None, None,
                                   f"archive member {_quoted(info.filename)} is encrypted"))
        declared += info.file_size
    if declared > limits.max_bytes:  # a zip bomb says so in its directory: refuse unread
        raise TooLarge(Problem(name, None, None, None,
                               f"the archive would unpack to {declared} bytes; at most "
                               f"{_size(limits.max_bytes)} (zip bomb?)"))
    for info in infos:
        if info.is_dir():
            yield info.filename, None
            continue
        try:
            # ZipExtFile never reads past the declared size, and checks the CRC at the end.
            with archive.open(info) as member:
                content = member.read(limits.max_bytes + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError, zlib.error,
                lzma.LZMAError) as exc:
            raise TooLarge(Problem(name, None, None, None,
                                   f"archive member {_quoted(info.filename)} cannot be read "
                                   f"({shorten(str(exc))})")) from None
        yield info.filename, content


class _BoundedStream:
    """A read-only file over a decompressed stream that refuses to go past `cap` bytes.

    tarfile reads GNU long names and PAX records whole (`read(size)` with the size the header
    claims) before any member is seen; reading through this, the request itself is refused once
    it would pass the cap, so a header can cost no more than the budget."""

    def __init__(self, raw, cap: int, archive: str, limits: Limits):
        self.raw, self.cap, self.pos = raw, cap, 0
        self.archive, self.limits = archive, limits

    def _over(self) -> TooLarge:
        return TooLarge(Problem(self.archive, None, None, None,
                                f"the archive unpacks to more than {_size(self.limits.max_bytes)} "
                                f"plus {self.cap - self.limits.max_bytes} bytes of headers "
                                "(tar bomb, or over-long names?)"))

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self.cap - self.pos + 1
        if self.pos + size > self.cap:
            raise self._over()
        data = self.raw.read(size)
        self.pos += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset if whence == io.SEEK_SET else self.pos + offset if whence == io.SEEK_CUR else None
        if target is None or target < 0:
            raise OSError("the archive cannot be read backwards from its end")
        if target > self.cap:
            raise self._over()
        self.pos = self.raw.seek(target)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.raw.close()


def _decompressed(data: bytes):
    """The tar stream inside `data`: gzip (usual), bzip2, xz, or none."""
    import bz2
    import gzip
    import lzma

    if data[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb")
    if data[:3] == b"BZh":
        return bz2.BZ2File(io.BytesIO(data))
    if data[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMAFile(io.BytesIO(data))
    return io.BytesIO(data)


def _tar_members(name: str, data: bytes, limits: Limits):
    import lzma
    import tarfile  # here, not at the top: the isolated parser starts faster without it

    archive_errors = (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError,
                      UnicodeDecodeError)
    cap = limits.max_bytes + limits.max_files * TAR_MEMBER_OVERHEAD + TAR_END_OVERHEAD
    stream = _BoundedStream(_decompressed(data), cap, name, limits)
    try:
        archive = tarfile.open(fileobj=stream, mode="r:")  # noqa: SIM115 - in memory, read lazily
    except archive_errors as exc:
        raise TooLarge(Problem(name, None, None, None,
                               f"not a readable .tar.gz archive ({shorten(str(exc))})")) from None
    count = total = 0
    try:
        while True:
            # Streaming: each header is read after the previous member's data, so a bomb is
            # refused at the first header whose size breaks the budget, before its data.
            member = archive.next()
            if member is None:
                break
            count += 1
            if count > limits.max_files:
                raise TooLarge(Problem(name, None, None, None,
                                       f"the archive holds more than {limits.max_files} members"))
            _check_member_name(name, member.name)
            if member.isdir():
                yield member.name, None
                continue
            if not member.isfile():
                raise TooLarge(Problem(name, None, None, None,
                                       f"archive member {_quoted(member.name)} is a link or a device file"))
            total += member.size
            if total > limits.max_bytes:
                raise TooLarge(Problem(name, None, None, None,
                                       f"the archive unpacks to more than {_size(limits.max_bytes)} "
                                       "(tar bomb?)"))
            extracted = archive.extractfile(member)
            yield member.name, extracted.read(member.size) if extracted else b""
    except archive_errors as exc:
        raise TooLarge(Problem(name, None, None, None,
                               f"the archive is damaged ({shorten(str(exc))})")) from None


# --- YAML -----------------------------------------------------------------------------------

_NULL, _BOOL, _INT, _FLOAT = (f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float"))
_STR, _SEQ, _MAP, _TIMESTAMP = (f"tag:yaml.org,2002:{t}" for t in ("str", "seq", "map", "timestamp"))
_CParser = yaml.CSafeLoader.__mro__[1]  # yaml._yaml.CParser: libyaml's event stream


# Numbers as Kubernetes reads YAML (sigs.k8s.io/yaml, go-yaml): PyYAML's YAML 1.1 forms without
# base 60. PyYAML's base-60 int (`1:1:1:…`) multiplies ever larger ints (900 KB took 60 s); here
# `1:30` stays the string "1:30", as in `kubectl apply`.
_INT_RE = re.compile(r"""^(?:[-+]?0b[0-1_]+
                        |[-+]?0[0-7_]+
                        |[-+]?(?:0|[1-9][0-9_]*)
                        |[-+]?0x[0-9a-fA-F_]+)$""", re.X)
_FLOAT_RE = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                          |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                          |[-+]?\.(?:inf|Inf|INF)
                          |\.(?:nan|NaN|NAN))$""", re.X)
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1


class _Resolver(yaml.resolver.BaseResolver):
    """PyYAML's implicit types (YAML 1.1 booleans, null, ints, floats...) with our int and float
    patterns, and without the `=` value tag (a plain `=` is a string to Kubernetes)."""

    yaml_implicit_resolvers: dict = {}


for _first, _resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items():
    for _tag, _regexp in _resolvers:
        if _tag == "tag:yaml.org,2002:value":
            continue
        _regexp = {_INT: _INT_RE, _FLOAT: _FLOAT_RE}.get(_tag, _regexp)
        _Resolver.yaml_implicit_resolvers.setdefault(_first, []).append((_tag, _regexp))


class _Loader(_CParser, SafeConstructor, _Resolver):
    """libyaml (C) events, our resolver, and our own composer/constructor below."""

    def __init__(self, stream: str):
        _CParser.__init__(self, stream)
        SafeConstructor.__init__(self)
        _Resolver.__init__(self)


class _Unsupported(Exception):
    pass


def _yaml_int(value: str) -> int:
    """A YAML int (already matched by _INT_RE) that fits 64 bits, as Kubernetes' fields hold.
    The digits are counted before any conversion: a 4,300-digit literal costs nothing."""
    text = value.replace("_", "")
    sign = -1 if text[0] == "-" else 1
    text = text.lstrip("+-")
    if text[:2] in ("0b", "0x"):
        base, digits = (2 if text[1] == "b" else 16), text[2:]
    elif len(text) > 1 and text[0] == "0":
        base, digits = 8, text[1:]
    else:
        base, digits = 10, text
    digits = digits.lstrip("0") or "0"
    number = sign * int(digits, base) if len(digits) <= 64 else None
    if number is None or not INT64_MIN <= number <= INT64_MAX:
        raise _Unsupported(f"the number {_quoted(value)} does not fit in a 64-bit integer (Kubernetes "
                           f"numbers are between {INT64_MIN} and {INT64_MAX}); quote it if it is text")
    return number


def _scalar(loader: _Loader, node: ScalarNode) -> object:
    """Only what JSON can hold. Timestamps stay strings (Kubernetes reads YAML as JSON, where
    `2024-01-01` is a string); binary, sets, custom and python tags are refused."""
    tag = node.tag
    if tag in (_STR, _TIMESTAMP):
        return node.value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return loader.construct_yaml_bool(node)
    if tag == _INT:
        if not _INT_RE.match(node.value):  # an explicit !!int on something else
            raise _Unsupported(f"{_quoted(node.value)} is not an integer")
        return _yaml_int(node.value)
    if tag == _FLOAT:
        if not _FLOAT_RE.match(node.value) and not _INT_RE.match(node.value):
            raise _Unsupported(f"{_quoted(node.value)} is not a number")
        return loader.construct_yaml_float(node)
    raise _Unsupported(f"unsupported YAML: unsupported YAML tag {_quoted(tag)} (plain values, lists and "
                       "mappings only)")


def parse_yaml(text: str, file: str, budget: _Budget, result: ParseResult) -> None:
    """Add the objects of one YAML file (or its problems) to `result`."""
    loader = _Loader(text)
    document = 0
    try:
        loader.get_event()  # StreamStart
        while not loader.check_event(yaml.StreamEndEvent):
            loader.get_event()  # DocumentStart
            document += 1
            budget.documents += 1
            if budget.documents > budget.limits.max_documents:
                raise TooLarge(Problem(file, document, None, None,
                                       f"more than {budget.limits.max_documents} YAML documents "
                                       "in the submission"))
            errors: list[Problem] = []
            node, data = _compose(loader, file, document, budget, errors)
            loader.get_event()  # DocumentEnd
            if errors:
                result.errors += errors
                continue
            _add_document(node, data, file, document, result)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        result.errors.append(Problem(file, document or 1, mark.line + 1 if mark else None, None,
                                     f"invalid YAML: {exc.problem or exc.context}"))
    except yaml.YAMLError as exc:
        result.errors.append(Problem(file, document or 1, None, None, f"invalid YAML: {exc}"))
    finally:
        loader.dispose()


class _Frame:
    """An open mapping or sequence while composing."""

    __slots__ = ("node", "data", "keys", "key_node", "key", "last")

    def __init__(self, node: Node, data: dict | list):
        self.node, self.data = node, data
        self.keys: set | None = set() if isinstance(data, dict) else None
        self.key_node: Node | None = None
        self.key: str | None = None
        self.last: str | None = None  # the key of the value attached last (an open child's)


def _compose(loader: _Loader, file: str, document: int, budget: _Budget,
             errors: list[Problem]) -> tuple[Node | None, object]:
    """Compose one document from libyaml's events into both a node tree (for line numbers) and
    plain data, refusing anchors, aliases, duplicate keys, unsupported tags, and anything past
    the depth and node limits. Iterative, so depth cannot blow the stack; nothing is built for
    an alias, so an alias bomb costs one event."""
    limits = budget.limits
    stack: list[_Frame] = []
    root: tuple[Node | None, object] = (None, None)
    while True:
        event = loader.get_event()
        kind = type(event)
        if kind is yaml.AliasEvent or getattr(event, "anchor", None):
            raise TooLarge(Problem(file, document, event.start_mark.line + 1, None,
                                   "YAML anchors and aliases (&name, *name) are not accepted: "
                                   "write each object out in full"))
        if kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            frame = stack.pop()
            frame.node.end_mark = event.end_mark
            if not stack:
                return root
            continue
        budget.nodes += 1
        if budget.nodes > limits.max_nodes:
            raise TooLarge(Problem(file, document, event.start_mark.line + 1, None,
                                   f"the submission has more than {limits.max_nodes} YAML nodes"))
        tag = event.tag
        if kind is yaml.ScalarEvent:
            if tag is None or tag == "!":
                # A quoted scalar is always a string; only plain ones need the resolver.
                tag = loader.resolve(ScalarNode, event.value, event.implicit) if event.implicit[0] else _STR
            node: Node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            try:
                value: object = _scalar(loader, node)
            except _Unsupported as exc:
                errors.append(Problem(file, document, event.start_mark.line + 1, _path_of(stack), str(exc)))
                value = None
            except (ConstructorError, ValueError) as exc:
                errors.append(Problem(file, document, event.start_mark.line + 1, _path_of(stack),
                                      f"unsupported YAML: {shorten(str(exc), 200)}"))
                value = None
            if not stack:
                return node, value
            _attach(stack[-1], node, value, file, document, errors)
            continue
        # a mapping or a sequence starts
        if len(stack) >= limits.max_depth:
            raise TooLarge(Problem(file, document, event.start_mark.line + 1, None,
                                   f"the YAML is nested more than {limits.max_depth} levels deep"))
        is_map = kind is yaml.MappingStartEvent
        node_class = MappingNode if is_map else SequenceNode
        if tag is None or tag == "!":
            tag = loader.resolve(node_class, None, event.implicit)
        if tag != (_MAP if is_map else _SEQ):
            errors.append(Problem(file, document, event.start_mark.line + 1, None,
                                  f"unsupported YAML: unsupported YAML tag {tag!r} "
                                  "(plain values, lists and mappings only)"))
        node = node_class(tag, [], event.start_mark, None, flow_style=event.flow_style)
        data: dict | list = {} if is_map else []
        if stack:
            _attach(stack[-1], node, data, file, document, errors)
        else:
            root = (node, data)
        stack.append(_Frame(node, data))


def _path_of(stack: list[_Frame]) -> str | None:
    """The field a scalar being composed belongs to ("spec.replicas", "items[2]")."""
    path: list = []
    for depth, frame in enumerate(stack):
        inner = depth == len(stack) - 1
        if frame.keys is None:
            path.append(len(frame.data) - (0 if inner else 1))
        elif inner and frame.key is None:
            break  # the scalar is a key itself: its mapping's path
        else:
            path.append(frame.key if inner else frame.last)
    return field_name(path)


def _attach(parent: _Frame, node: Node, value: object, file: str, document: int,
            errors: list[Problem]) -> None:
    if parent.keys is None:
        parent.node.value.append(node)
        parent.data.append(value)  # type: ignore[union-attr]
        return
    if parent.key_node is None:
        if not isinstance(node, ScalarNode):
            errors.append(Problem(file, document, node.start_mark.line + 1, None,
                                  "mapping keys must be plain names, not lists or mappings"))
            parent.key_node, parent.key = node, f"<complex key at line {node.start_mark.line + 1}>"
            return
        # JSON keys are strings: `80: x` means the key "80", as Kubernetes reads it.
        parent.key_node, parent.key = node, node.value
        if node.value in parent.keys:
            errors.append(Problem(file, document, node.start_mark.line + 1, node.value,
                                  f"duplicate key {node.value!r}"))
        parent.keys.add(node.value)
        return
    parent.node.value.append((parent.key_node, node))
    parent.data[parent.key] = value  # type: ignore[index]
    parent.last = parent.key
    parent.key_node = parent.key = None


def _add_document(node: Node | None, data: object, file: str, document: int,
                  result: ParseResult) -> None:
    if node is None or data is None:
        return  # an empty document ("---" at the end of a file)
    if not isinstance(data, dict) or not isinstance(node, MappingNode):
        result.errors.append(Problem(file, document, node.start_mark.line + 1, None,
                                     "each YAML document must be one Kubernetes object (a mapping "
                                     f"with apiVersion, kind and metadata), not {_describe(data)}"))
        return
    if data.get("kind") == "List" and isinstance(data.get("items"), list):
        items_node = next(v for k, v in node.value if k.value == "items")
        for i, item in enumerate(data["items"]):
            item_node = items_node.value[i]
            if not isinstance(item, dict) or not isinstance(item_node, MappingNode):
                result.errors.append(Problem(file, document, item_node.start_mark.line + 1,
                                             f"items[{i}]", "each item of a List must be an object"))
                continue
            _add_object(ParsedObject(item, file, document, item_node, prefix=f"items[{i}]"), result)
        return
    _add_object(ParsedObject(data, file, document, node), result)


def _add_object(obj: ParsedObject, result: ParseResult) -> None:
    api_version = obj.data.get("apiVersion")
    if isinstance(api_version, str) and api_version.startswith(KUSTOMIZE_GROUP):
        result.errors.append(obj.problem(["kind"] if "kind" in obj.data else [], KUSTOMIZATION_MESSAGE))
        return
    problems = []
    for key in ("apiVersion", "kind"):
        if not isinstance(obj.data.get(key), str) or not obj.data[key]:
            problems.append(obj.problem([key] if key in obj.data else [],
                                        f"every object needs `{key}` (a string)"))
    metadata = obj.data.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        problems.append(obj.problem(["metadata"] if "metadata" in obj.data else [],
                                    "every object needs `metadata.name` (a string)"))
    if problems:
        result.errors += problems
    else:
        result.objects.append(obj)


def _describe(data: object) -> str:
    if isinstance(data, list):
        return "a list"
    return f"a {type(data).__name__} value"
