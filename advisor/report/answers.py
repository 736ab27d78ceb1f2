"""Answers first: the short answer, three headline figures and one-idea bullets that the app pages and the HTML
report open with, built from the engine's results (nothing is recomputed here; every number is an engine number).

* :func:`compare_view` - the Compare page: "which model, which way to run it" in two sentences, then a table for
  people (no raw ids), a card per model with the capacity-aware break-even and the licence state;
* :func:`short_bullets` - an engine reason cut to its first idea (about 30 words); the full text stays in the
  "why" expander;
* :func:`humanize_ids` - option ids in a note replaced by people's labels.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from advisor.cost import tco
from advisor.fmt import money, number
from advisor.report import tables

#: words kept of an engine reason in a bullet (the full reason is one click away)
BULLET_WORDS = 30

_ID = re.compile(r"\b(?:self-host|cloud-gpu|api):[\w.:+-]+")


@dataclass
class CompareView:
    """What the Compare page and its export show first."""

    title: str
    answer: str  # one or two sentences
    headline: list[tuple[str, str, str]]  # three (label, value, help)
    bullets: list[str]  # one idea each
    warnings: list[str]  # stale or flagged prices behind the rows shown: a few words each
    rows: list[dict[str, Any]]  # the deployments table, text for people
    models: list[dict[str, Any]] = field(default_factory=list)  # {name, license, lines}
    labels: dict[str, str] = field(default_factory=dict)  # {option id: a row's label for people} (chart legend)
    crossings: list[tuple[str, float, float]] = field(default_factory=list)  # (name, images/month, USD/month)
    warning_details: list[str] = field(default_factory=list)  # the warnings with value, date and where to check


def _drop_long_parentheticals(text: str, keep_chars: int = 24) -> str:
    """``text`` without its parenthesised asides longer than ``keep_chars`` (sources, derivations), nested or not."""
    out, stack = [], []
    for ch in text:
        if ch == "(":
            stack.append(len(out))
            out.append(ch)
        elif ch == ")" and stack:
            start = stack.pop()
            if len(out) - start > keep_chars:
                del out[start:]
                while out and out[-1] == " ":
                    out.pop()
            else:
                out.append(ch)
        else:
            out.append(ch)
    return "".join(out)


def short_bullets(reasons: list[str], words: int = BULLET_WORDS) -> list[str]:
    """Each reason without its long parenthesised asides (sources, derivations), cut to its first sentence and that
    to ``words`` words (with '…' when cut)."""
    out = []
    for r in reasons:
        first = re.split(r"(?<=[.;])\s+(?=[A-Z(])", _drop_long_parentheticals(str(r).strip()), maxsplit=1)[0]
        ws = first.split()
        out.append(" ".join(ws[:words]) + ("…" if len(ws) > words else ""))
    return out


def humanize_ids(text: str, catalog: Any, result: Any = None) -> str:
    """``text`` with every option id ('self-host:owned:rtx-4090:flux-2-dev:bf16') replaced by a label for people
    (from ``result``'s options where present, else the id's card and model names from ``catalog``)."""
    options = {o.id: o for o in (getattr(result, "options", None) or [])}

    def label(m: re.Match) -> str:
        oid = m.group(0).rstrip(".:,")
        tail = m.group(0)[len(oid):]
        if oid in options:
            return tables.human_label(options[oid], catalog) + tail
        parts = oid.split(":")
        names = []
        for p in parts[1:]:
            if p in catalog.gpus:
                names.append(tables.card_label(p, catalog))
            elif p in catalog.pipelines:
                names.append(tables.short_name(catalog.pipelines[p].name))
            elif p in ("owned",):
                names.append("your GPU")
            elif p in ("buy",):
                names.append("buy")
        return (" · ".join(names) or oid) + tail

    return _ID.sub(label, text)


def seconds_text(seconds: float | None, api: Any = None) -> str:
    """Seconds per image for people: '2.88 s'; an API's published latency '≈ 4 s (published)'; 'not published'."""
    if seconds is not None:
        return f"{number(seconds)} s"
    lat = getattr(api, "latency_seconds_per_image", None) if api is not None else None
    if lat is not None:
        return f"≈ {number(lat.value)} s (published)"
    return "not published"


def band_text(row: Any) -> str:
    """' ±52% (from specs only)' / ' ±52% (few measured runs)' for a row whose GPU family's speed is from specs only
    or from one or two measured runs (``speed_basis``, ``speed_band``: :func:`advisor.decide.common.speed_basis`)."""
    basis, band = getattr(row, "speed_basis", ""), getattr(row, "speed_band", None)
    if not basis or not band:
        return ""
    return f" ±{band:.0%} ({'from specs only' if 'from specs only' in basis else 'few measured runs'})"


def licence_text(row: Any) -> str:
    """A row's licence state: 'free', '$999/month', 'fee not set · break-even $5.47/month', 'fee not set'."""
    fee = (row.cost_breakdown_usd or {}).get("license", 0.0)
    if not row.license_paid:
        return "included" if row.kind == "api" else "free"
    if not row.license_fee_known:
        be = row.break_even_license_fee_usd_per_month
        return "fee not set" + (f" · break-even {money(be)}/month" if be is not None and be > 0 else
                                " · beaten by its API even at $0")
    return f"{money(fee)}/month"


def overtake_text(model: Any, rows: list[Any], volume: float, catalog: Any = None) -> str:
    """Where self-hosting overtakes the model's own cheapest API, capacity-aware: a crossing beyond what the
    card(s) can make in a month (24/7) is 'beyond capacity', never a volume; 'already cheaper' when self-hosting
    costs less at this volume; 'never' when it costs more per image."""
    host = next((r for r in rows if r.kind == "own"), None) or next((r for r in rows if r.kind == "buy"), None)
    api = next((r for r in rows if r.kind == "api"), None)
    if host is None or api is None:
        return "No self-host and API pair to compare."
    where = "your card" if host.kind == "own" else \
        f"a bought {tables.card_label(host.gpu, catalog) if catalog is not None else host.gpu}"
    n = model.self_host_overtakes_api_images_per_month
    cap = host.capacity_images_per_month
    if host.monthly_cost_usd < api.monthly_cost_usd:
        return f"Self-hosting on {where} is already cheaper than its API at {volume:,.0f} images/month."
    if n is None or n <= 0:
        return f"Self-hosting on {where} never overtakes its API: it costs more per image."
    if cap is not None and n > cap:
        return (f"Self-hosting on {where} would overtake its API only beyond capacity: the card tops out near "
                f"{cap:,.0f} images/month (24/7).")
    return f"Self-hosting on {where} overtakes its API at {n:,.0f} images/month."


def compare_view(res: Any, catalog: Any, today: dt.date | None = None) -> CompareView:
    """The Compare page's answer-first view of a :class:`advisor.decide.compare.CompareResult`."""
    from advisor.decide.provenance import option_prices

    today = today or dt.date.today()
    engine = res.engine
    options = {o.id: o for o in engine.options} if engine is not None else {}
    names = [tables.short_name(m.name) for m in res.models]
    sc = res.scenario or {}
    volume = float(sc.get("volume_images_per_month") or 0)
    size = (f"{sc['width']}x{sc['height']}" if sc.get("width") and sc.get("height")
            else f"{number(sc.get('megapixels') or 1.0)} MP")
    title = f"{' vs '.join(names)} · {volume:,.0f} images/month · {size} · {res.use} use"

    rec = res.recommendation or {}
    top = options.get(rec.get("option_id"))
    runner = options.get(rec.get("runner_up_id"))
    if top is None:
        answer = "No compared option has a complete cost: " + " ".join(short_bullets(rec.get("reasons", [])[:1]))
        headline = [("Cheapest per month", "-", ""), ("Per kept image", "-", ""), ("Seconds per image", "-", "")]
    else:
        answer = (f"Cheapest: {tables.human_label(top, catalog)} at {money(top.monthly_cost_usd)}/month "
                  f"({money(top.cost_per_image_usd)} per kept image).")
        if runner is not None:
            answer += (f" Best for {tables.model_label(runner, catalog)}: {tables.where_label(runner, catalog)} at "
                       f"{money(runner.monthly_cost_usd)}/month ({money(runner.monthly_cost_usd - top.monthly_cost_usd)}"
                       f" more).")
        api = catalog.apis.get(top.offer) if top.deployment == "api" else None
        headline = [
            ("Cheapest per month", money(top.monthly_cost_usd), tables.human_label(top, catalog)),
            ("Per 1,000 kept images", money(top.cost_per_image_usd * 1000), "monthly cost / kept images x 1,000"),
            ("Seconds per image", seconds_text(top.seconds_per_image, api),
             "the simulator's seconds per image for this setting; APIs: the provider's published latency"),
        ]

    bullets = []
    no_people = options.get(rec.get("option_id_without_people"))
    if no_people is not None and top is not None and no_people.id != top.id:
        bullets.append(f"With people's time at zero: {tables.human_label(no_people, catalog)} "
                       f"({money(no_people.monthly_cost_usd - no_people.cost_breakdown_usd.get('people', 0.0))}"
                       f"/month).")
    rows_out = []
    warnings: list[str] = []
    details: list[str] = []
    seen_fields: set[str] = set()
    for m in res.models:
        for r in m.rows:
            o = options.get(r.option_id)
            api = catalog.apis.get(o.offer) if (o is not None and o.deployment == "api") else None
            rows_out.append({
                "model": tables.short_name(m.name),
                "how": tables.where_label(o, catalog) if o is not None else r.kind,
                "card": tables.card_label(r.gpu, catalog),
                "setting": ((o.setting if o is not None else "") or tables.precision_label(r.precision)
                            + (f", {r.offload} offload" if r.offload not in (None, "none", "auto") else "")),
                "s/image": seconds_text(r.seconds_per_image, api)
                + (band_text(r) if getattr(r, "speed_basis", "") else "")
                + (" · not practical" if o is not None and o.not_practical else ""),
                "per month": money(r.monthly_cost_usd),
                "per kept image": money(r.cost_per_image_usd),
                "people /month": money(r.cost_breakdown_usd.get("people", 0.0)),
                "licence": licence_text(r),
                f"quality ({res.quality_scale})": "unscored" if r.quality_value is None else f"{r.quality_value:.0f}",
                "keep rate": f"{r.keep_rate:.0%}",
            })
            rows_out[-1] = {**{k: v for k, v in rows_out[-1].items() if k in ("model", "how", "card", "s/image")},
                            "practical": ("no: " + o.not_practical.removeprefix("not practical: "))
                            if o is not None and o.not_practical else "yes",
                            **{k: v for k, v in rows_out[-1].items()
                               if k not in ("model", "how", "card", "s/image")}}
            if o is not None:
                for p in option_prices(o, catalog, engine.scenario, today, engine.assumptions):
                    if p.needs_check and p.field not in seen_fields:
                        seen_fields.add(p.field)
                        warnings.append(f"{p.what} ({p.problem.split(';')[0].replace('stale (', '')})"
                                        if p.stale else f"{p.what} ({p.problem})")
                        details.append(tables.price_warning_text(p))
            if not r.license_fee_known and r.license_paid and len(bullets) < 4:
                be = r.break_even_license_fee_usd_per_month
                bullets.append(f"{tables.short_name(m.name)} {tables.where_label(o, catalog) if o else r.kind}: "
                               f"licence fee not set; "
                               + (f"beats its API while the fee is under {money(be)}/month." if be else
                                  "its API is cheaper even with a free licence."))
    labels = {}
    for m in res.models:
        for r in m.rows:
            o = options.get(r.option_id)
            where = tables.where_label(o, catalog) if o is not None else r.kind
            card = f" · {tables.card_label(r.gpu, catalog)}" if r.gpu else ""
            labels[r.option_id] = f"{tables.short_name(m.name)} · {where}{card}"
    crossings = []
    for m in res.models:
        n = m.self_host_overtakes_api_images_per_month
        host = next((r for r in m.rows if r.kind == "own"), None) or next((r for r in m.rows if r.kind == "buy"), None)
        if n and host is not None and (host.capacity_images_per_month is None or n <= host.capacity_images_per_month):
            cost = tco.linear_cost_usd_per_month(host.fixed_usd_per_month, host.variable_usd_per_image, n)
            crossings.append((f"{tables.short_name(m.name)}: self-hosting overtakes its API", n, cost))
    cards = []
    for m in res.models:
        lines = [overtake_text(m, m.rows, volume, catalog)]
        if m.break_even_license_fee_usd_per_month is not None:
            lines.append(f"Break-even licence fee: {money(m.break_even_license_fee_usd_per_month)}/month at this "
                         f"volume.")
        q = m.headline_quality
        lines.append(f"Quality on {res.quality_scale}: " + (f"{q['value']:g} (n = {q['sample_size'] or 'not published'}"
                                                             f", {q['as_of']})" if q else "unscored"))
        cards.append({"name": tables.short_name(m.name), "license": m.license, "lines": lines})
    return CompareView(title=title, answer=answer, headline=headline, bullets=bullets, warnings=warnings,
                       rows=rows_out, models=cards, warning_details=details, labels=labels, crossings=crossings)


def recommend_answer(result: Any, catalog: Any) -> str:
    """The recommendation in one or two sentences: what, what it costs, and the runner-up's gap."""
    rec = result.recommendation
    best = result.option(rec.option_id) if rec is not None and rec.option_id else None
    if best is None:
        return "No option meets every constraint (see the excluded options)."
    text = (f"{tables.human_label(best, catalog)}: {money(best.monthly_cost_usd)}/month "
            f"({money(best.cost_per_image_usd * 1000)} per 1,000 images).")
    runner_id = getattr(rec, "runner_up_id", None)
    runner = next((o for o in result.options if o.id == runner_id), None) if runner_id else None
    if runner is not None:
        gap = runner.monthly_cost_usd - best.monthly_cost_usd
        more = "at the same price" if gap < 0.005 else f"{money(gap)}/month more"
        text += f" Next: {tables.human_label(runner, catalog)}, {more}."
    return text


def frontier_line(result: Any, catalog: Any) -> str | None:
    """The cost-quality frontier (``Result.frontier``) in one line, with the quality warning when the pick scores
    below the models the scenario names; None when the result has no scored frontier."""
    summary = getattr(result, "frontier", None) or {}
    if not summary.get("steps"):
        return None
    snap = f", snapshot {summary['snapshot']}" if summary.get("snapshot") else ""
    line = f"{summary['text']} ({summary['scale_name']}{snap})."
    if summary.get("warning"):
        line += " " + summary["warning"]
    return line


def crossing_lines(result: Any, catalog: Any) -> list[str]:
    """The capacity-aware crossings between the leading option of each kind, one line each, for people."""
    from advisor.decide.crossings import kind_crossings

    by_id = {o.id: o for o in result.options}
    out = []
    for c in kind_crossings(result):
        a, b = by_id[c.a], by_id[c.b]
        la, lb = tables.human_label(a, catalog), tables.human_label(b, catalog)
        if c.status == "crosses":
            low = la if c.cheaper_below == a.id else lb
            out.append(f"{la} = {lb} at {c.images_per_month:,.0f} images/month ({low} is cheaper below).")
        elif c.status == "beyond capacity":
            out.append(f"{la} vs {lb}: they would cost the same only beyond capacity (the card tops out near "
                       f"{c.capacity_images_per_month:,.0f} images/month, 24/7).")
        else:
            cheaper = la if a.monthly_cost_usd <= b.monthly_cost_usd else lb  # lines that never cross: one is below
            out.append(f"{la} vs {lb}: never the same; {cheaper} is cheaper at every volume.")
    return out


#: flip-threshold inputs for people
INPUT_NAMES = {"volume_images_per_month": "images per month", "electricity_usd_per_kwh": "electricity price",
               "gpu_price_factor": "GPU purchase price (x catalog)", "license_fee_usd_per_month": "licence fee",
               "rental_price_end": "rental price (low..high quote)", "hourly_rate_usd": "people's hourly rate",
               "simulator_error_factor": "simulator error (x seconds per image)"}


def flip_rows(flips: list[dict[str, Any]], labels: dict[str, str]) -> list[dict[str, str]]:
    """Flip thresholds (``Risk.flip_thresholds``) as rows for people: input, when, winner; numbers rounded."""
    out = []
    for f in flips:
        unit = f.get("unit") or ""
        name = INPUT_NAMES.get(f.get("input"), str(f.get("input", "")).replace("_", " "))
        value = number(f.get("threshold"), 3, trim=True)
        base = number(f.get("base_value"), 3, trim=True)
        money_unit = unit.startswith("USD")
        if money_unit:
            per = unit[3:].lstrip("/")
            value = money(f.get("threshold")) + (f"/{per}" if per else "")
            base = money(f.get("base_value")) + (f"/{per}" if per else "")
            unit = ""
        out.append({"input": name, "answer changes when": f"{f.get('direction', '')} {value} {unit}".strip(),
                    "now": f"{base} {unit}".strip(),
                    "new answer": labels.get(f.get("winner_id"), f.get("winner_label") or "")})
    return out
