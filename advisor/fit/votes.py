"""A studio's own quality scale: Bradley-Terry ratings fitted to a CSV of blind pairwise votes.

CSV columns (header required, extra columns ignored): ``model_a``, ``model_b``, ``winner`` where ``winner`` is
the winning model's slug (``model_a``'s or ``model_b``'s value). Rows whose winner is ``tie`` are counted and left
out of the fit (Bradley-Terry has no ties).

The fit is the maximum-likelihood Bradley-Terry model, P(i beats j) = 1 / (1 + exp(-(t_i - t_j)))
(Bradley & Terry, Biometrika 39 (1952) 324-345), computed with ``choix.ilsr_pairwise`` (iterative Luce spectral
ranking, Maystre & Grossglauser, ICML 2015) without regularisation. The MLE exists only when the vote graph is
strongly connected (every model can be reached from every other through "beat" edges), which is checked. Ratings
are written on an Elo-like scale: ``rating = 1000 + 400 / ln(10) x t`` with the t's centred at 0, so a 400-point
gap means 10:1 odds.

:func:`fit_votes` returns the profile (a dict ready for ``profiles/quality_votes/<slug>.yaml``);
:func:`write_votes_profile` writes it atomically. The catalog reads those files as one more quality scale.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

import yaml

from advisor.errors import InputError
from advisor.io import atomic_write_text

ELO_PER_NATURAL_UNIT = 400.0 / math.log(10.0)  # 173.72 Elo points per unit of t
ELO_CENTRE = 1000.0
REQUIRED_COLUMNS = ("model_a", "model_b", "winner")
ALLOWED = ("a CSV with a header model_a,model_b,winner; winner = the winning model's slug (or 'tie'); at least two "
           "models, every model both winning and losing so that the vote graph is strongly connected")


def parse_votes(text: str, file: str = "votes CSV") -> tuple[list[tuple[str, str]], int]:
    """``[(winner, loser), ...]`` and the number of ties from the CSV text; InputError naming the row when bad."""
    reader = csv.DictReader(io.StringIO(text))
    cols = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        raise InputError(file, f"columns {cols}", ALLOWED)
    pairs, ties = [], 0
    for i, raw in enumerate(reader, start=2):  # line 1 is the header
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        a, b, w = row.get("model_a", ""), row.get("model_b", ""), row.get("winner", "")
        if not a or not b or a == b:
            raise InputError(f"{file} line {i}", f"{a},{b},{w}", "two different model slugs")
        if w.lower() == "tie":
            ties += 1
            continue
        if w not in (a, b):
            raise InputError(f"{file} line {i}", f"winner {w!r}", f"{a!r}, {b!r} or 'tie'")
        pairs.append((w, b if w == a else a))
    if not pairs:
        raise InputError(file, "no decisive votes", ALLOWED)
    return pairs, ties


def _strongly_connected(n: int, edges: list[tuple[int, int]]) -> bool:
    fwd: dict[int, set[int]] = {i: set() for i in range(n)}
    back: dict[int, set[int]] = {i: set() for i in range(n)}
    for w, l in edges:
        fwd[w].add(l)
        back[l].add(w)

    def reach(adj: dict[int, set[int]]) -> int:
        seen, stack = {0}, [0]
        while stack:
            for j in adj[stack.pop()]:
                if j not in seen:
                    seen.add(j)
                    stack.append(j)
        return len(seen)

    return reach(fwd) == n and reach(back) == n


def fit_bradley_terry(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """Maximum-likelihood Bradley-Terry strengths ``t`` (centred at 0) of each model from (winner, loser) pairs."""
    import choix

    models = sorted({m for p in pairs for m in p})
    if len(models) < 2:
        raise InputError("votes CSV", f"{len(models)} model", ALLOWED)
    idx = {m: i for i, m in enumerate(models)}
    data = [(idx[w], idx[l]) for w, l in pairs]
    if not _strongly_connected(len(models), data):
        raise InputError("votes CSV", "a vote graph that is not strongly connected (some model never wins or never "
                         "loses)", ALLOWED)
    theta = choix.ilsr_pairwise(len(models), data, alpha=0.0, max_iter=10_000, tol=1e-12)
    mean = float(sum(theta)) / len(theta)
    return {m: float(theta[idx[m]]) - mean for m in models}


def fit_votes(text: str, *, name: str = "studio", source: str = "studio votes CSV",
              today: dt.date | None = None) -> dict[str, Any]:
    """The quality profile of a votes CSV: one scale ``studio-votes-<name>-<date>`` and one figure per model."""
    pairs, ties = parse_votes(text)
    strengths = fit_bradley_terry(pairs)
    today = today or dt.date.today()
    slug = f"studio-votes-{_slug(name)}-{today.isoformat()}"
    votes_per_model = {m: sum(1 for p in pairs if m in p) for m in strengths}
    return {
        "scales": [{
            "slug": slug, "name": f"Studio blind votes '{name}' ({today.isoformat()})", "kind": "elo",
            "higher_is_better": True,
            "range_note": f"Bradley-Terry MLE on {len(pairs)} decisive votes ({ties} ties left out); "
                          f"1000 + 400/ln10 x strength, centred on the models voted on.",
            "source": source, "measures": "The studio's own blind pairwise votes on its own prompts."}],
        "figures": [{"model": m, "scale": slug, "value": round(ELO_CENTRE + ELO_PER_NATURAL_UNIT * t, 3),
                     "sample_size": votes_per_model[m], "source": source, "as_of": today.isoformat(),
                     "solidity": "studio", "note": "fitted by advisor.fit.votes (choix.ilsr_pairwise, no prior)"}
                    for m, t in sorted(strengths.items())],
    }


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    while "--" in out:
        out = out.replace("--", "-")
    return out or "studio"


def write_votes_profile(profile: dict[str, Any], out: str | Path) -> Path:
    """Write the profile as YAML (atomic: temp file + rename)."""
    return atomic_write_text(Path(out), yaml.safe_dump(profile, sort_keys=False, allow_unicode=True))
