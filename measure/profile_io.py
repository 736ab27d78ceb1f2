"""Write measured profiles atomically under ``<root>/<device-slug>/<pipeline>-<settings>.yaml``.

The profile is validated by :class:`advisor.catalog.measured.MeasuredProfile` before anything is written, and the
write goes through :func:`advisor.io.atomic_write_text` (temp file + os.replace): never a partial file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from advisor.io import atomic_write_text
from advisor.catalog.measured import DeviceInfo, MeasuredProfile, MeasureSettings, profile_from_data


def slugify(text: str, max_len: int = 48) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:max_len].strip("-") or "unknown"


def device_slug(device: DeviceInfo) -> str:
    """Catalog GPU slug when known; else ``cuda-<name>`` or ``cpu-<model>``."""
    if device.gpu_slug:
        return device.gpu_slug
    if device.kind == "cuda":
        return "cuda-" + slugify(device.name)
    return "cpu-" + slugify(device.cpu_model or device.name)


def _num(x: float) -> str:
    return f"{x:g}".replace(".", "p")


def profile_filename(s: MeasureSettings) -> str:
    """``<pipeline>-<W>x<H>-<steps>steps-<precision>-<weights>-b<batch>[-extras].yaml``."""
    weights = (s.random_weights or "weights").replace("scaled:", "scaled")
    parts = [s.pipeline, f"{s.width}x{s.height}", f"{s.steps}steps", s.precision, slugify(weights.replace(".", "p")),
             f"b{s.batch_size}"]
    if s.components == "transformer":
        parts.append("transformer-only")
    if s.cfg:
        parts.append(f"cfg{_num(s.guidance)}")
    if s.offload != "none":
        parts.append(f"offload-{s.offload}")
    if s.compile:
        parts.append("compiled")
    if s.attention:
        parts.append("attn-" + slugify(s.attention))
    if s.max_sequence_length is not None:
        parts.append(f"seq{s.max_sequence_length}")
    return "-".join(parts) + ".yaml"


def profile_path(root: str | Path, profile: MeasuredProfile) -> Path:
    return Path(root) / device_slug(profile.device) / profile_filename(profile.settings)


def profile_to_yaml_text(profile: MeasuredProfile) -> str:
    return yaml.safe_dump(profile.model_dump(mode="json"), sort_keys=False, width=120, allow_unicode=True)


def write_profile(profile: MeasuredProfile | dict[str, Any], root: str | Path, path: str | Path | None = None) -> Path:
    """Validate, then atomically write the profile; returns the path written."""
    if not isinstance(profile, MeasuredProfile):
        profile = profile_from_data(profile, file="<measured profile>")
    else:
        profile = MeasuredProfile.model_validate(profile.model_dump())
    target = Path(path) if path is not None else profile_path(root, profile)
    atomic_write_text(target, profile_to_yaml_text(profile))
    return target
