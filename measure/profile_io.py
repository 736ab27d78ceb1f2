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
    """Catalog GPU slug when known; else ``<backend>-<name>`` (cuda-, rocm-, mps-) or ``cpu-<model>``."""
    if device.gpu_slug:
        return device.gpu_slug
    if device.kind != "cpu":
        return f"{device.kind}-" + slugify(device.name)
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


#: marks a profile written beside an existing one that held more completed runs (not loaded for calibration)
BESIDE_MARK = ".fewer-runs-"


def completed_runs(path: str | Path) -> int | None:
    """Completed timed runs held by the profile at ``path``: 0 when there is no file, None when it cannot be read.

    Reads through the hardened reader and counts the ``runs`` list without full validation (a file written by an
    older or newer schema still counts).
    """
    from advisor.catalog.yaml_reader import YAMLFileError, read_yaml_file

    p = Path(path)
    if not p.exists():
        return 0
    try:
        data = read_yaml_file(p)
    except YAMLFileError:
        return None
    if not isinstance(data, dict):
        return None
    runs = data.get("runs")
    return len(runs) if isinstance(runs, list) else 0


def beside_path(target: Path, stamp: str) -> Path:
    """``<stem>.fewer-runs-<stamp>.yaml`` next to ``target``."""
    return target.with_name(f"{target.stem}{BESIDE_MARK}{stamp}.yaml")


class GuardedWriter:
    """Writes one campaign's profile, run after run, never reducing what a profile on disk held.

    The first write to a path that already holds a profile with more completed runs than the new one (or a file
    that cannot be read as a profile) goes to :func:`beside_path` instead, and every later write of the campaign
    follows it there until the new profile has at least as many runs; then it moves to the main path and the
    file beside is removed. Paths this writer wrote itself are replaced freely (they are its own earlier state).
    ``notes`` collects one sentence per redirection (the command prints it).
    """

    def __init__(self, root: str | Path, stamp: str):
        self.root, self.stamp = Path(root), stamp
        self.own: set[Path] = set()
        self.beside: Path | None = None
        self.notes: list[str] = []

    def write(self, profile: MeasuredProfile) -> Path:
        target = profile_path(self.root, profile)
        n = len(profile.runs)
        held = None if target in self.own else completed_runs(target)
        if target in self.own or (held is not None and n >= held):
            path = write_profile(profile, self.root, target)
            self.own.add(target)
            if self.beside is not None and self.beside != target:
                self.notes.clear()  # the main path now holds at least as much: nothing was kept beside
                self.beside.unlink(missing_ok=True)
                self.own.discard(self.beside)
                self.beside = None
            return path
        self.beside = beside_path(target, self.stamp)
        note = (f"{target} already holds {held} completed run(s), more than this campaign's {n}: "
                f"wrote {self.beside.name} beside it instead" if held is not None else
                f"{target} exists but is not a readable profile: left it unchanged and wrote {self.beside.name} "
                f"beside it")
        if note not in self.notes:
            self.notes.append(note)
        path = write_profile(profile, self.root, self.beside)
        self.own.add(self.beside)
        return path
