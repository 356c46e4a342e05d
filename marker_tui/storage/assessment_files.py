"""Reading specifications, question papers and mark schemes from YAML files.

Every problem comes back as a :class:`Finding` naming the file, the line, the
place in the file and the fix. Nothing here raises on bad input: a malformed
file is a finding, so ``marker-tui check`` can report all of them at once.

Layout (see README): ``papers/<qualification>/spec.yaml``,
``papers/<qualification>/<unit>.yaml`` and ``markschemes/<qualification>/<unit>.yaml``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.composer import MaxDepthExceededError

from marker_tui.domain.command_verbs import CommandVerbGlossary
from marker_tui.domain.markscheme import MarkScheme
from marker_tui.domain.paper import QuestionPaper
from marker_tui.domain.specification import TestSpecification
from marker_tui.domain.validation import (
    Problem,
    Severity,
    check_mark_scheme,
    check_paper,
    check_specification,
)

from .file_limits import (
    PAPER_MAX_QUESTIONS,
    YAML_MAX_BYTES,
    YAML_MAX_DEPTH,
    YAML_MAX_ITEMS,
    YAML_MAX_NODES,
    YAML_MAX_NUMBER,
    YAML_MAX_TEXT,
    FileRefused,
    line_at,
    located_text,
    read_bounded,
    shorten,
)
from .locations import COMMAND_VERBS_FILE, SHIPPED_MARKSCHEMES, SHIPPED_PAPERS


class FileKind(StrEnum):
    SPECIFICATION = "specification"
    PAPER = "question paper"
    MARK_SCHEME = "mark scheme"
    COMMAND_VERBS = "command verb glossary"


class Finding(BaseModel):
    """A problem tied to a file and, where known, a line (1-based)."""

    severity: Severity
    file: str
    line: int | None = None
    place: str | None = None
    message: str
    fix: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        place = f" {self.place}:" if self.place else ""
        fix = f" (fix: {shorten(self.fix)})" if self.fix else ""
        # Bounded: a hostile file's values must not make a 700 KB error line.
        return f"{shorten(where, 300)}: {self.severity}:{shorten(place, 200)} {shorten(self.message)}{fix}"


@dataclass
class LoadedFile:
    """A file read from disk: its parsed model (if valid) and what was found."""

    path: Path
    kind: FileKind | None
    raw: Any = None
    model: BaseModel | None = None
    findings: list[Finding] = field(default_factory=list)

    def finding(self, problem: Problem) -> Finding:
        return Finding(
            severity=problem.severity,
            file=display_path(self.path),
            line=line_of(self.raw, problem.path),
            place=describe_place(self.raw, problem.path) or None,
            message=problem.message,
            fix=problem.fix,
        )


def display_path(path: Path) -> str:
    """Paths relative to the working folder read best in messages."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --- YAML with line numbers -----------------------------------------------------------


class _AliasRefused(ComposerError):
    """An alias (``*name``): refused, because aliases let a few bytes expand into gigabytes."""


class _TooManyNodes(ComposerError):
    """More values than any real file has: stop before the pure-Python parser spends minutes on them."""


class _BoundedComposer(Composer):
    nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.nodes += 1
        if self.nodes > YAML_MAX_NODES:
            raise _TooManyNodes(None, None, f"more than {YAML_MAX_NODES:,} values in one file",
                                self.parser.peek_event().start_mark)
        if self.parser.check_event(AliasEvent):
            event = self.parser.peek_event()
            raise _AliasRefused(None, None, f"an alias (*{shorten(event.anchor, 40)}) is not allowed",
                                event.start_mark)
        return super().compose_node(parent, index)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")  # round-trip loader: keeps line numbers on every node
    yaml.allow_duplicate_keys = False
    yaml.max_depth = YAML_MAX_DEPTH  # the composer recurses: 50,000 levels would be a RecursionError
    yaml.Composer = _BoundedComposer
    return yaml


class _OutOfBounds(Exception):
    def __init__(self, place: tuple, message: str, fix: str) -> None:
        self.place, self.message, self.fix = place, message, fix


def _check_bounds(raw: Any) -> None:
    """Refuse, at the first offending place, a value no real file has: huge lists, texts or numbers, NaN."""
    stack: list[tuple[tuple, Any]] = [((), raw)]
    while stack:
        place, node = stack.pop()
        if isinstance(node, dict):
            if len(node) > YAML_MAX_ITEMS:
                raise _OutOfBounds(place, f"has {len(node):,} fields, more than {YAML_MAX_ITEMS:,}",
                                   "check that this is the right file")
            questions = node.get("questions") if not place else None
            if isinstance(questions, list) and len(questions) > PAPER_MAX_QUESTIONS:
                raise _OutOfBounds(("questions",), f"has {len(questions):,} questions, more than the "
                                   f"{PAPER_MAX_QUESTIONS} a paper may have", "split it into papers of "
                                   f"at most {PAPER_MAX_QUESTIONS} questions")
            for key, value in node.items():
                if isinstance(key, str) and len(key) > 200:
                    raise _OutOfBounds(place, f"has a field name {len(key):,} characters long",
                                       "check the spelling of the field names")
                stack.append(((*place, key), value))
        elif isinstance(node, list):
            if len(node) > YAML_MAX_ITEMS:
                raise _OutOfBounds(place, f"has {len(node):,} entries, more than {YAML_MAX_ITEMS:,}",
                                   "check that this is the right file")
            stack.extend(((*place, i), v) for i, v in enumerate(node))
        elif isinstance(node, bool):
            continue
        elif isinstance(node, float) and not math.isfinite(node):
            raise _OutOfBounds(place, f"is {'not a number' if math.isnan(node) else 'infinite'} "
                               f"({'.nan' if math.isnan(node) else '.inf'})", "write a number such as 40")
        elif isinstance(node, (int, float)) and abs(node) > YAML_MAX_NUMBER:
            raise _OutOfBounds(place, f"is {shorten(node, 30)}, far larger than any real value",
                               "write the number as the handbook gives it")
        elif isinstance(node, str) and len(node) > YAML_MAX_TEXT:
            raise _OutOfBounds(place, f"is {len(node):,} characters of text, more than {YAML_MAX_TEXT:,}",
                               "shorten the text")


def _plain(node: Any) -> Any:
    """Round-trip YAML nodes to plain dicts/lists/scalars for pydantic."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, (int, float)) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)  # ScalarString subclasses -> str
    return node


def line_of(raw: Any, path: Iterable[str | int]) -> int | None:
    """The 1-based line of ``path`` in the parsed YAML, or of its nearest existing parent."""
    node = raw
    line = getattr(getattr(raw, "lc", None), "line", None)
    for step in path:
        if isinstance(node, CommentedMap) and step in node:
            line = node.lc.key(step)[0]
            node = node[step]
        elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
            line = node.lc.item(step)[0]
            node = node[step]
        else:
            break
    return None if line is None else line + 1


def describe_place(raw: Any, path: Iterable[str | int]) -> str:
    """``questions[3] (id 2b).marks``: a path a person can find in the file."""
    text = ""
    node = raw
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
            item = node[step] if isinstance(node, list) and 0 <= step < len(node) else None
            if isinstance(item, dict):
                for key in ("id", "number", "name"):
                    if key in item:
                        text += f" ({key} {item[key]})"
                        break
            node = item
        else:
            text += f".{step}" if text else str(step)
            node = node.get(step) if isinstance(node, dict) else None
    return text


# --- one file -------------------------------------------------------------------------

_MODELS: dict[FileKind, type[BaseModel]] = {
    FileKind.SPECIFICATION: TestSpecification,
    FileKind.PAPER: QuestionPaper,
    FileKind.MARK_SCHEME: MarkScheme,
    FileKind.COMMAND_VERBS: CommandVerbGlossary,
}


def classify(path: Path, raw: Any) -> FileKind | None:
    """Tell the kind of file from its top-level keys (the folder is only a hint)."""
    if not isinstance(raw, dict):
        return None
    keys = set(raw)
    if "units" in keys or "rules_of_combination" in keys:
        return FileKind.SPECIFICATION
    if "pass_rule" in keys or "paper_version" in keys:
        return FileKind.MARK_SCHEME
    if "verbs" in keys:
        return FileKind.COMMAND_VERBS
    if "questions" in keys:
        return FileKind.MARK_SCHEME if "markschemes" in path.parts else FileKind.PAPER
    return None


def _error(path: Path, message: str, line: int | None = None, place: str | None = None,
           fix: str | None = None) -> Finding:
    return Finding(severity=Severity.ERROR, file=display_path(path), line=line, place=place,
                   message=message, fix=fix)


_PYDANTIC_MESSAGES = {
    "missing": ("missing field", "add it"),
    "extra_forbidden": ("unknown field", "check the spelling or remove it"),
    "int_parsing": ("should be a whole number", "write a whole number such as 4"),
    "int_type": ("should be a whole number", "write a whole number such as 4"),
    "int_from_float": ("should be a whole number", "write a whole number such as 4"),
    "float_parsing": ("should be a number", "write a number such as 40"),
    "float_type": ("should be a number", "write a number such as 40"),
    "string_type": ("should be text", "write text (quote it if it looks like a number or yes/no)"),
    "string_too_short": ("should not be empty", "write the text"),
    "list_type": ("should be a list", "write it as a list of `- item` lines"),
    "dict_type": ("should be a mapping of fields", "write it as `field: value` lines"),
    "model_type": ("should be a mapping of fields", "write it as `field: value` lines"),
    "greater_than": ("should be greater than 0", "use a positive whole number"),
    "too_short": ("should not be empty", "add at least one entry"),
    "bool_type": ("should be true or false", "write true or false"),
    "bool_parsing": ("should be true or false", "write true or false"),
}


def _validation_findings(loaded: LoadedFile, error: ValidationError) -> list[Finding]:
    findings = []
    for detail in error.errors():
        loc = tuple(detail["loc"])
        message, fix = _PYDANTIC_MESSAGES.get(detail["type"], (detail["msg"], None))
        if detail["type"] not in _PYDANTIC_MESSAGES:
            message = message[0].lower() + message[1:]
        if detail["type"] != "missing" and "input" in detail and not isinstance(detail["input"], (dict, list)):
            message = f"{message} (found {shorten(repr(detail['input']), 80)})"
        if detail["type"] == "missing":
            fix = f"add `{loc[-1]}:`"
        findings.append(
            Finding(
                severity=Severity.ERROR,
                file=display_path(loaded.path),
                line=line_of(loaded.raw, loc),
                place=describe_place(loaded.raw, loc) or None,
                message=message,
                fix=fix,
            )
        )
    return findings


def read_file(path: Path, expected: FileKind | None = None) -> LoadedFile:
    """Parse and validate one file on its own (no cross-file rules)."""
    loaded = LoadedFile(path=path, kind=expected)
    shown = display_path(path)
    try:
        data = read_bounded(path, YAML_MAX_BYTES, what="YAML file")
        text = located_text(shown, data)
        loaded.raw = _yaml().load(text)
        _check_bounds(loaded.raw)
    except FileRefused as refused:
        loaded.findings.append(_error(path, refused.reason, line=refused.line, fix=refused.fix))
        return loaded
    except _OutOfBounds as bound:
        loaded.findings.append(_error(path, bound.message, line=line_of(loaded.raw, bound.place),
                                      place=describe_place(loaded.raw, bound.place) or None, fix=bound.fix))
        return loaded
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "malformed YAML").strip()
        fix = "correct the YAML at that line (check indentation, colons and quotes)"
        if isinstance(exc, MaxDepthExceededError):
            problem = f"nested more than {YAML_MAX_DEPTH} levels deep"
            fix = "real papers nest a few levels; check the brackets and indentation"
        elif isinstance(exc, _TooManyNodes):
            problem = f"has more than {YAML_MAX_NODES:,} values (stopped reading here)"
            fix = f"a paper has at most {PAPER_MAX_QUESTIONS} questions; check that this is the right file"
        elif isinstance(exc, _AliasRefused):
            fix = "write the value out in full (anchors `&` and aliases `*` are not used in these files)"
        loaded.findings.append(
            _error(path, f"YAML syntax error: {shorten(problem, 200)}",
                   line=(mark.line + 1) if mark else None, fix=fix)
        )
        return loaded
    except ReaderError as exc:  # a character YAML does not allow (a control character)
        loaded.findings.append(_error(
            path, f"contains the control character U+{exc.character:04X}" if isinstance(exc.character, int)
            else "contains a character YAML does not allow",
            line=line_at(text, exc.position), fix="remove it (retype the line in a text editor)"))
        return loaded
    except (YAMLError, RecursionError, ValueError, TypeError, OverflowError) as exc:
        # ruamel raises a few plain errors on odd input (e.g. a date out of range); say where, not how
        loaded.findings.append(_error(path, f"YAML syntax error: {shorten(exc, 200)}",
                                      fix="correct the YAML (check quotes around odd values)"))
        return loaded
    if loaded.raw is None:
        loaded.findings.append(_error(path, "the file is empty", fix="add the file's fields"))
        return loaded
    kind = expected or classify(path, loaded.raw)
    loaded.kind = kind
    if kind is None:
        loaded.findings.append(
            _error(path, "cannot tell whether this is a specification, a question paper or a mark scheme",
                   line=1, fix="see README 'File formats': a paper has `questions:`, a mark scheme "
                   "`pass_rule:`, a specification `units:`")
        )
        return loaded
    try:
        loaded.model = _MODELS[kind].model_validate(_plain(loaded.raw))
    except ValidationError as exc:
        loaded.findings.extend(_validation_findings(loaded, exc))
    return loaded


def _without_unset_limits(value: Any) -> Any:
    # Optional fields added later (answer limits) leave old files' hashes as they were when unset.
    if isinstance(value, dict):
        return {k: _without_unset_limits(v) for k, v in value.items()
                if not (k in ("max_answer_characters", "tolerance", "control_scripts") and v is None)}
    if isinstance(value, list):
        return [_without_unset_limits(v) for v in value]
    return value


def content_hash(model: BaseModel) -> str:
    """A stable hash of a file's meaning (not its comments or layout)."""
    canonical = json.dumps(_without_unset_limits(model.model_dump(mode="json")), sort_keys=True,
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AssessmentFileError(ValueError):
    """Raised by the single-file loaders when a file has errors."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__("\n".join(str(f) for f in findings))


def _load_one(path: Path, kind: FileKind) -> Any:
    loaded = read_file(Path(path), kind)
    errors = [f for f in loaded.findings if f.severity is Severity.ERROR]
    if errors or loaded.model is None:
        raise AssessmentFileError(errors)
    return loaded.model


def load_specification(path: Path) -> TestSpecification:
    return _load_one(path, FileKind.SPECIFICATION)


def load_paper(path: Path) -> QuestionPaper:
    return _load_one(path, FileKind.PAPER)


def load_mark_scheme(path: Path) -> MarkScheme:
    return _load_one(path, FileKind.MARK_SCHEME)


def load_command_verbs(path: Path = COMMAND_VERBS_FILE) -> CommandVerbGlossary:
    return _load_one(path, FileKind.COMMAND_VERBS)


# --- a whole library ---------------------------------------------------------------------


@dataclass
class AssessmentLibrary:
    """Every specification, paper and mark scheme found, with everything checked."""

    specifications: dict[str, TestSpecification] = field(default_factory=dict)
    papers: dict[tuple[str, str], QuestionPaper] = field(default_factory=dict)
    mark_schemes: dict[tuple[str, str], MarkScheme] = field(default_factory=dict)
    files: list[LoadedFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    def file_of(self, model: BaseModel) -> LoadedFile | None:
        return next((f for f in self.files if f.model is model), None)

    def valid_papers(self) -> list[tuple[QuestionPaper, MarkScheme]]:
        """Paper + mark scheme pairs whose files have no errors: the ones a sitting may use."""
        broken = {f.file for f in self.errors}
        pairs = []
        for key, paper in sorted(self.papers.items()):
            scheme = self.mark_schemes.get(key)
            paper_file, scheme_file = self.file_of(paper), self.file_of(scheme) if scheme else None
            if scheme is None or paper_file is None or scheme_file is None:
                continue
            if display_path(paper_file.path) in broken or display_path(scheme_file.path) in broken:
                continue
            pairs.append((paper, scheme))
        return pairs


def _yaml_files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file()))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def _companions(files: list[Path]) -> list[Path]:
    """Files a checked file needs: its spec and its paper or mark scheme, where they exist."""
    extra: list[Path] = []
    for path in files:
        qualification_dir = path.parent
        root = qualification_dir.parent.parent
        if path.name == "spec.yaml":
            continue
        if qualification_dir.parent.name == "markschemes":
            extra += [root / "papers" / qualification_dir.name / "spec.yaml",
                      root / "papers" / qualification_dir.name / path.name]
        else:
            extra += [qualification_dir / "spec.yaml",
                      root / "markschemes" / qualification_dir.name / path.name]
    return [p for p in extra if p.is_file() and p not in files]


def _counterpart(path: Path) -> Path:
    """papers/<q>/<unit>.yaml <-> markschemes/<q>/<unit>.yaml"""
    folder = path.parent.parent
    other = "papers" if folder.name == "markschemes" else "markschemes"
    return folder.parent / other / path.parent.name / path.name


def load_library(
    papers_dir: Path | None = SHIPPED_PAPERS,
    markschemes_dir: Path | None = SHIPPED_MARKSCHEMES,
    *,
    paths: Iterable[Path] | None = None,
    verbs: CommandVerbGlossary | None = None,
) -> AssessmentLibrary:
    """Read every file under the given folders (or exactly ``paths``) and check them together."""
    if paths is None:
        paths = [p for p in (papers_dir, markschemes_dir) if p is not None]
    requested = _yaml_files(paths)
    files = requested + _companions(requested)
    library = AssessmentLibrary()
    if verbs is None and COMMAND_VERBS_FILE.is_file():
        try:
            verbs = load_command_verbs()
        except AssessmentFileError as exc:
            library.findings.extend(exc.findings)

    for path in files:
        loaded = read_file(path)
        library.files.append(loaded)
        model = loaded.model
        if isinstance(model, TestSpecification):
            key, shelf = model.qualification.number, library.specifications
        elif isinstance(model, (QuestionPaper, MarkScheme)):
            key = (model.qualification, model.unit)
            shelf = library.papers if isinstance(model, QuestionPaper) else library.mark_schemes
        else:
            continue
        if key in shelf:
            other = library.file_of(shelf[key])
            loaded.findings.append(_error(
                path, f"a second {loaded.kind} for {key if isinstance(key, str) else ' unit '.join(key)}",
                line=1, fix=f"keep one file; the other is {display_path(other.path) if other else 'already loaded'}"))
            continue
        shelf[key] = model

    shown = set(requested)
    unreadable = {f.path for f in library.files if f.model is None}
    for loaded in library.files:
        model = loaded.model
        if isinstance(model, TestSpecification):
            problems = check_specification(model)
        elif isinstance(model, QuestionPaper):
            problems = check_paper(model, library.specifications.get(model.qualification), verbs)
            if ((model.qualification, model.unit) not in library.mark_schemes
                    and _counterpart(loaded.path) not in unreadable):
                problems.append(Problem(
                    severity=Severity.ERROR, path=("unit",),
                    message=f"no mark scheme for qualification {model.qualification} unit {model.unit}",
                    fix=f"add markschemes/{model.qualification}/{model.unit}.yaml",
                ))
        elif isinstance(model, MarkScheme):
            paper = library.papers.get((model.qualification, model.unit))
            problems = check_mark_scheme(model, paper)
            if paper is None and _counterpart(loaded.path) in unreadable:
                # The paper's own errors are reported; "no paper" would only be noise.
                problems = [p for p in problems if p.path != ("unit",)]
        else:
            problems = []
        if loaded.path in shown:
            library.findings.extend(loaded.findings)
            library.findings.extend(loaded.finding(p) for p in problems)
    return library
