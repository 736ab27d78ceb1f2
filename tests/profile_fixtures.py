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
