"""THE one YAML reader of the product: every file and upload the advisor reads goes through here.

Hardened against careless and hostile input, all before any schema validation:

- size: at most ``max_bytes`` bytes (a file is ``stat``-ed first: a folder, device such as ``/dev/zero``, FIFO or
  socket is refused before it is opened, a larger file from its size; then one bounded ``read`` of ``max_bytes + 1``
  bytes, so a file growing meanwhile is refused too);
- text only: UTF-8 without NUL bytes (binary files are refused);
- expansion: the document's node count *with every alias expanded* must stay under ``max_nodes`` (a "billion
  laughs" document of a few hundred bytes expands to ~1e9 nodes; it is refused after one linear pass over the
  parser's events, before anything is built); a recursive alias (an anchor used inside itself) is refused;
- depth: at most ``max_depth`` nested collections (no ``RecursionError`` on 100,000-deep nesting);
- duplicate keys in a mapping are refused (PyYAML silently keeps the last one);
- values the safe constructor cannot build (an impossible date such as 2026-02-30, an integer of 5,000 digits)
  give an error, not a traceback;
- an empty document reads as ``None`` (callers decide whether that is allowed, e.g. with ``expect=``).

Every refusal is a :class:`YAMLFileError` (an :class:`advisor.errors.CatalogError`, one line, naming the file).

Public API: ``read_yaml_text(text, file, *, expect=None, ...)``, ``read_yaml_file(path, *, expect=None, ...)``,
``read_yaml_bytes(data, file, ...)``, :class:`YAMLFileError`, the default limits below.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from advisor.errors import CatalogError

#: default size limit [bytes]: the largest shipped catalog/profile file is ~40 kB
MAX_BYTES = 4 * 1024 * 1024
#: default bound on the node count with every alias expanded (shipped files: a few thousand nodes)
MAX_NODES = 200_000
#: default bound on nested collections (shipped files: under 10 levels)
MAX_DEPTH = 64

_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it (~10x faster)


class YAMLFileError(CatalogError):
    """A YAML file or upload refused before validation; one line ``<file>: <problem>``.

    ``kind``: ``size`` | ``binary`` | ``syntax`` | ``expansion`` | ``depth`` | ``duplicate`` | ``value`` | ``type``
    | ``io``; ``line``/``column`` (1-based) where known.
    """

    def __init__(self, file: str, problem: str, kind: str, line: int | None = None, column: int | None = None):
        self.kind, self.line, self.column = kind, line, column
        super().__init__(file, None, None, problem)


def _where(mark: Any) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def _one_line(text: Any, limit: int = 160) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


class _Loader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """The safe loader, refusing duplicate mapping keys (merge keys ``<<`` excepted)."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    if key in seen:
                        raise _Duplicate(key, key_node.start_mark)
                    seen[key] = True
                except TypeError:  # unhashable key: the safe constructor reports it below
                    pass
        return super().construct_mapping(node, deep=deep)


class _Duplicate(Exception):
    def __init__(self, key: Any, mark: Any):
        self.key, self.mark = key, mark


def _scan(text: str, file: str, max_nodes: int, max_depth: int) -> None:
    """One pass over the parser's events: expanded node count (aliases counted in full), depth, recursive aliases.

    An alias counts as the full size of the node it names (so ``[*a, *a, ...]`` nine levels deep counts 9**9 nodes).
    """
    loader = _Loader(text)
    try:
        expanded = 0
        anchors: dict[str, int] = {}
        open_anchors: set[str] = set()
        stack: list[tuple[str | None, int]] = []  # (anchor, expanded count when the collection started)
        while True:
            ev = loader.get_event()
            if isinstance(ev, yaml.StreamEndEvent):
                return
            if isinstance(ev, yaml.AliasEvent):
                if ev.anchor in open_anchors:
                    raise YAMLFileError(file, f"recursive alias *{ev.anchor}{_where(ev.start_mark)} (not allowed)",
                                        "expansion", *_lc(ev.start_mark))
                if ev.anchor not in anchors:
                    raise YAMLFileError(file, f"undefined alias *{ev.anchor}{_where(ev.start_mark)}", "syntax",
                                        *_lc(ev.start_mark))
                expanded += anchors[ev.anchor]
            elif isinstance(ev, yaml.ScalarEvent):
                expanded += 1
                if ev.anchor:
                    anchors[ev.anchor] = 1
            elif isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                expanded += 1
                stack.append((ev.anchor, expanded - 1))
                if ev.anchor:
                    open_anchors.add(ev.anchor)
                if len(stack) > max_depth:
                    raise YAMLFileError(file, f"nested more than {max_depth} levels deep{_where(ev.start_mark)} "
                                              f"(at most {max_depth} allowed)", "depth", *_lc(ev.start_mark))
            elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                anchor, start = stack.pop()
                if anchor:
                    open_anchors.discard(anchor)
                    anchors[anchor] = expanded - start
            else:
                continue
            if expanded > max_nodes:
                raise YAMLFileError(file, f"expands to more than {max_nodes:,} nodes{_where(ev.start_mark)} "
                                          f"(aliases/anchors counted in full; at most {max_nodes:,} allowed)",
                                    "expansion", *_lc(ev.start_mark))
    finally:
        loader.dispose()


def _lc(mark: Any) -> tuple[int | None, int | None]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


_TYPE_NAMES = {dict: "a mapping", list: "a list"}


def read_yaml_text(text: str, file: str = "<string>", *, expect: type | None = None,
                   max_bytes: int = MAX_BYTES, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse one YAML document from ``text`` into plain data (dict/list/str/int/float/bool/date/None).

    ``expect`` (``dict`` or ``list``): the top-level type required; an empty document is then refused too.
    Without ``expect`` an empty document gives ``None``. Raises :class:`YAMLFileError` (one line naming ``file``).
    """
    if not isinstance(text, str):
        raise YAMLFileError(file, f"expected text, got {type(text).__name__}", "binary")
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise YAMLFileError(file, f"larger than {max_bytes:,} bytes (at most {max_bytes:,} allowed)", "size")
    if "\x00" in text:
        raise YAMLFileError(file, "contains NUL bytes: not a text file (a UTF-8 YAML file is allowed)", "binary")
    try:
        _scan(text, file, max_nodes, max_depth)
        loader = _Loader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except YAMLFileError:
        raise
    except _Duplicate as dup:
        raise YAMLFileError(file, f"duplicate key {_one_line(repr(dup.key), 60)}{_where(dup.mark)} "
                                  f"(each key once per mapping)", "duplicate", *_lc(dup.mark)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not YAML"
        raise YAMLFileError(file, f"malformed YAML{_where(mark)} ({_one_line(problem)})", "syntax",
                            *_lc(mark)) from None
    except yaml.YAMLError as exc:  # reader errors (unacceptable characters) and the like
        raise YAMLFileError(file, f"malformed YAML ({_one_line(exc)})", "syntax") from None
    except (ValueError, OverflowError, TypeError, RecursionError) as exc:  # e.g. date 2026-02-30, 5,000-digit int
        raise YAMLFileError(file, f"a value cannot be read ({_one_line(exc)})", "value") from None
    if expect is not None:
        if data is None:
            raise YAMLFileError(file, f"empty file (expected {_TYPE_NAMES.get(expect, expect.__name__)})", "type")
        if not isinstance(data, expect):
            raise YAMLFileError(file, f"expected {_TYPE_NAMES.get(expect, expect.__name__)} at the top level, "
                                      f"got {_TYPE_NAMES.get(type(data), type(data).__name__)}", "type")
    return data


def read_yaml_bytes(data: bytes, file: str = "<upload>", *, expect: type | None = None,
                    max_bytes: int = MAX_BYTES, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> Any:
    """Like :func:`read_yaml_text` for raw bytes (an upload): size first, then UTF-8 text without NUL bytes."""
    if len(data) > max_bytes:
        raise YAMLFileError(file, f"{len(data):,} bytes, larger than {max_bytes:,} (at most {max_bytes:,} allowed)",
                            "size")
    if b"\x00" in data:
        raise YAMLFileError(file, "contains NUL bytes: not a text file (a UTF-8 YAML file is allowed)", "binary")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YAMLFileError(file, f"not UTF-8 text (byte {exc.start}); a UTF-8 YAML file is allowed", "binary") from None
    return read_yaml_text(text, file, expect=expect, max_bytes=max_bytes, max_nodes=max_nodes, max_depth=max_depth)


def read_yaml_file(path: str | os.PathLike, *, expect: type | None = None, max_bytes: int = MAX_BYTES,
                   max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH, file: str | None = None) -> Any:
    """Read and parse the YAML file at ``path`` (at most ``max_bytes + 1`` bytes are ever read).

    ``file``: the name used in errors (default: the path). A missing, unreadable or non-file path is a
    :class:`YAMLFileError` of kind ``io``.
    """
    import stat as _stat

    name = file or os.fspath(path)
    try:
        st = os.stat(path)
        if _stat.S_ISDIR(st.st_mode):
            raise YAMLFileError(name, "is a folder (a YAML file is allowed)", "io")
        if not _stat.S_ISREG(st.st_mode):  # /dev/zero, a FIFO (would block), a socket: refused before opening
            kind = "a FIFO" if _stat.S_ISFIFO(st.st_mode) else "a device"
            raise YAMLFileError(name, f"is {kind}, not a regular YAML file", "io")
        if st.st_size > max_bytes:
            raise YAMLFileError(name, f"larger than {max_bytes:,} bytes (at most {max_bytes:,} allowed)", "size")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(max_bytes + 1)  # bounded even if the file grows after the stat
    except YAMLFileError:
        raise
    except FileNotFoundError as exc:
        raise YAMLFileError(name, f"{exc.strerror or 'file not found'}", "io") from None
    except OSError as exc:
        raise YAMLFileError(name, f"{exc.strerror or exc}", "io") from None
    if len(data) > max_bytes:
        raise YAMLFileError(name, f"larger than {max_bytes:,} bytes (at most {max_bytes:,} allowed)", "size")
    return read_yaml_bytes(data, name, expect=expect, max_bytes=max_bytes, max_nodes=max_nodes, max_depth=max_depth)


#: bounds of a free-form mapping inside a validated model (a component's ``config`` copied from diffusers or
#: transformers: the shipped ones have under 300 nodes and 3 levels)
MAX_CONFIG_NODES = 5_000
MAX_CONFIG_DEPTH = 8


def bounded_plain(value: Any, max_nodes: int = MAX_CONFIG_NODES, max_depth: int = MAX_CONFIG_DEPTH) -> Any:
    """Check that ``value`` is plain data (mappings with string keys, lists, str/int/float/bool/None/date) of at
    most ``max_nodes`` nodes (shared objects counted every time they occur) and ``max_depth`` levels.

    For pydantic validators of free-form fields: raises ``ValueError`` (one sentence) when not; stops counting as
    soon as the bound is passed, so an object graph that would expand to 1e9 nodes is refused after ``max_nodes``.
    """
    import datetime as _dt

    count = 0
    todo: list[tuple[Any, int]] = [(value, 0)]
    while todo:
        obj, depth = todo.pop()
        count += 1
        if count > max_nodes:
            raise ValueError(f"more than {max_nodes:,} values (at most {max_nodes:,} allowed)")
        if depth > max_depth:
            raise ValueError(f"nested more than {max_depth} levels (at most {max_depth} allowed)")
        if isinstance(obj, dict):
            for k, v in obj.items():
                if not isinstance(k, (str, int, float, bool)) and k is not None:
                    raise ValueError(f"key of type {type(k).__name__} (text or number keys allowed)")
                todo.append((v, depth + 1))
        elif isinstance(obj, (list, tuple)):
            todo.extend((v, depth + 1) for v in obj)
        elif not (obj is None or isinstance(obj, (str, int, float, bool, _dt.date))):
            raise ValueError(f"value of type {type(obj).__name__} (plain YAML values allowed)")
    return value
