"""Quality with provenance: scales, per-model figures, head-to-head results and keep rates.

Read from ``profiles/quality.yaml`` (``scales``, ``tiered_models``, ``figures``, ``pairwise``),
``profiles/keep_rates.yaml`` (``entries``) and any studio vote fits in ``profiles/quality_votes/*.yaml`` (written by
:mod:`advisor.fit.votes`). Figures are keyed by MODEL slug (a pipeline slug for open weights, an API offer's
``model_slug`` otherwise) and by the exact VARIANT measured (a quality tier such as gpt-image-2 ``medium``, or a
weight format such as ``fp8``). Three rules keep a quality number attached to what is priced:

* different arenas are different scales: a figure is only ever compared with figures on its own scale;
* a ranking on one scale uses one snapshot (one ``as_of``) of it: Elo-style levels drift as models are added, so
  figures of other dates are shown as history but never ranked against the snapshot's;
* a model sold in quality tiers (``tiered_models``) is scored per tier: a tier without its own figure is unscored.
  Distilled serving variants (fal's FLUX.2 [dev] Flash/Turbo) are separate model slugs.

Unscored stays unscored (never imputed).

Public API: :class:`Scale`, :class:`QualityFigure`, :class:`PairwiseRecord`, :class:`KeepRate`,
:class:`TieredModel`, :class:`QualityBook` (``figure(model, scale, variant)``, ``snapshot(scale)``,
``figures_for(model)``, ``keep_rate(model, kind)``, ``pairwise_between(a, b)``), :func:`load_quality`,
:func:`wilson_interval`, :func:`parse_min_quality`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from advisor.catalog.base import Strict
from advisor.errors import CatalogError, InputError

AS_OF_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
#: the scale a ranking uses when the user names none: LMArena text-to-image (Apr 2026 snapshot verified verbatim,
#: covers 5 of the 6 pipelines; see profiles/quality.yaml)
DEFAULT_SCALE = "lmarena-t2i"
#: z for a two-sided 95% interval (normal quantile 0.975)
Z_95 = 1.959964
#: kinds of work a keep rate can be given for
KINDS_OF_WORK: tuple[str, ...] = ("general", "portrait", "text-in-image-english", "text-in-image-chinese")
#: metrics that are a share of generations kept (used in costs); others are shown only
KEEP_METRICS = frozenset({"keep_rate", "accuracy"})
Solidity = Literal["first-party", "leaderboard-snapshot", "third-party", "single-reviewer", "studio"]


_Strict = Strict  # the one strict base model (advisor/catalog/base.py)


def _as_of_text(v: Any) -> Any:
    """``as_of`` as text: 'YYYY-MM-DD', or 'YYYY-MM' where a source gives only the month."""
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


class Scale(_Strict):
    """One quality scale (an arena or a benchmark). Values on different scales are never compared."""

    slug: str
    name: str
    kind: Literal["elo", "benchmark-score"]
    higher_is_better: bool = True
    range_note: str
    source: str = Field(min_length=3)
    measures: str
    #: the ``as_of`` of the snapshot rankings on this scale use; None: the snapshot with the most figures (on a tie
    #: the latest)
    ranking_snapshot: str | None = None

    _snap = field_validator("ranking_snapshot", mode="before")(_as_of_text)


class TieredModel(_Strict):
    """A model sold in quality tiers that change the image (e.g. gpt-image-2 ``quality=low|medium|high``): each tier
    is a different product for quality, so a figure counts only for the tier it names."""

    model: str
    tiers: list[str] = Field(min_length=2)
    source: str = Field(min_length=3)
    as_of: str

    _as_of = field_validator("as_of", mode="before")(_as_of_text)


class QualityFigure(_Strict):
    """One published quality number of one model on one scale, with its interval, sample size and source."""

    model: str
    scale: str
    value: float
    #: the exact variant measured: a quality tier (gpt-image-2 'medium') or a weight format ('fp8'); None = the
    #: model as released (for a tiered model: tier not published, so it scores no tier)
    variant: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    plus_minus: float | None = None  # published as value +- this (95%)
    win_rate: float | None = None
    sample_size: int | None = None  # votes or prompts; None when not published
    source: str = Field(min_length=3)
    as_of: str
    solidity: Solidity
    note: str | None = None

    _as_of = field_validator("as_of", mode="before")(_as_of_text)

    @field_validator("as_of")
    @classmethod
    def _as_of_format(cls, v: str) -> str:
        if not AS_OF_RE.match(v):
            raise ValueError("must be YYYY-MM-DD or YYYY-MM")
        return v

    def interval(self) -> tuple[float, float] | None:
        """(low, high) as published: ci_low..ci_high, else value +- plus_minus, else None."""
        if self.ci_low is not None and self.ci_high is not None:
            return self.ci_low, self.ci_high
        if self.plus_minus is not None:
            return self.value - self.plus_minus, self.value + self.plus_minus
        return None


class PairwiseRecord(_Strict):
    """A published head-to-head result: shares of ``model_a`` wins, ties and ``model_b`` wins over ``n``."""

    id: str
    model_a: str
    model_b: str
    #: the exact variants tested, in words (e.g. "fal 'FLUX.2 [dev] Flash' (distilled serving variant)"); None =
    #: the model as released
    variant_a: str | None = None
    variant_b: str | None = None
    a_wins: float = Field(ge=0, le=1)
    ties: float | None = Field(default=None, ge=0, le=1)
    b_wins: float = Field(ge=0, le=1)
    n: int = Field(gt=0)
    n_unit: str
    source: str = Field(min_length=3)
    as_of: str
    solidity: Solidity
    note: str | None = None

    _as_of = field_validator("as_of", mode="before")(_as_of_text)

    def wilson(self, share: float) -> tuple[float, float]:
        """95% Wilson interval of one of this record's shares over ``n``."""
        return wilson_interval(share, self.n)


class KeepRate(_Strict):
    """Share of generations a designer can use (or a failure/error share), per model and kind of work."""

    model: str
    kind_of_work: Literal["general", "portrait", "text-in-image-english", "text-in-image-chinese"]
    metric: Literal["keep_rate", "failure_rate", "accuracy", "error_rate"]
    criterion: str
    value: float = Field(ge=0, le=1)
    value_qualifier: Literal["=", "~", ">=", "<"] = "="
    n: int | None = Field(default=None, gt=0)
    n_unit: str | None = None
    gpu: str | None = None
    precision: str | None = None
    source: str = Field(min_length=3)
    as_of: str
    solidity: Solidity
    note: str | None = None

    _as_of = field_validator("as_of", mode="before")(_as_of_text)

    def wilson(self) -> tuple[float, float] | None:
        """95% Wilson interval of ``value`` over ``n``; None when no sample size is published."""
        return wilson_interval(self.value, self.n) if self.n else None


class QualityBook(_Strict):
    """Every quality scale, figure, head-to-head result and keep rate in the catalog."""

    scales: dict[str, Scale] = {}
    figures: list[QualityFigure] = []
    pairwise: list[PairwiseRecord] = []
    keep_rates: list[KeepRate] = []
    tiered: dict[str, TieredModel] = {}

    def figures_for(self, model: str) -> list[QualityFigure]:
        """All figures of ``model`` (every scale, every snapshot, every variant), in file order."""
        return [f for f in self.figures if f.model == model]

    def snapshot(self, scale: str) -> str | None:
        """The ``as_of`` of the one snapshot of ``scale`` that rankings use: the scale's ``ranking_snapshot``, else
        the date with the most figures (on a tie the latest). None when the scale has no figures."""
        s = self.scales.get(scale)
        if s is not None and s.ranking_snapshot is not None:
            return s.ranking_snapshot
        counts: dict[str, int] = {}
        for f in self.figures:
            if f.scale == scale:
                counts[f.as_of] = counts.get(f.as_of, 0) + 1
        return max(counts, key=lambda d: (counts[d], d)) if counts else None

    def tier_of(self, model: str, variant: str | None) -> str | None:
        """The quality tier an offer's ``variant`` names for ``model``; None when the model is not sold in tiers
        or the variant is not one of its tiers."""
        t = self.tiered.get(model)
        return variant if t is not None and variant in t.tiers else None

    def figure(self, model: str, scale: str, variant: str | None = None) -> QualityFigure | None:
        """The figure of ``model`` on ``scale`` that a ranking uses for the option priced as ``variant``.

        Only the scale's ranking :meth:`snapshot` counts. ``variant`` is what is priced: an API offer's tier, or a
        self-hosted option's weight format. A tiered model (``tiered_models``) is scored only by a figure naming
        that exact tier; otherwise a figure naming ``variant`` wins over one for the model as released, and a
        figure for another variant never counts. On a tie the first listed. None = unscored (never imputed).
        """
        snap = self.snapshot(scale)
        rows = [f for f in self.figures if f.model == model and f.scale == scale and f.as_of == snap]
        if model in self.tiered:
            tier = self.tier_of(model, variant)
            return next((f for f in rows if tier is not None and f.variant == tier), None)
        exact = next((f for f in rows if variant is not None and f.variant == variant), None)
        return exact or next((f for f in rows if f.variant is None), None)

    def scored_models(self, scale: str) -> set[str]:
        snap = self.snapshot(scale)
        return {f.model for f in self.figures if f.scale == scale and f.as_of == snap}

    def keep_rate(self, model: str, kind_of_work: str) -> KeepRate | None:
        """The catalog keep rate of ``model`` for ``kind_of_work`` (metric keep_rate, else accuracy), or None."""
        rows = [k for k in self.keep_rates if k.model == model and k.kind_of_work == kind_of_work
                and k.metric in KEEP_METRICS and k.gpu is None]
        rows.sort(key=lambda k: (k.metric != "keep_rate", k.as_of), reverse=False)
        return rows[0] if rows else None

    def keep_facts(self, model: str) -> list[KeepRate]:
        return [k for k in self.keep_rates if k.model == model]

    def pairwise_between(self, a: str, b: str) -> list[PairwiseRecord]:
        return [p for p in self.pairwise if {p.model_a, p.model_b} == {a, b} and a != b]


def wilson_interval(p: float, n: int, z: float = Z_95) -> tuple[float, float]:
    """95% Wilson score interval of a share ``p`` observed over ``n`` trials.

    ``centre = (p + z^2/2n) / (1 + z^2/n)``, ``half = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n)``
    (E. B. Wilson, JASA 22 (1927) 209-212). Returns (low, high), both in [0, 1].
    """
    if not (0.0 <= p <= 1.0) or n <= 0:
        raise ValueError(f"need 0 <= p <= 1 and n > 0, got p={p!r}, n={n!r}")
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def parse_min_quality(text: str, book: QualityBook) -> tuple[str, float]:
    """Parse ``SCALE:VALUE`` (e.g. ``lmarena-t2i:1100``) into (scale, value); InputError when malformed/unknown."""
    allowed = f"SCALE:VALUE with SCALE one of {', '.join(sorted(book.scales))} and VALUE a number"
    if not isinstance(text, str) or text.count(":") != 1:
        raise InputError("min_quality", text, allowed)
    scale, _, raw = text.partition(":")
    scale = scale.strip()
    try:
        value = float(raw)
    except ValueError:
        raise InputError("min_quality", text, allowed) from None
    if not math.isfinite(value):
        raise InputError("min_quality", text, allowed)
    if scale not in book.scales:
        raise InputError("min_quality", text, allowed)
    return scale, value


# --- loading ---------------------------------------------------------------------------------------------------------

def _load_yaml(path: Path) -> Any:
    from advisor.catalog.yaml_reader import read_yaml_file  # the one hardened reader (issue 16)

    if not path.exists():
        return None
    return read_yaml_file(path)


def _parse_list(path: Path, rows: Any, model: type[_Strict], section: str) -> list:
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise CatalogError(str(path), section, None, "expected a list")
    out = []
    for i, raw in enumerate(rows):
        try:
            out.append(model.model_validate(raw))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or None
            entry = f"{section}[{i}]" + (f" {raw.get('model', raw.get('slug', raw.get('id', '')))}"
                                         if isinstance(raw, dict) else "")
            raise CatalogError(str(path), entry, field, err["msg"]) from None
    return out


def read_quality_raw(root: Path) -> dict[str, Any]:
    """Raw YAML of the quality files under ``root`` (missing files read as empty)."""
    q = _load_yaml(root / "quality.yaml") or {}
    k = _load_yaml(root / "keep_rates.yaml") or {}
    votes = []
    vdir = root / "quality_votes"
    if vdir.is_dir():
        for p in sorted(vdir.glob("*.yaml")):
            votes.append((str(p), _load_yaml(p) or {}))
    return {"quality": q, "keep_rates": k, "votes": votes, "root": str(root)}


def build_quality(raw: dict[str, Any] | None) -> QualityBook:
    """Validate the raw quality data into a :class:`QualityBook` (figures must name a known scale)."""
    if not raw:
        return QualityBook()
    root = Path(raw.get("root", "."))
    qpath, kpath = root / "quality.yaml", root / "keep_rates.yaml"
    q, k = raw.get("quality") or {}, raw.get("keep_rates") or {}
    scales = {s.slug: s for s in _parse_list(qpath, q.get("scales"), Scale, "scales")}
    tiered = {t.model: t for t in _parse_list(qpath, q.get("tiered_models"), TieredModel, "tiered_models")}
    figures = _parse_list(qpath, q.get("figures"), QualityFigure, "figures")
    pairwise = _parse_list(qpath, q.get("pairwise"), PairwiseRecord, "pairwise")
    keep = _parse_list(kpath, k.get("entries"), KeepRate, "entries")
    for vpath, v in raw.get("votes") or []:
        vp = Path(vpath)
        for s in _parse_list(vp, v.get("scales"), Scale, "scales"):
            scales[s.slug] = s
        figures += _parse_list(vp, v.get("figures"), QualityFigure, "figures")
    for i, f in enumerate(figures):
        if f.scale not in scales:
            raise CatalogError(str(qpath), f"figures[{i}] {f.model}", "scale", f"unknown scale {f.scale!r}")
    return QualityBook(scales=scales, figures=figures, pairwise=pairwise, keep_rates=keep, tiered=tiered)


def load_quality(root: Path | str) -> QualityBook:
    """Read and validate the quality files under ``root`` (the catalog's profiles folder)."""
    return build_quality(read_quality_raw(Path(root)))
