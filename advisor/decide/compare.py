"""Model against model: the studio's question ("Z-Image Turbo or FLUX.2 [dev] on our card, or an API?").

:func:`compare` is the one orchestrator: it prices every option once with :func:`advisor.decide.engine.recommend`
(same costs, licence fees, people's time and keep rates as ``advisor recommend``) and, for each compared model,
picks the deployments a studio weighs:

* ``own``  - the best setting on the owned card (precision and offload that fit, with seconds per image);
* ``buy``  - buying the cheapest card that runs the model (lowest purchase price, then lowest monthly cost);
* ``rent`` - the cheapest rental;
* ``api``  - every API that serves that same model.

For each model it adds the quality figures (each on its own scale, with n, interval and source), the keep-rate
facts, the licence, the volume at which self-hosting overtakes the model's own cheapest API, the break-even licence
fee, and monthly-cost-vs-volume lines per deployment. Nothing is recomputed outside the engine: a row's numbers
are the engine option's numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from advisor.catalog import Catalog, load_catalog, load_catalog_with_overrides
from advisor.cost import tco
from advisor.cost.scenario import Scenario
from advisor.decide.crossings import capacity_images_per_month
from advisor.decide.engine import Estimator, Option, Result, recommend
from advisor.decide.frontier import frontier_summary
from advisor.errors import InputError, UnknownSlugError
from advisor.fmt import usd as _usd
from advisor.perf import estimate

KINDS = ("own", "buy", "rent", "api")
#: volumes of the cost-vs-volume chart [images/month] (log-spaced 10 .. 1e6, plus the scenario's volume)
CURVE_VOLUMES: tuple[float, ...] = tuple(float(round(10 ** (1 + k * 5 / 30), 6)) for k in range(31))


@dataclass
class DeploymentRow:
    """One way to make one model's images; every number is the engine option's."""

    model: str
    kind: str  # own | buy | rent | api
    option_id: str
    label: str
    gpu: str | None
    precision: str | None
    offload: str | None
    provider: str | None
    seconds_per_image: float | None  # [s]; None for APIs (no sourced latency)
    gpu_seconds_per_kept_image: float | None  # [s]
    monthly_cost_usd: float  # [USD/month]
    cost_per_image_usd: float  # [USD/image kept]
    cost_breakdown_usd: dict[str, float]  # [USD/month], incl. 'people'
    monthly_cost_without_people_usd: float  # [USD/month]: the answer with people's time set to zero
    license: str
    license_fee_known: bool
    license_paid: bool
    keep_rate: float
    quality_value: float | None
    quality_scale: str | None
    purchase_usd: float | None = None
    payback_months: float | None = None
    payback_against: str | None = None
    break_even_license_fee_usd_per_month: float | None = None
    #: the same with people's time set to zero [USD/month]
    break_even_license_fee_without_people_usd_per_month: float | None = None
    fixed_usd_per_month: float = 0.0
    variable_usd_per_image: float = 0.0
    capacity_images_per_month: float | None = None  # one card, 24/7 [images/month]; None for APIs and rentals
    #: THE label of the setting (weights, matmuls, compile, attention, cache, steps, offload; advisor.perf.settings)
    setting: str = ""
    #: relative band of seconds_per_image (the simulator's, as risk uses it) [-]; None for APIs
    speed_band: float | None = None
    #: why the band is wide (GPU family from specs only or one or two measured runs); '' otherwise
    speed_basis: str = ""


@dataclass
class ModelAnswer:
    model: str
    name: str
    license: str
    rows: list[DeploymentRow]
    quality: list[dict[str, Any]]  # every figure: scale, scale_name, value, low, high, sample_size, source, as_of
    keep_facts: list[dict[str, Any]]
    notes: list[str]  # e.g. why there is no 'own' row
    #: self-host (own, else buy) vs this model's cheapest API: the volume where their lines cross [images/month]
    self_host_overtakes_api_images_per_month: float | None = None
    overtake_pair: tuple[str, str] | None = None
    break_even_license_fee_usd_per_month: float | None = None
    #: the figure on the result's quality scale the rows use (latest as_of on that scale); None = unscored
    headline_quality: dict[str, Any] | None = None


@dataclass
class CompareResult:
    scenario: dict[str, Any]
    use: str  # commercial | personal
    quality_scale: str
    models: list[ModelAnswer]
    pairwise: list[dict[str, Any]]
    recommendation: dict[str, Any]
    curves: list[dict[str, Any]] = field(default_factory=list)  # {model, kind, label, volumes, monthly_cost_usd}
    engine: Result | None = None  # the full engine result the rows come from
    #: published head-to-heads that involve a compared model but tested another variant or checkpoint on the other
    #: side (e.g. fal's distilled FLUX.2 [dev] Flash): not shown as results, only named ({id, model_a, model_b,
    #: variant_a, variant_b, why})
    pairwise_not_shown: list[dict[str, Any]] = field(default_factory=list)
    #: the cost-quality frontier over every priced option, and the compared models scoring above the answer
    #: (advisor.decide.frontier.frontier_summary)
    frontier: dict[str, Any] | None = None

    def rows(self) -> list[DeploymentRow]:
        return [r for m in self.models for r in m.rows]

    def to_json_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "use": self.use, "quality_scale": self.quality_scale,
                "recommendation": self.recommendation,
                "models": [asdict(m) for m in self.models], "pairwise": self.pairwise,
                "pairwise_not_shown": self.pairwise_not_shown, "frontier": self.frontier, "curves": self.curves}


CSV_COLUMNS = ("model", "kind", "option_id", "label", "gpu", "precision", "offload", "provider", "seconds_per_image",
               "gpu_seconds_per_kept_image", "monthly_cost_usd", "cost_per_image_usd", "hardware_usd_per_month",
               "electricity_usd_per_month", "license_usd_per_month", "api_usd_per_month", "rental_usd_per_month",
               "people_usd_per_month", "monthly_cost_without_people_usd", "license", "license_fee_known",
               "break_even_license_fee_usd_per_month", "keep_rate", "quality_scale", "quality_value",
               "purchase_usd", "payback_months", "self_host_overtakes_api_images_per_month", "use", "speed_band")


def csv_rows(res: CompareResult) -> list[dict[str, Any]]:
    """One dict per deployment row, keys :data:`CSV_COLUMNS` (the CLI CSV and the app's download)."""
    out = []
    for m in res.models:
        for r in m.rows:
            b = r.cost_breakdown_usd
            out.append({
                "model": r.model, "kind": r.kind, "option_id": r.option_id, "label": r.label, "gpu": r.gpu,
                "precision": r.precision, "offload": r.offload, "provider": r.provider,
                "seconds_per_image": r.seconds_per_image, "gpu_seconds_per_kept_image": r.gpu_seconds_per_kept_image,
                "monthly_cost_usd": r.monthly_cost_usd, "cost_per_image_usd": r.cost_per_image_usd,
                "hardware_usd_per_month": b.get("hardware", 0.0), "electricity_usd_per_month": b.get("electricity", 0.0),
                "license_usd_per_month": b.get("license", 0.0), "api_usd_per_month": b.get("api", 0.0),
                "rental_usd_per_month": b.get("rental", 0.0), "people_usd_per_month": b.get("people", 0.0),
                "monthly_cost_without_people_usd": r.monthly_cost_without_people_usd, "license": r.license,
                "license_fee_known": r.license_fee_known,
                "break_even_license_fee_usd_per_month": r.break_even_license_fee_usd_per_month,
                "keep_rate": r.keep_rate, "quality_scale": r.quality_scale, "quality_value": r.quality_value,
                "purchase_usd": r.purchase_usd, "payback_months": r.payback_months,
                "self_host_overtakes_api_images_per_month": m.self_host_overtakes_api_images_per_month,
                "use": res.use, "speed_band": r.speed_band,
            })
    return out


# --- steps -----------------------------------------------------------------------------------------------------------

def known_models(catalog: Catalog) -> dict[str, str]:
    """Model slug -> display name: every pipeline, and every active API offer's model."""
    out = {slug: p.name for slug, p in catalog.pipelines.items()}
    for a in catalog.apis.values():
        if getattr(a, "status", "active") == "active" and a.model_slug not in out:
            out[a.model_slug] = getattr(a, "name", None) or a.model_slug
    return out


def check_models(models: list[str], catalog: Catalog) -> list[str]:
    """The distinct compared models in order; InputError for fewer than two, UnknownSlugError for an unknown one."""
    names = known_models(catalog)
    for m in models:
        if m not in names:
            raise UnknownSlugError("--pipeline", m, names)
    distinct = list(dict.fromkeys(models))
    if len(distinct) < 2:
        raise InputError("--pipeline", models, "at least two different pipelines (repeat --pipeline A --pipeline B)")
    return distinct


def short_label(r: "DeploymentRow") -> str:
    """A row's deployment in a few words: 'own rtx-4090 fp8 (model offload)', 'rent runpod ...', 'api fal.ai'."""
    if r.kind == "api":
        return f"api {r.provider}"
    off = f" ({r.offload} offload)" if r.offload not in (None, "none", "auto") else ""
    where = f" {r.provider}" if r.kind == "rent" and r.provider else ""
    if r.setting:  # the whole setting, offload included (advisor.perf.settings.setting_label)
        return f"{r.kind}{where} {r.gpu}: {r.setting}"
    return f"{r.kind}{where} {r.gpu} {r.precision}{off}"


def _row(o: Option, kind: str) -> DeploymentRow:
    capacity = capacity_images_per_month(o)  # one card(s) 24/7; None for rentals and APIs
    return DeploymentRow(
        model=o.model, kind=kind, option_id=o.id, label=o.label, gpu=o.gpu, precision=o.precision, offload=o.offload,
        provider=o.provider, seconds_per_image=o.seconds_per_image, gpu_seconds_per_kept_image=o.gpu_seconds_per_kept_image,
        monthly_cost_usd=o.monthly_cost_usd, cost_per_image_usd=o.cost_per_image_usd,
        cost_breakdown_usd=dict(o.cost_breakdown_usd),
        monthly_cost_without_people_usd=o.monthly_cost_usd - o.cost_breakdown_usd.get("people", 0.0),
        license=o.license, license_fee_known=o.license_fee_known, license_paid=o.license_paid, keep_rate=o.keep_rate,
        quality_value=o.quality_elo, quality_scale=o.quality_scale, purchase_usd=o.purchase_usd,
        payback_months=o.payback_months, payback_against=o.payback_against,
        break_even_license_fee_usd_per_month=o.break_even_license_fee_usd_per_month,
        fixed_usd_per_month=o.fixed_usd_per_month, variable_usd_per_image=o.variable_usd_per_image,
        capacity_images_per_month=capacity, setting=getattr(o, "setting", ""),
        speed_band=(o.simulator_uncertainty or None) if o.seconds_per_image is not None else None,
        speed_basis=getattr(o, "speed_basis", ""))


def _add_fee_without_people(rows: list[DeploymentRow]) -> None:
    """Break-even licence fee of each self-host/rental row with people's time at zero (vs the cheapest API row)."""
    api = next((r for r in rows if r.kind == "api"), None)
    for r in rows:
        if api is not None and r.kind != "api" and r.license_paid:
            without = r.monthly_cost_without_people_usd - r.cost_breakdown_usd.get("license", 0.0)
            r.break_even_license_fee_without_people_usd_per_month = tco.break_even_license_fee_usd_per_month(
                api.monthly_cost_usd, without)


def pick_rows(result: Result, model: str) -> list[DeploymentRow]:
    """The deployments of ``model`` a studio weighs (see the module docstring), in the order own, buy, rent, api."""
    mine = [o for o in result.options if o.model == model]
    cheapest = lambda xs: min(xs, key=lambda o: (o.monthly_cost_usd, o.id), default=None)  # noqa: E731
    rows = []
    own = cheapest([o for o in mine if o.hardware == "owned"])
    if own:
        rows.append(_row(own, "own"))
    buys = [o for o in mine if o.hardware == "purchase"]
    buys = [o for o in buys if not o.not_practical] or buys  # the cheapest card people can work with
    if buys:
        rows.append(_row(min(buys, key=lambda o: (o.purchase_usd or math.inf, o.monthly_cost_usd, o.id)), "buy"))
    rent = cheapest([o for o in mine if o.deployment == "cloud-gpu"])
    if rent:
        rows.append(_row(rent, "rent"))
    rows += [_row(o, "api") for o in sorted((o for o in mine if o.deployment == "api"),
                                            key=lambda o: (o.monthly_cost_usd, o.id))]
    _add_fee_without_people(rows)
    return rows


def quality_facts(catalog: Catalog, model: str) -> list[dict[str, Any]]:
    """Every quality figure of ``model`` with its scale's name, interval, sample size and source (never averaged)."""
    book = catalog.quality
    out = []
    for f in book.figures_for(model):
        iv = f.interval()
        out.append({"scale": f.scale, "scale_name": book.scales[f.scale].name, "value": f.value,
                    "low": iv[0] if iv else None, "high": iv[1] if iv else None, "sample_size": f.sample_size,
                    "source": f.source, "as_of": f.as_of, "solidity": f.solidity, "note": f.note})
    return out


def keep_facts(catalog: Catalog, model: str) -> list[dict[str, Any]]:
    out = []
    for k in catalog.quality.keep_facts(model):
        ci = k.wilson()
        out.append({"kind_of_work": k.kind_of_work, "metric": k.metric, "criterion": k.criterion, "value": k.value,
                    "value_qualifier": k.value_qualifier, "n": k.n, "wilson_low": ci[0] if ci else None,
                    "wilson_high": ci[1] if ci else None, "gpu": k.gpu, "source": k.source, "as_of": k.as_of,
                    "solidity": k.solidity})
    return out


def _side(model: str, variant: str | None) -> str:
    return f"{model} [{variant}]" if variant else model


def pairwise_facts(catalog: Catalog, models: list[str]) -> list[dict[str, Any]]:
    """Published head-to-heads between two compared models, each side named with the exact variant tested, with
    95% Wilson intervals. A record whose side is another model slug (a distilled serving variant such as
    ``flux-2-dev-flash``, or a relative such as the Z-Image base checkpoint) did not test the compared model and is
    left out (:func:`pairwise_not_shown` names it)."""
    wanted = set(models)
    out = []
    for p in catalog.quality.pairwise:
        if p.model_a == p.model_b or not {p.model_a, p.model_b} <= wanted:
            continue
        out.append({
            "id": p.id, "model_a": p.model_a, "model_b": p.model_b, "variant_a": p.variant_a,
            "variant_b": p.variant_b, "label_a": _side(p.model_a, p.variant_a),
            "label_b": _side(p.model_b, p.variant_b), "a_wins": p.a_wins, "ties": p.ties,
            "b_wins": p.b_wins, "n": p.n, "n_unit": p.n_unit, "a_wins_wilson": list(p.wilson(p.a_wins)),
            "b_wins_wilson": list(p.wilson(p.b_wins)), "source": p.source, "as_of": p.as_of,
            "solidity": p.solidity, "note": p.note, "related": None})
    return out


def pairwise_not_shown(catalog: Catalog, models: list[str]) -> list[dict[str, Any]]:
    """Head-to-heads with one compared model on one side and, on the other, a model that is not compared but
    shares a compared model's name or family (a variant or checkpoint of it), so that the user knows why a result
    they may have seen elsewhere is not shown."""
    wanted = set(models)
    out = []
    for p in catalog.quality.pairwise:
        sides = {p.model_a, p.model_b}
        if sides <= wanted or not sides & wanted:
            continue
        other = next(x for x in (p.model_a, p.model_b) if x not in wanted)
        kin = next((m for m in models if other.startswith(m) or m.startswith(other)), None)
        if kin is None:
            continue
        out.append({"id": p.id, "model_a": p.model_a, "model_b": p.model_b, "variant_a": p.variant_a,
                    "variant_b": p.variant_b,
                    "why": f"its side {_side(other, p.variant_a if other == p.model_a else p.variant_b)} is not "
                           f"{kin}"})
    return out


def curves(model_rows: list[DeploymentRow], volume: float) -> list[dict[str, Any]]:
    """Monthly cost vs volume per deployment from each row's linear decomposition ``fixed + per_image x n``
    [USD/month]; a self-host line stops at its cards' 24/7 capacity."""
    vols = sorted(set(CURVE_VOLUMES) | {float(volume)})
    out = []
    for r in model_rows:
        xs = [v for v in vols if r.capacity_images_per_month is None or v <= r.capacity_images_per_month]
        out.append({"model": r.model, "kind": r.kind, "label": r.label, "option_id": r.option_id, "volumes": xs,
                    "monthly_cost_usd": [tco.linear_cost_usd_per_month(r.fixed_usd_per_month, r.variable_usd_per_image,
                                                                       v) for v in xs]})
    return out


def _overtake(rows: list[DeploymentRow]) -> tuple[float | None, tuple[str, str] | None, float | None]:
    host = next((r for r in rows if r.kind == "own"), None) or next((r for r in rows if r.kind == "buy"), None)
    api = next((r for r in rows if r.kind == "api"), None)
    if host is None or api is None:
        return None, None, None
    n = tco.break_even_images_per_month(host.fixed_usd_per_month, host.variable_usd_per_image,
                                        api.fixed_usd_per_month, api.variable_usd_per_image)
    return n, (host.option_id, api.option_id), host.break_even_license_fee_usd_per_month


def _decision(res_models: list[ModelAnswer], use: str) -> dict[str, Any]:
    rows = [r for m in res_models for r in m.rows if r.license_fee_known]
    if not rows:
        return {"option_id": None, "reasons": ["No compared deployment has a complete cost (licence fee unknown)."]}
    rows.sort(key=lambda r: (r.monthly_cost_usd, r.option_id))
    top = rows[0]
    runner = next((r for r in rows[1:] if r.model != top.model), None)
    reasons = [f"Assumed {use} use.",
               f"Cheapest complete answer: {top.label} at {_usd(top.monthly_cost_usd)}/month "
               f"({_usd(top.cost_per_image_usd)} per kept image)."]
    if runner is not None:
        reasons.append(f"Best for the other model: {runner.label} at {_usd(runner.monthly_cost_usd)}/month, "
                       f"{_usd(runner.monthly_cost_usd - top.monthly_cost_usd)}/month more.")
    no_people = min(rows, key=lambda r: (r.monthly_cost_without_people_usd, r.option_id))
    if no_people.option_id != top.option_id:
        reasons.append(f"With people's time set to zero the answer changes to {no_people.label} "
                       f"({_usd(no_people.monthly_cost_without_people_usd)}/month).")
    else:
        reasons.append("With people's time set to zero the answer stays the same.")
    unknown = [r for m in res_models for r in m.rows if not r.license_fee_known]
    for r in unknown[:2]:
        be = r.break_even_license_fee_usd_per_month
        be0 = r.break_even_license_fee_without_people_usd_per_month
        zero = (f" With people's time at zero it would beat it while the licence costs less than {_usd(be0)} a month."
                if be0 is not None else " Even with people's time at zero it would not.")
        reasons.append((f"{r.label}: licence fee not set; it beats its model's cheapest API while the licence costs "
                        f"less than {_usd(be)} a month at this volume." if be is not None else
                        f"{r.label}: licence fee not set; it costs more than its model's cheapest API even with a "
                        f"free licence.") + zero)
    return {"option_id": top.option_id, "runner_up_id": runner.option_id if runner else None, "reasons": reasons,
            "option_id_without_people": no_people.option_id}


# --- orchestrator ----------------------------------------------------------------------------------------------------

def compare(models: list[str], scenario: Scenario, catalog: Catalog | None = None,
            estimator: Estimator = estimate) -> CompareResult:
    """Answer "model A or model B (or ...), on my card, bought, rented or via an API?" for ``scenario``.

    Parameters
    ----------
    models : list of str
        At least two distinct model slugs (pipeline slugs, or API-only models' slugs).
    scenario : Scenario
        Volume, owned GPU, use (commercial by default), licence fees, keep rates, people's time.
    catalog, estimator
        As :func:`advisor.decide.engine.recommend`.
    """
    if catalog is None:
        catalog = load_catalog_with_overrides(scenario.overrides) if scenario.overrides else load_catalog()
    models = check_models(models, catalog)
    result = recommend(scenario, catalog, estimator)
    names = known_models(catalog)
    answers = []
    all_curves: list[dict[str, Any]] = []
    for m in models:
        rows = pick_rows(result, m)
        notes = [f"{e.id}: {' '.join(e.reasons)}" for e in result.excluded
                 if (e.pipeline == m or e.id.endswith(f":{m}")) and e.deployment == "self-host"
                 and (scenario.gpu_owned is None or e.gpu in (scenario.gpu_owned, None))][:3]
        if not any(r.kind == "api" for r in rows):
            notes.append(f"No API in the catalog serves {m}.")
        pipe = catalog.pipelines.get(m)
        lic = rows[0].license if rows else ""
        if pipe is not None and not lic:
            lic = pipe.license.name
        n, pair, fee = _overtake(rows)
        scale = result.assumptions.get("quality_scale", "")
        f = catalog.quality.figure(m, scale)  # the model as released (a tiered model: per-tier figures in its rows)
        headline = next((q for q in quality_facts(catalog, m) if f is not None and q["scale"] == f.scale
                         and q["as_of"] == f.as_of and q["value"] == f.value), None)
        answers.append(ModelAnswer(
            model=m, name=names[m], license=next((r.license for r in rows if r.kind != "api"), lic), rows=rows,
            quality=quality_facts(catalog, m), keep_facts=keep_facts(catalog, m), notes=notes,
            self_host_overtakes_api_images_per_month=n, overtake_pair=pair, break_even_license_fee_usd_per_month=fee,
            headline_quality=headline))
        all_curves += curves(rows, scenario.volume_images_per_month)
    use = result.use
    decision = _decision(answers, use)
    # what quality costs among the compared models: said when the cheapest answer scores below another of them
    front = frontier_summary(result, catalog, named_models=models, pick_id=decision.get("option_id"))
    if front["warning"]:
        decision["reasons"].insert(2, front["warning"])
    return CompareResult(
        scenario=result.scenario, use=use, quality_scale=result.assumptions.get("quality_scale", ""),
        models=answers, pairwise=pairwise_facts(catalog, models), recommendation=decision,
        curves=all_curves, engine=result, pairwise_not_shown=pairwise_not_shown(catalog, models),
        frontier=front)
