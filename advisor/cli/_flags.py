"""Flag parsing shared by the commands: every flag that is given is used or refused, in one line naming the flag.

- :func:`parse_keyed`: ``SLUG=NUMBER`` flags (``--licence-fee``, ``--keep-rate``): malformed items, an empty slug
  or number, a slug given twice (click would keep the last one silently) and non-finite numbers are refused;
  ``--licence-fee`` slugs must be catalog pipelines whose licence has a commercial fee (a fee for an
  Apache-licensed model would never be used) and each fee within :data:`MAX_LICENCE_FEE_USD_PER_MONTH`;
  ``--keep-rate`` slugs must be catalog models and each share within [:data:`MIN_KEEP_RATE`, 1].
- :func:`check_scale_flag`: ``--quality-scale`` / ``--min-quality`` not empty.
- :func:`run_fit_votes`: ``advisor fit-votes`` (bounded read, catalog or declared models, the output rule,
  numbered default names).

Values echoed in messages are cut to a readable length (:func:`advisor.io.short`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from advisor.errors import InputError, UnknownSlugError
from advisor.io import short

#: a licence fee above this is a typo (BFL's published self-serve licences are a few thousand USD a month)
MAX_LICENCE_FEE_USD_PER_MONTH = 100_000.0
#: a keep rate below this means more than 100 generations per kept image: a typo, and it would multiply every
#: per-image cost by up to 1e300 (``--keep-rate m=1e-300`` crashed the engine)
MIN_KEEP_RATE = 0.01


def _number(flag: str, item: str, raw: str, allowed: str) -> float:
    text = raw.strip()
    try:
        if not text:
            raise ValueError
        x = float(text)
    except (ValueError, OverflowError):
        raise InputError(flag, short(item, 60), allowed) from None
    if not math.isfinite(x):
        raise InputError(flag, short(item, 60), allowed)
    return x


def parse_keyed(items: list[str] | None, flag: str, allowed: str, catalog: Any = None) -> dict[str, float]:
    """``['slug=12.5', ...]`` -> ``{'slug': 12.5}``, every item checked (see the module docstring).

    ``catalog``: checked against it for ``--licence-fee`` and ``--keep-rate`` (default: the shipped catalog, loaded
    only when such a flag is given).
    """
    out: dict[str, float] = {}
    for item in items or []:
        slug, sep, raw = item.partition("=")
        slug = slug.strip()
        if not sep or not slug:
            raise InputError(flag, short(item, 60), allowed)
        if slug in out:
            raise InputError(flag, short(slug, 60), f"each model once ({slug} is given twice; repeated keyed flags "
                                                    "are refused, not silently last-wins)")
        out[slug] = _number(flag, item, raw, allowed)
    if out and flag in ("--licence-fee", "--keep-rate"):
        if catalog is None:
            from advisor.catalog import load_catalog

            catalog = load_catalog()
        (_check_fees if flag == "--licence-fee" else _check_keeps)(out, flag, catalog)
    return out


def _check_fees(fees: dict[str, float], flag: str, catalog: Any) -> None:
    for slug, fee in fees.items():
        if slug not in catalog.pipelines:
            raise UnknownSlugError(flag, short(slug, 60), catalog.pipelines)
        lic = catalog.pipelines[slug].license
        if lic.commercial_use != "paid-license":
            raise InputError(flag, f"{slug}={fee:g}", f"a fee for a model whose licence charges one ({slug}: "
                                                      f"{lic.name}, commercial use {lic.commercial_use}; the fee "
                                                      f"would never be used)")
        if not 0 <= fee <= MAX_LICENCE_FEE_USD_PER_MONTH:
            raise InputError(flag, f"{slug}={short(f'{fee:g}', 30)}",
                             f"a fee from 0 to {MAX_LICENCE_FEE_USD_PER_MONTH:,.0f} USD per month")


def _check_keeps(keeps: dict[str, float], flag: str, catalog: Any) -> None:
    from advisor.fit.votes import catalog_models

    known = catalog_models(catalog) | {k.model for k in catalog.quality.keep_rates}
    for slug, share in keeps.items():
        if slug not in known:
            import difflib

            close = difflib.get_close_matches(slug, sorted(known), n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise InputError(flag, short(slug, 60), f"{hint}a model of the catalog ({len(known)} known, e.g. "
                                                    f"{', '.join(sorted(known)[:4])}; `advisor catalog` lists them)")
        if not MIN_KEEP_RATE <= share <= 1:
            raise InputError(flag, f"{slug}={short(f'{share:g}', 30)}",
                             f"a share of generations kept from {MIN_KEEP_RATE:g} to 1")


def check_scale_flag(flag: str, value: str | None) -> str | None:
    """``--quality-scale`` / ``--min-quality``: None (not given) or non-empty text."""
    if value is not None and not value.strip():
        raise InputError(flag, value, "a scale slug (not empty), e.g. lmarena-t2i")
    return value


def run_fit_votes(votes: Path, name: str, out: Path | None, force: bool, models: list[str] | None) -> Path:
    """``advisor fit-votes``: read the votes through the bounded reader, fit them with the catalog's models plus the
    declared ones, and write the profile (``--out`` under the output rule; by default a numbered new file in
    ``profiles/quality_votes/``). Prints one line per model and the file written."""
    import typer

    from advisor.catalog import PROFILES_DIR, load_catalog
    from advisor.fit import votes as V
    from advisor.io import check_output_file, read_text_file, write_output

    if out is not None:
        check_output_file("--out", out, force=force)  # before any work
    elif force:
        raise InputError("--force", True, "only with --out (the default folder never replaces an earlier fit)")
    declared: set[str] = set()
    for m in models or []:
        if not V.MODEL_SLUG_RE.match(m):
            raise InputError("--model", short(m, 40), "a model slug: lower-case letters, digits, '.', '_', '-'")
        if m in declared:
            raise InputError("--model", m, "each model once")
        declared.add(m)
    text = read_text_file(votes, "VOTES", max_bytes=V.MAX_VOTES_BYTES, what="a UTF-8 CSV file")
    known = V.catalog_models(load_catalog()) | declared
    profile = V.fit_votes(text, name=name, source=f"studio votes {short(votes.name, 60)}", known=known,
                          file=votes.name)
    if out is not None:
        import yaml

        path = write_output("--out", out, yaml.safe_dump(profile, sort_keys=False, allow_unicode=True), force=force,
                            exclusive=True)
    else:
        path = V.store_votes_profile(profile, PROFILES_DIR / "quality_votes")
        if path.stem != profile["scales"][0]["slug"]:
            profile = V.renumber(profile, path.stem)
    slug = profile["scales"][0]["slug"]
    for f in profile["figures"]:
        typer.echo(f"{f['model']}: {f['value']:.1f} on {slug} ({f['sample_size']} votes)")
    typer.echo(f"wrote {path}")
    return path
