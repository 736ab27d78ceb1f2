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
    warnings: list[str]  # stale or flagged prices behind the rows shown
    rows: list[dict[str, Any]]  # the deployments table, text for people
    models: list[dict[str, Any]] = field(default_factory=list)  # {name, license, lines}


def short_bullets(reasons: list[str], words: int = BULLET_WORDS) -> list[str]:
    """Each reason cut to its first sentence, and that to ``words`` words (with '…' when cut)."""
    out = []
    for r in reasons:
        first = re.split(r"(?<=[.;])\s+(?=[A-Z(])", str(r).strip(), maxsplit=1)[0]
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


def overtake_text(model: Any, rows: list[Any], volume: float) -> str:
    """Where self-hosting overtakes the model's own cheapest API, capacity-aware: a crossing beyond what the
    card(s) can make in a month (24/7) is 'beyond capacity', never a volume; 'already cheaper' when self-hosting
    costs less at this volume; 'never' when it costs more per image."""
    host = next((r for r in rows if r.kind == "own"), None) or next((r for r in rows if r.kind == "buy"), None)
    api = next((r for r in rows if r.kind == "api"), None)
    if host is None or api is None:
        return "No self-host and API pair to compare."
    where = "your card" if host.kind == "own" else f"a bought {host.gpu}"
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
    seen_fields: set[str] = set()
    for m in res.models:
        for r in m.rows:
            o = options.get(r.option_id)
            api = catalog.apis.get(o.offer) if (o is not None and o.deployment == "api") else None
            rows_out.append({
                "model": tables.short_name(m.name),
                "how": tables.where_label(o, catalog) if o is not None else r.kind,
                "card": tables.card_label(r.gpu, catalog),
                "setting": (getattr(o, "setting_label", None) or tables.precision_label(r.precision)
                            + (f", {r.offload} offload" if r.offload not in (None, "none", "auto") else "")),
                "s/image": seconds_text(r.seconds_per_image, api),
                "per month": money(r.monthly_cost_usd),
                "per kept image": money(r.cost_per_image_usd),
                "people /month": money(r.cost_breakdown_usd.get("people", 0.0)),
                "licence": licence_text(r),
                f"quality ({res.quality_scale})": "unscored" if r.quality_value is None else f"{r.quality_value:.0f}",
                "keep rate": f"{r.keep_rate:.0%}",
            })
            if o is not None:
                for p in option_prices(o, catalog, engine.scenario, today, engine.assumptions):
                    if p.needs_check and p.field not in seen_fields:
                        seen_fields.add(p.field)
                        warnings.append("Check this price before deciding: " + tables.price_warning_text(p))
            if not r.license_fee_known and r.license_paid and len(bullets) < 4:
                be = r.break_even_license_fee_usd_per_month
                bullets.append(f"{tables.short_name(m.name)} {tables.where_label(o, catalog) if o else r.kind}: "
                               f"licence fee not set; "
                               + (f"beats its API while the fee is under {money(be)}/month." if be else
                                  "its API is cheaper even with a free licence."))
    cards = []
    for m in res.models:
        lines = [overtake_text(m, m.rows, volume)]
        if m.break_even_license_fee_usd_per_month is not None:
            lines.append(f"Break-even licence fee: {money(m.break_even_license_fee_usd_per_month)}/month at this "
                         f"volume.")
        q = m.headline_quality
        lines.append(f"Quality on {res.quality_scale}: " + (f"{q['value']:g} (n = {q['sample_size'] or 'not published'}"
                                                             f", {q['as_of']})" if q else "unscored"))
        cards.append({"name": tables.short_name(m.name), "license": m.license, "lines": lines})
    return CompareView(title=title, answer=answer, headline=headline, bullets=bullets, warnings=warnings,
                       rows=rows_out, models=cards)
