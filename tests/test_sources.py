"""Sources anyone can follow: every ``source`` (and ``*_source``) field under profiles/ names a public document
(a URL, or publisher + title + date), never a note kept outside the repository, a search-index id, an issue
number alone or a placeholder (tbd, n/a, unknown, todo, ?) without a named document, and is never empty.

The notes under ../shared/research (public-data.md, gpu-specs.md, quality-prices.md, ...) are working notes of this
project's sessions: a reader of the catalog cannot open them, so a figure taken from one cites the note's own
original source instead. A "stored code index id" is the id of a search tool's copy, not a document.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
import yaml

PROFILES = Path(__file__).resolve().parents[1] / "profiles"

#: notes outside the repository (the shared research notes and their folder)
NOTE = re.compile(r"\b(public-data|gpu-specs|quality-prices|ecosystem|simulator|diffusers-offline|style)\.md\b"
                  r"|shared/research|\.\./shared|/work/", re.I)
#: ids of a search tool's stored copies ("stored code index id 53302491650", "index ids 1, 2")
SEARCH_ID = re.compile(r"\bindex ids?\b|\b(search|code|stored)[- ]index\b|\bsearch id\b", re.I)
#: "issue 13", "(issue 13)", "issue #13": fine next to a document, not as the only provenance
ISSUE = re.compile(r"\(?\bissues?\s*#?\d+\)?", re.I)
#: a placeholder standing in for a source: "tbd", "n/a", "unknown", "todo", "?" (a "?" inside a URL is not one)
PLACEHOLDER = re.compile(r"(?<![\w/.=&-])(tbd|tba|to be (determined|confirmed)|n/a|n\.a\.|unknown|not known|todo|fixme"
                         r"|xxx|\?+)(?![\w/=-])", re.I)
#: a named document next to a placeholder: a URL or domain, a file or repository path, an arXiv/DOI/GitHub reference,
#: or a quoted title (publisher 'title')
DOCUMENT = re.compile(r"https?://|\bwww\.|\b[\w-]+(\.[\w-]+)+/\S|\b[\w-]+\.(com|org|net|io|ai|dev|gov|edu|md|pdf"
                      r"|html?)\b|\barxiv\b|\bdoi\b|\bgithub\b|\"[^\"]{8,}\"|'[^']{8,}'", re.I)


def source_fields(node, path=""):
    """(path, value) of every key named ``source`` or ending in ``_source``, anywhere in a YAML tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            here = f"{path}.{k}"
            if isinstance(k, str) and (k == "source" or k.endswith("_source")):
                yield here, v
            yield from source_fields(v, here)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from source_fields(v, f"{path}[{i}]")


@functools.lru_cache(maxsize=1)
def all_sources() -> tuple[tuple[str, str, object], ...]:
    """(file under profiles/, path in the file, value) of every source field; read once per test session."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out = []
    for p in sorted(PROFILES.rglob("*.yaml")):
        data = yaml.load(p.read_text(encoding="utf-8"), Loader=loader)
        out += [(str(p.relative_to(PROFILES)), where, v) for where, v in source_fields(data)]
    return tuple(out)


def problem(value: object) -> str | None:
    """Why ``value`` is not a followable source, or None when it is acceptable."""
    if not isinstance(value, str) or len(value.strip()) < 3:
        return "empty"
    if NOTE.search(value):
        return f"cites a note outside the repository ({NOTE.search(value).group(0)})"
    if SEARCH_ID.search(value):
        return "cites a search-index id"
    if PLACEHOLDER.search(value) and not DOCUMENT.search(PLACEHOLDER.sub(" ", value)):
        return f"a placeholder ({PLACEHOLDER.search(value).group(0)}) without a named document"
    rest = ISSUE.sub(" ", value)
    if not re.search(r"[A-Za-z]{3,}", re.sub(r"\b(see|per|from|and|the|in)\b", " ", rest, flags=re.I)):
        return "an issue number is its only provenance"
    return None


def test_checker_known_cases():
    """The checker itself, on the kinds of sources the catalog had and should have."""
    bad = ["", "   ", None, "quality-prices.md §A1.2 <- webjj@e4dc331", "gpu-specs.md RTX 3090 Ti row (D)",
           "NVIDIA GeForce compare page (C1 in gpu-specs.md)", "quoted in /work/shared/research/public-data.md",
           "nvidia-smi snapshot in public GitHub files (stored code index id 53302491650)", "issue 13",
           "(issue 13)", "see issue #4", "tbd", "TBD", "n/a", "N/A", "unknown", "Unknown", "TODO", "todo: find the "
           "datasheet", "?", "???", "unknown (assumed)", "price: n/a (vendor did not say)", "to be determined"]
    good = ["https://arena.ai/leaderboard/text-to-image", "arXiv:2511.22699v1 Table 3",
            "NVIDIA Ada GPU architecture whitepaper v2.1, Appendix A, Table 2",
            "assumption (issue 13): a studio starts a rented GPU once per working day",
            # a placeholder word beside a named document is a quotation or a remark, not the provenance
            "github ObrienlabsDev/blog nvidia.md: nvidia-smi 'NVIDIA GB10 ... P0 11W / N/A' (2025-11-09)",
            "notice period unknown; docs.runpod.io/pods/pricing read 2026-11-26",
            "https://example.com/price?id=3&region=eu", "NVIDIA 'RTX Blackwell GPU Architecture' whitepaper (TBD rev)"]
    assert [v for v in bad if problem(v) is None] == []
    assert [v for v in good if problem(v) is not None] == []


def test_there_are_sources_to_check():
    # the walk finds the catalog's sources (hundreds): a broken walk would pass every check vacuously
    assert len(all_sources()) > 500


@pytest.mark.parametrize("fname", sorted(str(p.relative_to(PROFILES)) for p in PROFILES.rglob("*.yaml")))
def test_every_source_names_a_public_document(fname):
    bad = [f"{where}: {why}: {str(v)[:120]!r}" for f, where, v in all_sources() if f == fname
           for why in [problem(v)] if why]
    assert not bad, f"{len(bad)} unfollowable source(s) in profiles/{fname}:\n" + "\n".join(bad)
