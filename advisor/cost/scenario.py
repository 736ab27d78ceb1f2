"""The scenario: what a studio wants to generate and what it has (validated input of every orchestrator).

Bad values raise :class:`advisor.errors.InputError` naming the field, the value and what is allowed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from advisor.cost import tco
from advisor.catalog.base import Strict
from advisor.errors import InputError

KINDS_OF_WORK: tuple[str, ...] = ("general", "portrait", "text-in-image-english", "text-in-image-chinese")

#: the example scenario shipped with the package (the app opens on it)
EXAMPLE_SCENARIO = Path(__file__).resolve().parent / "scenarios" / "example.yaml"

MAX_VOLUME_IMAGES_PER_MONTH = 1e9  # beyond any single buyer (1e9/month = 385 images per second, nonstop)
MAX_MEGAPIXELS = 16.0
#: needs that are hard capability constraints (a pipeline must have the capability)
CAPABILITY_NEEDS: tuple[str, ...] = ("chinese-text", "multi-reference")
#: needs that change the ranking, not the set of options
SOFT_NEEDS = frozenset({"quality"})
ALLOWED_NEEDS: tuple[str, ...] = (*CAPABILITY_NEEDS, *sorted(SOFT_NEEDS))

ALLOWED: dict[str, str] = {
    "volume_images_per_month": f"a finite number > 0 and <= {MAX_VOLUME_IMAGES_PER_MONTH:.0e} [images/month]",
    "megapixels": f"a number in (0, {MAX_MEGAPIXELS:g}] [MP, 1 MP = 1024 x 1024 pixels]",
    "width": "an integer multiple of 16 between 64 and 8192, given together with height [pixels]",
    "height": "an integer multiple of 16 between 64 and 8192, given together with width [pixels]",
    "gpu_owned": "a GPU slug from the catalog, or null",
    "electricity_usd_per_kwh": "a finite number in [0, 5] [USD/kWh], or null for the catalog default",
    "amortization_months": "a finite number in (0, 240] [months], or null for the catalog default",
    "commercial": "true or false",
    "needs": f"a list of {', '.join(ALLOWED_NEEDS)}",
    "deadline_hours": "a finite number in (0, 8760] [h], given together with batch_images",
    "batch_images": "an integer in [1, 1e8], given together with deadline_hours",
    "input_megapixels": f"a number in [0, {4 * MAX_MEGAPIXELS:g}] [MP of reference images per request]",
    "powered_on_hours_per_day": "a finite number in [0, 24] [h/day] the generating machine is switched on for this "
                                "work, or null (bought box: catalog default; owned GPU: on anyway, idle not counted)",
    "overrides": "a mapping of catalog section (gpus, pipelines, apis, rentals, defaults) -> slug -> fields",
    # issue 10: quality, licence fee, keep rates, people's time
    "min_quality": "SCALE:VALUE, a quality floor on one catalog scale (e.g. lmarena-t2i:1100), or null",
    "quality_scale": "a quality scale slug from profiles/quality.yaml used to rank and chart quality, or null "
                     "(lmarena-t2i; lmarena-image-edit when input_megapixels > 0)",
    "license_fee_usd_per_month": "a mapping of pipeline slug -> your commercial licence fee [USD/month], each from 0 to 100,000",
    "keep_rates": "a mapping of model slug -> share of generations you keep, from 0.01 to 1",
    "kind_of_work": f"one of {', '.join(KINDS_OF_WORK)} (picks the catalog keep rate)",
    "setup_hours": "hours to set up an owned or bought machine (drivers, stack, weights), one-off, >= 0 [h] "
                   "(amortised like hardware)",
    "upkeep_hours_per_month": "hours a month of software upkeep of any stack you run yourself (own, buy, rent), "
                              ">= 0 [h/month]",
    "hourly_rate_usd": "the studio's cost of one person-hour, >= 0 [USD/h]",
    "rental_setup_hours": "hours to set up a rented GPU (image/template, volume, scripts), one-off, in [0, 10000] "
                          "[h], or null for the stated default",
    "api_setup_hours": "hours to integrate an API, one-off, in [0, 10000] [h], or null for the stated default",
    "hardware_upkeep_hours_per_month": "hours a month of upkeep per owned or bought machine, in [0, 744] [h/month], "
                                       "or null for the stated default",
    "operator_minutes_per_session": "a person's minutes per rental session started and stopped by hand, in [0, 1440] "
                                    "[min], or null for the stated default (0 when a scheduler does it)",
    "reclaim_minutes_per_event": "a person's minutes per spot reclaim, in [0, 1440] [min], or null for the stated "
                                 "default",
    "owned_card_view": "holding (the owned card costs its used price's decline plus the cost of capital on its "
                       "resale value, what keeping it instead of selling it costs) or sunk (the purchase is sunk and "
                       "costs nothing)",
    "used_price_decline_per_month": "a fraction in [0, 1] [per month] the owned card's used price falls, or null for "
                                    "the stated default",
    "cost_of_capital_per_year": "a fraction in [0, 1] [per year] (0.08 = 8 %/year), or null for the stated default",
    "selling_fee_fraction": "a fraction in [0, 1] of a used card's price that selling it costs (marketplace fee), or "
                            "null for the stated default",
    "owned_card_resale_usd": "what the owned card would sell for today, in [0, 1e6] [USD], or null for the "
                             "catalog's used price",
    # the setting and the machine around the card (advisor.perf.settings, advisor.decide.market.host_fit)
    "steps_preset": "studio (the steps studios run, sourced per pipeline) or library (the library's own call)",
    "host_ram_gb": "the host RAM of the machine your GPU is in, in [1, 4096] [GB], or null for the stated default",
    # issue 11: turnaround (who waits, how long they may wait) and risk (spread of the inputs)
    "team_size": "an integer in [1, 100000] [people sending requests], or null (no turnaround check)",
    "requests_per_person_per_hour": "a finite number in (0, 3600] [requests per person per working hour], or null "
                                    "(derived from the monthly volume)",
    "bursts": "a list of {at_hour: number >= 0 and < working_hours_per_day, requests: integer >= 1} [requests per "
              "person at that hour of each working day], or null",
    "images_per_request": "an integer in [1, 10000] [images per request], or null for 1",
    "working_hours_per_day": "a finite number in (0, 24] [h/day], or null for 8",
    "working_days": "an integer in [1, 31] [working days simulated], or null for 5",
    "p95_target_minutes": "a finite number in (0, 10080] [min] within which 95 % of requests must be done (needs "
                          "team_size), or null",
    "api_concurrency_limit": "an integer in [1, 100000] [API calls in flight], or null for the catalog's or 4",
    "api_latency_seconds_per_image": "a finite number in (0, 3600] [s per API call], or null for the catalog's or 10",
    "volume_relative_sd": "a finite number in [0, 2] [coefficient of variation of the monthly volume], or null for "
                          "0.25",
    "electricity_usd_per_kwh_range": "a [low, high] pair with 0 <= low <= high <= 5 [USD/kWh], or null for the "
                                     "price x [0.75, 1.25]",
    # issue 13: where the studio is and how it rents
    "region": "a region slug from profiles/tariffs.yaml (sets the electricity price unless electricity_usd_per_kwh "
              "is given), or null",
    "currency": "USD, EUR or GBP (amounts are computed in USD and also shown converted at the catalog's dated rate)",
    "sessions_per_working_day": "a finite number in (0, 48] [rental start-ups per working day], or null for the "
                                "catalog default",
    "working_days_per_month": "a finite number in (0, 31] [d/month], or null for the catalog default",
    "rental_storage": "auto (the cheaper per offer), volume (keep the weights on a persistent volume) or download "
                      "(fetch the weights every session)",
    "pod_boot_seconds": "a finite number in [0, 3600] [s], or null (the offer's figure, else the catalog default)",
    "volume_read_gb_per_s": "a finite number in (0, 100] [GB/s], or null for the catalog default",
    "download_gb_per_s": "a finite number in (0, 100] [GB/s], or null for the catalog default",
    "spot_interruptions_per_hour": "a finite number in [0, 60] [reclaims per GPU-hour], or null for the catalog "
                                   "default",
}
#: people's time a studio example states (advisor/cost/scenarios/example.yaml and `advisor compare` defaults);
#: assumptions to replace, not measurements. The Scenario model itself defaults to 0 (people's time left out).
STUDIO_SETUP_HOURS = 8.0  # [h] one-off: install, download weights, test prompts
STUDIO_UPKEEP_HOURS_PER_MONTH = 2.0  # [h/month]: driver/library updates, failed runs
STUDIO_HOURLY_RATE_USD = 50.0  # [USD/h]


def with_studio_people_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the stated people's-time defaults (:data:`STUDIO_SETUP_HOURS`, ...) where it gives none: what
    the CLI commands use when no scenario file is given (a file's own values, or their absence = 0, are kept)."""
    out = dict(data)
    out.setdefault("setup_hours", STUDIO_SETUP_HOURS)
    out.setdefault("upkeep_hours_per_month", STUDIO_UPKEEP_HOURS_PER_MONTH)
    out.setdefault("hourly_rate_usd", STUDIO_HOURLY_RATE_USD)
    return out


class Scenario(Strict):
    """What the user wants to generate and what they have. Bad values raise :class:`InputError`."""


    volume_images_per_month: float = Field(gt=0, le=MAX_VOLUME_IMAGES_PER_MONTH, allow_inf_nan=False)
    megapixels: float | None = Field(default=None, gt=0, le=MAX_MEGAPIXELS, allow_inf_nan=False)
    width: int | None = Field(default=None, ge=64, le=8192, multiple_of=16)
    height: int | None = Field(default=None, ge=64, le=8192, multiple_of=16)
    gpu_owned: str | None = None
    electricity_usd_per_kwh: float | None = Field(default=None, ge=0, le=5, allow_inf_nan=False)
    amortization_months: float | None = Field(default=None, gt=0, le=240, allow_inf_nan=False)
    commercial: bool = True  # studios are commercial (issue 10); every answer states which was assumed
    needs: list[Literal["chinese-text", "multi-reference", "quality"]] = []
    deadline_hours: float | None = Field(default=None, gt=0, le=8760, allow_inf_nan=False)
    batch_images: int | None = Field(default=None, ge=1, le=100_000_000)
    input_megapixels: float = Field(default=0.0, ge=0, le=4 * MAX_MEGAPIXELS, allow_inf_nan=False)
    powered_on_hours_per_day: float | None = Field(default=None, ge=0, le=24, allow_inf_nan=False)
    overrides: dict[str, Any] = {}
    min_quality: str | None = None  # SCALE:VALUE (checked against the catalog's scales by the engine)
    quality_scale: str | None = None
    license_fee_usd_per_month: dict[str, float] = {}  # pipeline slug -> [USD/month]
    keep_rates: dict[str, float] = {}  # model slug -> kept share (0, 1]
    kind_of_work: Literal["general", "portrait", "text-in-image-english", "text-in-image-chinese"] = "general"
    setup_hours: float = Field(default=0.0, ge=0, le=10_000, allow_inf_nan=False)  # [h]
    #: issue 12: let the recommender use quality-changing optimizations (step caching, W4A4, NVFP4)
    allow_quality_tradeoffs: bool = False
    #: steps and guidance of self-hosted and rented options: studio (sourced per pipeline) | library
    steps_preset: Literal["studio", "library"] = "studio"
    #: host RAM of the machine the owned GPU sits in [GB] (None: the catalog's stated default)
    host_ram_gb: float | None = Field(default=None, ge=1, le=4096, allow_inf_nan=False)
    upkeep_hours_per_month: float = Field(default=0.0, ge=0, le=744, allow_inf_nan=False)  # [h/month]
    hourly_rate_usd: float = Field(default=0.0, ge=0, le=10_000, allow_inf_nan=False)  # [USD/h]
    # people's time per deployment kind (advisor.cost.people; null -> the stated default when people's time is
    # counted, i.e. hourly_rate_usd > 0 and setup_hours or upkeep_hours_per_month > 0)
    rental_setup_hours: float | None = Field(default=None, ge=0, le=10_000, allow_inf_nan=False)  # [h]
    api_setup_hours: float | None = Field(default=None, ge=0, le=10_000, allow_inf_nan=False)  # [h]
    hardware_upkeep_hours_per_month: float | None = Field(default=None, ge=0, le=744, allow_inf_nan=False)
    operator_minutes_per_session: float | None = Field(default=None, ge=0, le=1440, allow_inf_nan=False)  # [min]
    reclaim_minutes_per_event: float | None = Field(default=None, ge=0, le=1440, allow_inf_nan=False)  # [min]
    # the owned card: holding cost (its used price's decline + cost of capital on it) or the sunk-cost view
    owned_card_view: Literal["holding", "sunk"] = "holding"
    used_price_decline_per_month: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)  # [1/month]
    cost_of_capital_per_year: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)  # [1/year]
    selling_fee_fraction: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)  # [1]
    owned_card_resale_usd: float | None = Field(default=None, ge=0, le=1_000_000, allow_inf_nan=False)  # [USD]
    # issue 11: turnaround (null -> defaults in advisor.decide.turnaround_rule) and risk (advisor.decide.risk)
    team_size: int | None = Field(default=None, ge=1, le=100_000)
    requests_per_person_per_hour: float | None = Field(default=None, gt=0, le=3600, allow_inf_nan=False)
    bursts: list[dict[str, Any]] | None = None
    images_per_request: int | None = Field(default=None, ge=1, le=10_000)
    working_hours_per_day: float | None = Field(default=None, gt=0, le=24, allow_inf_nan=False)
    working_days: int | None = Field(default=None, ge=1, le=31)
    p95_target_minutes: float | None = Field(default=None, gt=0, le=10_080, allow_inf_nan=False)
    api_concurrency_limit: int | None = Field(default=None, ge=1, le=100_000)
    api_latency_seconds_per_image: float | None = Field(default=None, gt=0, le=3600, allow_inf_nan=False)
    volume_relative_sd: float | None = Field(default=None, ge=0, le=2, allow_inf_nan=False)
    electricity_usd_per_kwh_range: tuple[float, float] | None = None
    # issue 13: where the studio is and how it rents (null -> catalog defaults, profiles/defaults.yaml)
    region: str | None = None
    currency: Literal["USD", "EUR", "GBP"] = "USD"
    sessions_per_working_day: float | None = Field(default=None, gt=0, le=48, allow_inf_nan=False)
    working_days_per_month: float | None = Field(default=None, gt=0, le=31, allow_inf_nan=False)
    rental_storage: Literal["auto", "volume", "download"] = "auto"
    pod_boot_seconds: float | None = Field(default=None, ge=0, le=3600, allow_inf_nan=False)
    volume_read_gb_per_s: float | None = Field(default=None, gt=0, le=100, allow_inf_nan=False)
    download_gb_per_s: float | None = Field(default=None, gt=0, le=100, allow_inf_nan=False)
    spot_interruptions_per_hour: float | None = Field(default=None, ge=0, le=60, allow_inf_nan=False)

    def __init__(self, **data: Any):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _input_error(exc, data) from None

    @field_validator("volume_images_per_month", "megapixels", "width", "height", "electricity_usd_per_kwh",
                     "amortization_months", "deadline_hours", "batch_images", "input_megapixels",
                     "powered_on_hours_per_day", "host_ram_gb", mode="before")
    @classmethod
    def _no_bool_numbers(cls, v: Any, info: Any) -> Any:
        """true/false is not a number (pydantic would read it as 1/0)."""
        if isinstance(v, bool):
            raise InputError(info.field_name, v, ALLOWED[info.field_name])
        return v

    @field_validator("*", mode="before")
    @classmethod
    def _no_text_numbers(cls, v: Any, info: Any) -> Any:
        """Text ('500') or true/false where a number belongs is refused, also as a value of the fee and keep-rate
        mappings (pydantic's lax mode would read '500' as 500 and true as 1.0)."""
        a = cls.model_fields[info.field_name].annotation
        ann = a.__name__ if isinstance(a, type) else str(a)
        vals = list(v.values()) if isinstance(v, dict) and ann.startswith("dict[str, float]") else (
            list(v) if isinstance(v, (list, tuple)) and ann.startswith("tuple[float") else [v])
        if ("float" in ann or "int" in ann) and (ann.startswith(("float", "int", "dict[str, float]", "tuple[float"))):
            bad = next((x for x in vals if isinstance(x, (bool, str))), None)
            if bad is not None:
                raise InputError(info.field_name, v if len(repr(v)) <= 80 else _short(v), ALLOWED.get(info.field_name, "a number (not text or "
                                                                                          "true/false)"))
        return v

    @field_validator("overrides", mode="before")
    @classmethod
    def _known_overrides(cls, v: Any) -> Any:
        """Overrides name catalog sections and fields only (checked before anything walks them)."""
        return check_overrides(v)

    @classmethod
    def from_dict(cls, data: Any) -> "Scenario":
        """Build from a parsed YAML/JSON mapping; errors are :class:`InputError`."""
        if not isinstance(data, dict):
            raise InputError("scenario", type(data).__name__, "a mapping of scenario fields")
        bad_keys = [k for k in data if not isinstance(k, str)]
        if bad_keys:  # YAML allows any key ('?' alone is a null key); a scenario field name is text
            raise InputError("scenario", bad_keys[0], "field names that are text, e.g. volume_images_per_month")
        return cls(**data)

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
        for slug, fee in self.license_fee_usd_per_month.items():  # bounds: advisor.cli._flags (a typo, not a fee)
            if not (isinstance(fee, (int, float)) and math.isfinite(fee) and 0 <= fee <= 100_000):
                raise InputError(f"license_fee_usd_per_month.{slug}", fee, "a number from 0 to 100,000 [USD/month]")
        for slug, keep in self.keep_rates.items():
            if not (isinstance(keep, (int, float)) and 0.01 <= keep <= 1):
                raise InputError(f"keep_rates.{slug}", keep, ALLOWED["keep_rates"])
        if self.megapixels is not None and self.width is not None:
            raise InputError("megapixels", self.megapixels, "either megapixels or width and height, not both")
        if (self.width is None) != (self.height is None):
            missing = "height" if self.height is None else "width"
            raise InputError(missing, None, ALLOWED[missing])
        if self.width is not None and self.width * self.height / tco.PIXELS_PER_MEGAPIXEL > MAX_MEGAPIXELS:
            raise InputError("width x height", f"{self.width}x{self.height}", f"at most {MAX_MEGAPIXELS:g} MP")
        if (self.deadline_hours is None) != (self.batch_images is None):
            missing = "batch_images" if self.batch_images is None else "deadline_hours"
            raise InputError(missing, None, ALLOWED[missing])
        _check_turnaround_fields(self)
        return self

    @property
    def output_megapixels(self) -> float:
        """Output size [MP, 1 MP = 2**20 pixels]: from width x height, else ``megapixels``, else 1."""
        if self.width is not None and self.height is not None:
            return self.width * self.height / tco.PIXELS_PER_MEGAPIXEL
        return self.megapixels if self.megapixels is not None else 1.0

    @property
    def size_pixels(self) -> tuple[int, int]:
        """(width, height) [pixels]; a square rounded to a multiple of 16 when only megapixels is given."""
        if self.width is not None and self.height is not None:
            return self.width, self.height
        side = max(64, int(round(1024 * math.sqrt(self.output_megapixels) / 16)) * 16)
        return side, side


def _check_turnaround_fields(sc: "Scenario") -> None:
    """Consistency of the turnaround and risk fields (issue 11); :class:`InputError` naming the field."""
    if sc.requests_per_person_per_hour is not None and sc.bursts is not None:
        raise InputError("bursts", sc.bursts, "null when requests_per_person_per_hour is given (not both)")
    if sc.p95_target_minutes is not None and sc.team_size is None:
        raise InputError("team_size", None, "an integer >= 1, required with p95_target_minutes")
    if sc.bursts is not None:
        hours = sc.working_hours_per_day if sc.working_hours_per_day is not None else 8.0
        if not sc.bursts:
            raise InputError("bursts", sc.bursts, ALLOWED["bursts"].replace("a list", "a non-empty list"))
        for item in sc.bursts:
            if set(item) != {"at_hour", "requests"}:
                raise InputError("bursts[]", item, "a mapping with exactly the keys at_hour, requests")
            at, n = item["at_hour"], item["requests"]
            if isinstance(at, bool) or not isinstance(at, (int, float)) or not (math.isfinite(at) and 0 <= at < hours):
                raise InputError("bursts.at_hour", at, f"a number with 0 <= at_hour < working_hours_per_day ({hours:g})")
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise InputError("bursts.requests", n, "an integer >= 1 [requests per person]")
    rng = sc.electricity_usd_per_kwh_range
    if rng is not None and not (math.isfinite(rng[0]) and math.isfinite(rng[1]) and 0 <= rng[0] <= rng[1] <= 5):
        raise InputError("electricity_usd_per_kwh_range", list(rng), ALLOWED["electricity_usd_per_kwh_range"])


#: a scenario YAML is under 2 kB; anything near this is not one [bytes]
MAX_SCENARIO_BYTES = 256 * 1024
#: nodes with aliases expanded / nesting levels a scenario may have (the example has ~40 nodes, 3 levels)
MAX_SCENARIO_NODES = 20_000
MAX_SCENARIO_DEPTH = 16


def _reader_error(exc: Any, file: str) -> InputError:
    """The hardened reader's refusal as the scenario's one-line InputError (field = the file)."""
    return InputError(file, exc.problem, "a YAML mapping of scenario fields" if exc.kind == "syntax" else
                      f"a UTF-8 YAML scenario file of at most {MAX_SCENARIO_BYTES:,} bytes, {MAX_SCENARIO_NODES:,} "
                      f"nodes (aliases expanded) and {MAX_SCENARIO_DEPTH} levels, each key once")


def parse_scenario_yaml(text: str, file: str = "<scenario>") -> dict[str, Any]:
    """The mapping in a scenario YAML document (the hardened reader, :mod:`advisor.catalog.yaml_reader`);
    one-line :class:`InputError` when bad."""
    from advisor.catalog.yaml_reader import YAMLFileError, read_yaml_text

    try:
        data = read_yaml_text(text, file, max_bytes=MAX_SCENARIO_BYTES, max_nodes=MAX_SCENARIO_NODES,
                              max_depth=MAX_SCENARIO_DEPTH)
    except YAMLFileError as exc:
        raise _reader_error(exc, file) from None
    return _scenario_mapping(data, file)


def _scenario_mapping(data: Any, file: str) -> dict[str, Any]:
    """The parsed document as the scenario's mapping ({} for an empty document); one-line error otherwise."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(file, f"a YAML {type(data).__name__}", "a YAML mapping of scenario fields")
    return data


def parse_scenario_bytes(data: bytes, file: str = "<upload>") -> dict[str, Any]:
    """Like :func:`parse_scenario_yaml` for raw bytes (an upload): size and UTF-8 checked first."""
    from advisor.catalog.yaml_reader import YAMLFileError, read_yaml_bytes

    try:
        parsed = read_yaml_bytes(data, file, max_bytes=MAX_SCENARIO_BYTES, max_nodes=MAX_SCENARIO_NODES,
                                 max_depth=MAX_SCENARIO_DEPTH)
    except YAMLFileError as exc:
        raise _reader_error(exc, file) from None
    return _scenario_mapping(parsed, file)


def read_scenario_yaml(path: Any) -> dict[str, Any]:
    """The mapping in a scenario YAML file (not yet validated; see :func:`load_scenario`)."""
    from advisor.catalog.yaml_reader import YAMLFileError, read_yaml_file

    path = Path(path)
    try:
        data = read_yaml_file(path, max_bytes=MAX_SCENARIO_BYTES, max_nodes=MAX_SCENARIO_NODES,
                              max_depth=MAX_SCENARIO_DEPTH)
    except YAMLFileError as exc:
        if exc.kind == "io":
            raise InputError("--scenario", str(path), f"a readable UTF-8 YAML file ({exc.problem})") from None
        raise _reader_error(exc, str(path)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(str(path), f"a YAML {type(data).__name__}", "a YAML mapping of scenario fields")
    return data


def load_scenario_text(text: str, file: str = "<scenario>") -> Scenario:
    """Parse and validate a scenario YAML document."""
    return Scenario.from_dict(parse_scenario_yaml(text, file))


def load_scenario(path: Any) -> Scenario:
    """Read and validate a scenario YAML file (see ``advisor/cost/scenarios/example.yaml``)."""
    return Scenario.from_dict(read_scenario_yaml(path))


#: bounds of a scenario's ``overrides`` (a few numbers with source and as_of each) [values, levels]
MAX_OVERRIDE_NODES = 2_000
MAX_OVERRIDE_DEPTH = 6


def check_overrides(v: Any) -> Any:
    """Check scenario ``overrides`` against the catalog's sections and fields; one-line :class:`InputError` if not.

    Allowed: ``{gpus|pipelines|apis|rentals: {slug: {field: value}}, defaults: {field: value}}`` where every
    field is a field of that catalog model, plain data of at most ``MAX_OVERRIDE_NODES`` values and
    ``MAX_OVERRIDE_DEPTH`` levels. Slugs and values are checked when the catalog is rebuilt with them.
    """
    from advisor.catalog import _FILES, Defaults
    from advisor.catalog.yaml_reader import bounded_plain

    if v is None:
        return {}
    if not isinstance(v, dict):
        raise InputError("overrides", _short(v), ALLOWED["overrides"])
    try:
        bounded_plain(v, MAX_OVERRIDE_NODES, MAX_OVERRIDE_DEPTH)
    except ValueError as exc:
        raise InputError("overrides", f"{exc}".split(" (")[0], f"at most {MAX_OVERRIDE_NODES:,} values and "
                         f"{MAX_OVERRIDE_DEPTH} levels of plain YAML data") from None
    sections = {key: model for key, (_, model) in _FILES.items()}
    for section, body in v.items():
        if section == "defaults":
            _check_fields("overrides.defaults", body, Defaults)
            continue
        if section not in sections:
            raise InputError("overrides", section, f"sections {', '.join([*sections, 'defaults'])}")
        if not isinstance(body, dict):
            raise InputError(f"overrides.{section}", _short(body), "a mapping of slug -> fields")
        for slug, patch in body.items():
            _check_fields(f"overrides.{section}.{slug}", patch, sections[section])
    from advisor.catalog.price_bounds import check_override_values

    check_override_values(v)  # prices finite and within stated plausible bounds, where they enter
    return v


def _check_fields(where: str, patch: Any, model: type[BaseModel]) -> None:
    if not isinstance(patch, dict):
        raise InputError(where, _short(patch), "a mapping of field -> value")
    known = [f for f in model.model_fields if f != "slug"]
    for key in patch:
        if key not in known:
            raise InputError(f"{where}", key, f"fields of {model.__name__}: {', '.join(known)}")


def _short(v: Any) -> str:
    s = " ".join(repr(v).split())
    return s if len(s) <= 80 else s[:77] + "..."


def _input_error(exc: ValidationError, data: dict[str, Any]) -> InputError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    field_name = loc[0] if loc else "scenario"
    ctx_err = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_err, InputError):
        return ctx_err
    if err.get("type") == "extra_forbidden":
        return InputError(field_name, data.get(field_name), f"known scenario fields: {', '.join(ALLOWED)}")
    if err.get("type") == "missing":
        return InputError(field_name, None, f"required; {ALLOWED.get(field_name, '')}".rstrip("; "))
    if field_name == "needs" and len(loc) > 1:  # one bad item of the list: name the field, not needs.<index>
        return InputError("needs", err.get("input"), f"each one of {', '.join(ALLOWED_NEEDS)}")
    return InputError(".".join(loc) or "scenario", err.get("input"), ALLOWED.get(field_name, err["msg"]))


