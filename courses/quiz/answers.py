"""The command answer kind: a typed kubectl or helm command judged by what it does, not its spelling.

A regex cannot tell `kubectl -n ml logs po/web-0 -p` (right) from `kubectl logs web-0
--previous=false` (wrong) or `... && rm -rf /` (never right). So the answer is split with shlex
into the program, its positional words and its flags; flags are resolved to their long names
(`-p` is `--previous`, `--flag=value` is `--flag value`), resource types to one name (`po`,
`pods`, `pod` are `pod`; `po/web-0` and `pod web-0` are `pod/web-0`), and the result is
compared with the question's declared rules (quiz.yaml `command:`):

    command:
      - run: kubectl logs pod/web-0       # program and positional words, in order
        required: [--previous]            # flags that must be there (`--flag=value`: that value)
        optional: [--container]           # may be there (`--flag=value`: only with that value)
        forbidden: [--follow]             # refused even when other_flags is allow
        other_flags: refuse               # any other flag: refuse (default) or allow

Several entries are alternatives (`kubectl describe pod web-0` or `kubectl events --for
pod/web-0`). Global flags (namespace, context, kubeconfig…) may stand anywhere and are always
allowed. Shell operators, substitutions and redirections are refused outright: the answer is one
command.
"""

import os
import re
import shlex
from dataclasses import dataclass, field

# kind of value a flag takes: BOOL (only `--flag=value` carries a value), VALUE (`--flag v` or
# `--flag=v`), RESOURCE (a VALUE naming `type/name`, aliases resolved), SELECTOR (a VALUE
# holding a field or label selector: `==` is `=`, the terms' order does not matter).
BOOL, VALUE, RESOURCE, SELECTOR = "bool", "value", "resource", "selector"


@dataclass(frozen=True)
class Flag:
    name: str  # the long form, e.g. --previous
    kind: str
    short: str = ""  # e.g. -p
    is_global: bool = False


def _table(*flags: Flag) -> dict[str, Flag]:
    out = {}
    for f in flags:
        out[f.name] = f
        if f.short:
            out[f.short] = f
    return out


KUBECTL_FLAGS = _table(
    # global: allowed anywhere in every answer
    Flag("--namespace", VALUE, "-n", True), Flag("--context", VALUE, is_global=True),
    Flag("--kubeconfig", VALUE, is_global=True), Flag("--cluster", VALUE, is_global=True),
    Flag("--user", VALUE, is_global=True), Flag("--v", VALUE, "-v", True),
    Flag("--request-timeout", VALUE, is_global=True), Flag("--all-namespaces", BOOL, "-A", True),
    # per command (a question allows them by name)
    Flag("--previous", BOOL, "-p"), Flag("--container", VALUE, "-c"), Flag("--follow", BOOL, "-f"),
    Flag("--all-containers", BOOL), Flag("--tail", VALUE), Flag("--timestamps", BOOL),
    Flag("--since", VALUE), Flag("--since-time", VALUE), Flag("--limit-bytes", VALUE),
    Flag("--output", VALUE, "-o"), Flag("--for", RESOURCE), Flag("--field-selector", SELECTOR),
    Flag("--selector", SELECTOR, "-l"), Flag("--sort-by", VALUE), Flag("--watch", BOOL, "-w"),
    Flag("--types", VALUE), Flag("--to-revision", VALUE), Flag("--dry-run", BOOL),
    Flag("--show-events", BOOL), Flag("--filename", VALUE), Flag("--recursive", BOOL, "-R"),
    Flag("--server-side", BOOL), Flag("--force", BOOL), Flag("--grace-period", VALUE),
    Flag("--replicas", VALUE), Flag("--image", VALUE), Flag("--record", BOOL),
    Flag("--show-labels", BOOL), Flag("--timeout", VALUE), Flag("--revision", VALUE),
)
# `-f` is --follow for `kubectl logs` but --filename everywhere else.
KUBECTL_SHORT_BY_VERB = {"logs": {"-f": "--follow"}, "*": {"-f": "--filename"}}

HELM_FLAGS = _table(
    Flag("--namespace", VALUE, "-n", True), Flag("--kube-context", VALUE, is_global=True),
    Flag("--kubeconfig", VALUE, is_global=True), Flag("--debug", BOOL, is_global=True),
    Flag("--burst-limit", VALUE, is_global=True), Flag("--qps", VALUE, is_global=True),
    Flag("--install", BOOL, "-i"), Flag("--values", VALUE, "-f"), Flag("--set", VALUE),
    Flag("--set-string", VALUE), Flag("--set-file", VALUE), Flag("--set-json", VALUE),
    Flag("--version", VALUE), Flag("--wait", BOOL), Flag("--wait-for-jobs", BOOL),
    Flag("--atomic", BOOL), Flag("--rollback-on-failure", BOOL), Flag("--timeout", VALUE),
    Flag("--create-namespace", BOOL), Flag("--dry-run", BOOL), Flag("--reuse-values", BOOL),
    Flag("--reset-values", BOOL), Flag("--reset-then-reuse-values", BOOL), Flag("--force", BOOL),
    Flag("--force-replace", BOOL), Flag("--force-conflicts", BOOL), Flag("--server-side", BOOL),
    Flag("--description", VALUE), Flag("--history-max", VALUE), Flag("--cleanup-on-fail", BOOL),
    Flag("--skip-crds", BOOL), Flag("--devel", BOOL), Flag("--take-ownership", BOOL),
    Flag("--output", VALUE, "-o"), Flag("--show-only", VALUE, "-s"), Flag("--validate", BOOL),
    Flag("--kube-version", VALUE), Flag("--repo", VALUE), Flag("--strict", BOOL),
)

PROGRAMS = {"kubectl": KUBECTL_FLAGS, "helm": HELM_FLAGS}

# kubectl resource names, short names and plural forms, to one canonical name.
_RESOURCES = {
    "pod": "po pod pods",
    "deployment": "deploy deployment deployments deployment.apps deployments.apps deployment.v1.apps",
    "replicaset": "rs replicaset replicasets replicaset.apps replicasets.apps",
    "statefulset": "sts statefulset statefulsets statefulset.apps statefulsets.apps",
    "daemonset": "ds daemonset daemonsets daemonset.apps daemonsets.apps",
    "job": "job jobs job.batch jobs.batch",
    "cronjob": "cj cronjob cronjobs cronjob.batch cronjobs.batch",
    "event": "ev event events",
    "service": "svc service services",
    "node": "no node nodes",
    "namespace": "ns namespace namespaces",
    "configmap": "cm configmap configmaps",
    "secret": "secret secrets",
    "persistentvolumeclaim": "pvc persistentvolumeclaim persistentvolumeclaims",
    "persistentvolume": "pv persistentvolume persistentvolumes",
    "ingress": "ing ingress ingresses ingress.networking.k8s.io ingresses.networking.k8s.io",
    "horizontalpodautoscaler": "hpa horizontalpodautoscaler horizontalpodautoscalers",
    "serviceaccount": "sa serviceaccount serviceaccounts",
    "endpointslice": "endpointslice endpointslices endpointslice.discovery.k8s.io",
}
RESOURCE_ALIASES = {alias: name for name, aliases in _RESOURCES.items() for alias in aliases.split()}
# kubectl commands whose bare NAME argument is a Pod's name.
_POD_BY_DEFAULT = {"logs", "exec", "attach", "port-forward"}

_FALSE = {"false", "0", "f", "no"}
_TRUE = {"true", "1", "t", "yes", ""}
# Outside quotes shlex splits these into tokens of their own; inside double quotes `$(` and
# backticks are still substitutions, so they are refused wherever they stand.
_OPERATOR_CHARS = set("();<>|&")
_SUBSTITUTION = re.compile(r"`|\$\(|\$\{|\$[A-Za-z_]")
_TRAILING = ".,;!?"


class CommandRefused(ValueError):
    """The answer is not one command we can judge (the message says why)."""


@dataclass
class Command:
    program: str
    words: list[str]  # positional words, resources resolved (pod/web-0, event)
    flags: dict[str, str] = field(default_factory=dict)  # long name -> value ("true" for a bare bool)


def clean(text: str) -> str:
    """Remove what is not part of the command: surrounding quotes or backticks, a `$ ` prompt and a
    trailing full stop (or comma…) typed as punctuation of the sentence."""
    text = " ".join(text.split())
    while len(text) >= 2 and text[0] == text[-1] and text[0] in "`'\"":
        text = text[1:-1].strip()
    text = re.sub(r"^\$\s+", "", text)
    while text and text[-1] in _TRAILING and not re.search(r"(^|[\s/=])\.+$", text):
        text = text[:-1].rstrip()
    return text


def parse(text: str) -> Command:
    """Parse one kubectl or helm command. Raises CommandRefused for anything else."""
    text = clean(text)
    if _SUBSTITUTION.search(text):
        raise CommandRefused("command substitution or a variable: the answer must be one plain command")
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError as exc:  # an unclosed quote
        raise CommandRefused(f"cannot split the command: {exc}") from None
    if any(t and set(t) <= _OPERATOR_CHARS for t in tokens):
        raise CommandRefused("shell operators (; && || | > < &) are not part of one command")
    if not tokens:
        raise CommandRefused("empty answer")
    program = tokens[0].lower()
    table = PROGRAMS.get(program)
    if table is None:
        raise CommandRefused(f"not a kubectl or helm command: {tokens[0]!r}")
    return _parse_tokens(program, table, tokens[1:])


def _parse_tokens(program: str, table: dict[str, Flag], tokens: list[str]) -> Command:
    words: list[str] = []
    flags: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        arg = tokens[i]
        i += 1
        if arg == "--":
            words += tokens[i:]
            break
        if not arg.startswith("-") or arg == "-":
            words.append(arg)
            continue
        verb = words[0] if words else None
        for name, value, takes_next in _split_flag(program, table, arg, verb):
            if takes_next:
                if i >= len(tokens):
                    raise CommandRefused(f"{name} needs a value")
                value = tokens[i]
                i += 1
            flags[name] = value  # the last one wins, as in kubectl and helm
    return Command(program, _resolve_words(program, words), {
        name: _value(table[name], value) if name in table else value for name, value in flags.items()})


def _split_flag(program: str, table: dict[str, Flag], token: str, verb: str | None):
    """(long name, value or None, value is the next token) for each flag in one token."""
    if token.startswith("--"):
        name, eq, value = token.partition("=")
        flag = table.get(name)
        if flag is None:  # unknown: kept as written, never a value taken from the next token
            return [(name, value if eq else "true", False)]
        if eq:
            return [(flag.name, value, False)]
        return [(flag.name, "true", False)] if flag.kind == BOOL else [(flag.name, None, True)]
    # short flags: -p, -n ml, -nml, -n=ml, -pf (a cluster of booleans)
    out = []
    rest = token[1:]
    while rest:
        short, rest = "-" + rest[0], rest[1:]
        flag = _short(program, table, short, verb)
        if flag is None:
            return out + [(short, "true", False)]
        if flag.kind == BOOL:
            if rest.startswith("="):
                return out + [(flag.name, rest[1:], False)]
            out.append((flag.name, "true", False))
            continue
        if rest:
            return out + [(flag.name, rest[1:] if rest.startswith("=") else rest, False)]
        return out + [(flag.name, None, True)]
    return out


def _short(program: str, table: dict[str, Flag], short: str, verb: str | None) -> Flag | None:
    if program == "kubectl":
        by_verb = KUBECTL_SHORT_BY_VERB.get(verb or "", KUBECTL_SHORT_BY_VERB["*"])
        if short in by_verb:
            return table[by_verb[short]]
    return table.get(short)


def _value(flag: Flag, value: str) -> str:
    if flag.kind == BOOL:
        low = value.lower()
        return "true" if low in _TRUE else "false" if low in _FALSE else value
    if flag.kind == RESOURCE:
        return _resource(value)
    if flag.kind == SELECTOR:
        return ",".join(sorted(term.strip().replace("==", "=") for term in value.split(",")))
    return value


def _resource(ref: str) -> str:
    kind, slash, name = ref.partition("/")
    kind = RESOURCE_ALIASES.get(kind.lower(), kind)
    return f"{kind}/{name}" if slash else kind


def _resolve_words(program: str, words: list[str]) -> list[str]:
    if program == "helm":
        # a local chart path: ./model-server, model-server/ and model-server are one directory
        return [os.path.normpath(w) if "/" in w else w for w in words]
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        kind = word.lower()
        if "/" in word and kind.partition("/")[0] in RESOURCE_ALIASES:
            out.append(_resource(word))
        elif kind in RESOURCE_ALIASES and out:
            # `pod web-0` is `pod/web-0`; `get events` is a type alone
            if i + 1 < len(words) and "/" not in words[i + 1]:
                out.append(f"{RESOURCE_ALIASES[kind]}/{words[i + 1]}")
                i += 1
            else:
                out.append(RESOURCE_ALIASES[kind])
        elif len(out) == 1 and out[0] in _POD_BY_DEFAULT and "/" not in word:
            out.append(f"pod/{word}")
        else:
            out.append(word)
        i += 1
    return out


@dataclass
class Rule:
    """One accepted shape of a command (a quiz.yaml `command:` entry, resolved)."""

    run: Command
    required: dict[str, str | None]  # long name -> value, None = any value
    optional: dict[str, str | None]
    forbidden: set[str]
    allow_other_flags: bool

    def why_not(self, answer: Command) -> str | None:
        """None when `answer` is this command; otherwise the first difference found."""
        if answer.program != self.run.program:
            return f"runs {answer.program}, not {self.run.program}"
        if answer.words != self.run.words:
            return f"arguments {' '.join(answer.words)!r}, expected {' '.join(self.run.words)!r}"
        table = PROGRAMS[self.run.program]
        for name, value in self.required.items():
            if name not in answer.flags:
                return f"{name} is missing"
            if value is not None and answer.flags[name] != value:
                return f"{name} is {answer.flags[name]!r}, expected {value!r}"
        for name, value in answer.flags.items():
            flag = table.get(name)
            if name in self.required:
                continue
            if name in self.forbidden:
                return f"{name} is not allowed here"
            if name in self.optional:
                wanted = self.optional[name]
                if wanted is not None and value != wanted:
                    return f"{name} {value!r} is not {wanted!r}"
                continue
            if flag is not None and flag.is_global:
                continue
            if not self.allow_other_flags:
                return f"{name} is not part of this answer"
        return None


def _flag_spec(program: str, entry: str) -> tuple[str, str | None]:
    """`--flag` or `-f` (any value) or `--flag=value` -> (long name, value or None)."""
    table = PROGRAMS[program]
    name, eq, value = entry.partition("=")
    flag = table.get(name)
    if flag is None:
        known = sorted(n for n in table if n.startswith("--"))
        raise CommandRefused(f"unknown {program} flag {name!r} (known: {', '.join(known)}; "
                             "add it to courses/quiz/answers.py if it is real)")
    if flag.kind == BOOL:  # a required boolean means true; `--x=false` is not `--x`
        return flag.name, _value(flag, value) if eq else "true"
    return flag.name, _value(flag, value) if eq else None


def rule(spec: dict) -> Rule:
    """A Rule from one quiz.yaml `command:` entry. Raises CommandRefused naming what is wrong."""
    run = parse(spec["run"])
    if run.flags:
        raise CommandRefused(f"`run` holds the program and its arguments only; declare "
                             f"{', '.join(run.flags)} under required or optional")
    required = dict(_flag_spec(run.program, f) for f in spec.get("required") or [])
    optional = dict(_flag_spec(run.program, f) for f in spec.get("optional") or [])
    forbidden = {_flag_spec(run.program, f)[0] for f in spec.get("forbidden") or []}
    both = (set(required) | set(optional)) & forbidden
    if both:
        raise CommandRefused(f"{', '.join(sorted(both))} both allowed and forbidden")
    return Rule(run, required, optional, forbidden, spec.get("other_flags", "refuse") == "allow")


def matches(specs: list[dict], text: str) -> bool:
    """Whether the typed `text` is one of the commands `specs` (quiz.yaml `command:`) accept."""
    return why_not(specs, text) is None


def why_not(specs: list[dict], text: str) -> str | None:
    """None when accepted, otherwise why not (for tests and the loader's own checks)."""
    try:
        answer = parse(text)
    except CommandRefused as exc:
        return str(exc)
    reasons = [rule(spec).why_not(answer) for spec in specs]
    return None if None in reasons else "; ".join(r for r in reasons if r)
