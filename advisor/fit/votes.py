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

Bounded and checked where it enters: the file through the bounded reader (at most ``MAX_VOTES_BYTES``), at most
``MAX_VOTE_ROWS`` votes and ``MAX_MODELS`` models (the fit's memory grows with the square of the model count), and
every model a catalog model or one declared with ``models=`` (``--model``), so a typo or ``<script>`` never becomes
a scale entry. :func:`store_votes_profile` never replaces an earlier fit: a second fit of the same name on the same
day gets the next number (``...-2``), chosen and written under a lock.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from pathlib import Path
from typing import Any

import yaml

from advisor.errors import InputError
from advisor.io import atomic_write_text, short

ELO_PER_NATURAL_UNIT = 400.0 / math.log(10.0)  # 173.72 Elo points per unit of t
ELO_CENTRE = 1000.0
REQUIRED_COLUMNS = ("model_a", "model_b", "winner")
MAX_VOTES_BYTES = 10_000_000  # ~250,000 votes of 40 bytes
MAX_VOTE_ROWS = 250_000
#: models one fit may rank (choix builds an n x n matrix: 200 models are 320 kB, 20,000 were 6.3 GB)
MAX_MODELS = 200
MAX_NAME_CHARS = 60
#: a declared model slug: lower-case letters, digits, '.', '_' and '-' (as the catalog's slugs)
MODEL_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
ALLOWED = ("a CSV with a header model_a,model_b,winner; winner = the winning model's slug (or 'tie'); at least two "
           "models, every model both winning and losing so that the vote graph is strongly connected")


def parse_votes(text: str, file: str = "votes CSV", known: set[str] | None = None
                ) -> tuple[list[tuple[str, str]], int]:
    """``[(winner, loser), ...]`` and the number of ties from the CSV text; InputError naming the row when bad.

    ``known``: the model slugs allowed (catalog models plus declared ones); None allows any well-formed slug.
    """
    file = short(file, 60)
    if "\x00" in text:
        raise InputError(file, "a NUL byte", "UTF-8 text without NUL bytes")
    reader = csv.DictReader(io.StringIO(text))
    try:
        cols = [(c or "").strip() for c in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise InputError(file, "malformed CSV", f"comma-separated text ({short(exc, 80)})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        raise InputError(file, f"columns {short(cols, 80)}", ALLOWED)
    pairs, ties, models = [], 0, set()
    try:
        for i, raw in enumerate(reader, start=2):  # line 1 is the header
            if i - 1 > MAX_VOTE_ROWS:
                raise InputError(file, f"more than {MAX_VOTE_ROWS:,} votes", f"at most {MAX_VOTE_ROWS:,} votes per fit")
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None and isinstance(v, str)}
            a, b, w = row.get("model_a", ""), row.get("model_b", ""), row.get("winner", "")
            if not a or not b or a == b:
                raise InputError(f"{file} line {i}", short(f"{a},{b},{w}", 60), "two different model slugs")
            for m in (a, b):
                if m not in models:
                    _check_model(m, f"{file} line {i}", known)
                    models.add(m)
                    if len(models) > MAX_MODELS:
                        raise InputError(f"{file} line {i}", f"more than {MAX_MODELS} models",
                                         f"at most {MAX_MODELS} models per fit")
            if w.lower() == "tie":
                ties += 1
                continue
            if w not in (a, b):
                raise InputError(f"{file} line {i}", f"winner {short(w, 40)!r}", f"{a!r}, {b!r} or 'tie'")
            pairs.append((w, b if w == a else a))
    except csv.Error as exc:
        raise InputError(f"{file} line {reader.line_num}", "malformed CSV", f"comma-separated text ({short(exc, 80)})") \
            from None
    if not pairs:
        raise InputError(file, "no decisive votes", ALLOWED)
    return pairs, ties


def _check_model(slug: str, where: str, known: set[str] | None) -> None:
    if not MODEL_SLUG_RE.match(slug):
        raise InputError(where, short(slug, 40), "a model slug: lower-case letters, digits, '.', '_', '-' (at most 64)")
    if known is not None and slug not in known:
        import difflib

        close = difflib.get_close_matches(slug, sorted(known), n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise InputError(where, slug, f"{hint}a catalog model, or one declared with --model {slug}")


def catalog_models(catalog: Any) -> set[str]:
    """Every model slug the catalog knows: pipelines, API-only models and the models API offers serve."""
    return (set(catalog.pipelines) | set(getattr(catalog, "models", {}) or {})
            | {a.model_slug for a in catalog.apis.values() if a.model_slug})


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
              today: dt.date | None = None, known: set[str] | None = None, number: int = 1,
              file: str = "votes CSV") -> dict[str, Any]:
    """The quality profile of a votes CSV: one scale ``studio-votes-<name>-<date>`` (``-<number>`` from the second
    fit of that name on that day) and one figure per model. ``known``: see :func:`parse_votes`."""
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
        raise InputError("--name", short(name, 40), f"a name of 1 to {MAX_NAME_CHARS} characters")
    pairs, ties = parse_votes(text, file, known=known)
    strengths = fit_bradley_terry(pairs)
    today = today or dt.date.today()
    slug = f"studio-votes-{_slug(name)}-{today.isoformat()}" + (f"-{number}" if number > 1 else "")
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


def renumber(profile: dict[str, Any], slug: str) -> dict[str, Any]:
    old = profile["scales"][0]["slug"]
    scales = [{**profile["scales"][0], "slug": slug, "name": profile["scales"][0]["name"] + f" #{slug.rsplit('-', 1)[-1]}"}]
    return {"scales": scales, "figures": [{**f, "scale": slug} for f in profile["figures"] if f["scale"] == old]}


def store_votes_profile(profile: dict[str, Any], folder: str | Path) -> Path:
    """Write the profile into ``folder`` as ``<scale slug>.yaml``, never replacing an earlier fit: when that name
    is taken, the scale and file get the next free number (``<slug>-2``, ``-3``, ...). The choice and the write
    happen under a lock on the folder, and the file is created exclusively, so parallel fits all survive."""
    import filelock

    from advisor.io import LOCK_TIMEOUT_SECONDS, atomic_write_text as write, lock_path

    folder = Path(folder)
    folder.mkdir(mode=0o777, parents=True, exist_ok=True)
    base = profile["scales"][0]["slug"]
    with filelock.FileLock(lock_path(folder / "votes"), timeout=LOCK_TIMEOUT_SECONDS):
        for n in range(1, 10_000):
            slug = base if n == 1 else f"{base}-{n}"
            target = folder / f"{slug}.yaml"
            if target.exists():
                continue
            prof = profile if n == 1 else renumber(profile, slug)
            try:
                return write(target, yaml.safe_dump(prof, sort_keys=False, allow_unicode=True), exclusive=True)
            except FileExistsError:
                continue
    raise InputError("--name", base, "a name not used 10,000 times today")
