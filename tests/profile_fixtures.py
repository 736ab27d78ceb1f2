"""A measured-profile document shared by the upload tests (test_app, test_bad_input)."""


def profile_dict() -> dict:
    """A minimal complete measured profile (tiny FLUX.2 [klein] 4B on a CPU) as parsed YAML, for upload tests."""
    return {
        "status": "complete",
        "device": {"kind": "cpu", "name": "Test CPU"},
        "software": {"python": "3.11.7"},
        "settings": {"pipeline": "flux-2-klein-4b", "pipeline_class": "Flux2KleinPipeline", "random_weights": "tiny",
                     "precision": "fp32", "width": 256, "height": 256, "steps": 2, "guidance": 1.0, "batch_size": 1,
                     "components_run": ["transformer"], "warmup": 1, "runs": 1},
        "runs": [{"run_index": 0, "step_seconds": [0.5, 0.4], "total_seconds": 1.25}],
        "summary": {"seconds_per_image": 1.25},
        "started_at": "2026-11-26T06:00:00",
    }


H100_KLEIN_PROFILE = "profiles/measured/h100-sxm/flux-2-klein-4b-1024x1024-4steps-bf16-full-b1.yaml"


def scaled_profile_text(slowdown: float, device: dict | None = None, started_at: str | None = None) -> str:
    """The committed FLUX.2 [klein] 4B H100 profile with every time x ``slowdown`` (spreads keep their counts),
    optionally with ``device`` fields replaced and another ``started_at``, as YAML text."""
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parent.parent
    data = yaml.safe_load((root / H100_KLEIN_PROFILE).read_text(encoding="utf-8"))

    def times(v):
        if isinstance(v, float):
            return v * slowdown
        if isinstance(v, list):
            return [times(x) for x in v]
        if isinstance(v, dict):  # a spread {n, min, median, p90, max}: the count stays
            return {k: (x if k == "n" else times(x)) for k, x in v.items()}
        return v

    def walk(obj):
        if isinstance(obj, dict):
            return {k: (times(v) if k.endswith(("seconds", "seconds_excluding_first", "seconds_per_image"))
                        else walk(v)) for k, v in obj.items()}
        if isinstance(obj, list):
            return [walk(x) for x in obj]
        return obj

    data["runs"] = walk(data["runs"])
    data["summary"] = walk(data["summary"])
    if device:
        data["device"].update(device)
    if started_at:
        data["started_at"] = started_at
    return yaml.safe_dump(data, sort_keys=False)


def studio_4090_profile_text(slowdown: float = 1.5) -> str:
    """A measured profile "from the studio's RTX 4090": the committed FLUX.2 [klein] 4B H100 run with the device
    renamed to an RTX 4090 and every time x ``slowdown`` (what a slower card measures), as YAML text. Used to check
    that an uploaded profile recalibrates every page's answer."""
    return scaled_profile_text(slowdown, {"name": "NVIDIA GeForce RTX 4090", "gpu_slug": "rtx-4090",
                                          "gpu_memory_total_gib": 23.99, "power_limit_watts": 450.0},
                               "2026-12-01T09:00:00")
