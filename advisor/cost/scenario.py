"""The scenario: what a studio wants to generate and what it has (validated input of every orchestrator).

Bad values raise :class:`advisor.errors.InputError` naming the field, the value and what is allowed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from advisor.cost import tco
from advisor.errors import InputError

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
}


class Scenario(BaseModel):
    """What the user wants to generate and what they have. Bad values raise :class:`InputError`."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    volume_images_per_month: float = Field(gt=0, le=MAX_VOLUME_IMAGES_PER_MONTH, allow_inf_nan=False)
    megapixels: float | None = Field(default=None, gt=0, le=MAX_MEGAPIXELS, allow_inf_nan=False)
    width: int | None = Field(default=None, ge=64, le=8192, multiple_of=16)
    height: int | None = Field(default=None, ge=64, le=8192, multiple_of=16)
    gpu_owned: str | None = None
    electricity_usd_per_kwh: float | None = Field(default=None, ge=0, le=5, allow_inf_nan=False)
    amortization_months: float | None = Field(default=None, gt=0, le=240, allow_inf_nan=False)
    commercial: bool = False
    needs: list[Literal["chinese-text", "multi-reference", "quality"]] = []
    deadline_hours: float | None = Field(default=None, gt=0, le=8760, allow_inf_nan=False)
    batch_images: int | None = Field(default=None, ge=1, le=100_000_000)
    input_megapixels: float = Field(default=0.0, ge=0, le=4 * MAX_MEGAPIXELS, allow_inf_nan=False)
    powered_on_hours_per_day: float | None = Field(default=None, ge=0, le=24, allow_inf_nan=False)
    overrides: dict[str, Any] = {}

    def __init__(self, **data: Any):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _input_error(exc, data) from None

    @classmethod
    def from_dict(cls, data: Any) -> "Scenario":
        """Build from a parsed YAML/JSON mapping; errors are :class:`InputError`."""
        if not isinstance(data, dict):
            raise InputError("scenario", type(data).__name__, "a mapping of scenario fields")
        return cls(**data)

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
        if (self.width is None) != (self.height is None):
            missing = "height" if self.height is None else "width"
            raise InputError(missing, None, ALLOWED[missing])
        if self.width is not None and self.width * self.height / tco.PIXELS_PER_MEGAPIXEL > MAX_MEGAPIXELS:
            raise InputError("width x height", f"{self.width}x{self.height}", f"at most {MAX_MEGAPIXELS:g} MP")
        if (self.deadline_hours is None) != (self.batch_images is None):
            missing = "batch_images" if self.batch_images is None else "deadline_hours"
            raise InputError(missing, None, ALLOWED[missing])
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


def parse_scenario_yaml(text: str, file: str = "<scenario>") -> dict[str, Any]:
    """The mapping in a scenario YAML document (``yaml.safe_load``); one-line :class:`InputError` when bad."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not YAML"
        raise InputError(file, f"malformed YAML{where} ({problem})", "a YAML mapping of scenario fields") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(file, f"a YAML {type(data).__name__}", "a YAML mapping of scenario fields")
    return data


def read_scenario_yaml(path: Any) -> dict[str, Any]:
    """The mapping in a scenario YAML file (not yet validated; see :func:`load_scenario`)."""
    from pathlib import Path

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("--scenario", str(path),
                         f"a readable UTF-8 YAML file ({getattr(exc, 'strerror', None) or exc})") from None
    return parse_scenario_yaml(text, str(path))


def load_scenario_text(text: str, file: str = "<scenario>") -> Scenario:
    """Parse and validate a scenario YAML document."""
    return Scenario.from_dict(parse_scenario_yaml(text, file))


def load_scenario(path: Any) -> Scenario:
    """Read and validate a scenario YAML file (see ``advisor/cost/scenarios/example.yaml``)."""
    return Scenario.from_dict(read_scenario_yaml(path))


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


