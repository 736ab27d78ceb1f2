"""Time scaled-down real diffusers transformers (Z-Image, FLUX.2) on this CPU; write MeasuredProfile YAML.

Used for the simulator's CPU validation (issue 3): the simulator predicts the per-step time of each scaled
configuration from its architecture and this machine's measured matmul peak, and ``advisor validate`` compares.

Each configuration builds the real diffusers class with random weights (``torch.manual_seed(0)``), feeds inputs of the
shapes the pipeline would feed at the given resolution, runs 1 warm-up forward and ``--runs`` timed runs of
``--steps`` forwards each (a "run" = a transformer-only denoise of ``steps`` steps), and records every forward's
wall time. Output: ``profiles/measured/cpu-<pipeline>/<config>-<res>-<precision>.yaml``.

Usage: .venv/bin/python benchmarks/cpu_scaled_transformers.py [--only zimage|flux2] [--runs 2] [--steps 2]
Needs torch + diffusers (the ``measure`` extra). About 2-4 minutes on the 2-core dev VM.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (name, dim, layers, refiner layers, heads) — head_dim 64 throughout (Z-Image real: 3840/30+2/30, head_dim 128)
ZIMAGE_CONFIGS = [
    ("s", 256, 8, 1, 4),
    ("m", 512, 12, 1, 8),
    ("l", 768, 16, 2, 12),
    ("xl", 1024, 20, 2, 16),
]
# (name, dim, double layers, single layers, heads) — head_dim 64 (FLUX.2 klein-4B real: 3072/5+20/24, head_dim 128)
FLUX2_CONFIGS = [
    ("s", 256, 1, 4, 4),
    ("m", 512, 2, 6, 8),
    ("l", 768, 2, 10, 12),
    ("xl", 1024, 3, 12, 16),
]
REAL_PARAMS = {"z-image-turbo": 6.15e9, "flux-2-klein-4b": 3.88e9}  # approximate, for the scaled: fraction only
TEXT_TOKENS = 64  # Z-Image: caption tokens (multiple of 32); FLUX.2: max_sequence_length used here


def _zimage(dim, layers, refiners, heads):
    from diffusers import ZImageTransformer2DModel

    hd = dim // heads
    axes = [hd // 4, 3 * hd // 8, 3 * hd // 8]
    return ZImageTransformer2DModel(
        dim=dim, n_layers=layers, n_refiner_layers=refiners, n_heads=heads, n_kv_heads=heads, cap_feat_dim=dim,
        axes_dims=axes, axes_lens=[1024, 512, 512],
    )


def _flux2(dim, double, single, heads):
    from diffusers import Flux2Transformer2DModel

    hd = dim // heads
    return Flux2Transformer2DModel(
        patch_size=1, in_channels=128, num_layers=double, num_single_layers=single, attention_head_dim=hd,
        num_attention_heads=heads, joint_attention_dim=2 * dim, mlp_ratio=3.0, axes_dims_rope=(hd // 4,) * 4,
        guidance_embeds=False,
    )


def _zimage_call(model, res, dtype):
    import torch

    lat = res // 8
    x = [torch.randn(16, 1, lat, lat, dtype=dtype)]
    cap = [torch.randn(TEXT_TOKENS, model.config.cap_feat_dim, dtype=dtype)]
    t = torch.tensor([0.5], dtype=dtype)
    return lambda: model(x, t, cap, return_dict=False)


def _flux2_call(model, res, dtype):
    import torch

    side = res // 16
    n_img = side * side
    hs = torch.randn(1, n_img, 128, dtype=dtype)
    enc = torch.randn(1, TEXT_TOKENS, model.config.joint_attention_dim, dtype=dtype)
    ii, jj = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    img_ids = torch.stack([torch.zeros_like(ii), ii, jj, torch.zeros_like(ii)], -1).reshape(-1, 4)
    txt_ids = torch.zeros(TEXT_TOKENS, 4)
    txt_ids[:, 3] = torch.arange(TEXT_TOKENS)
    t = torch.tensor([0.5], dtype=dtype)
    return lambda: model(hidden_states=hs, encoder_hidden_states=enc, timestep=t, img_ids=img_ids, txt_ids=txt_ids,
                         return_dict=False)


def _versions():
    import diffusers
    import torch

    try:
        import transformers

        tv = transformers.__version__
    except Exception:  # noqa: BLE001 - optional
        tv = None
    return {"torch": torch.__version__, "diffusers": diffusers.__version__, "transformers": tv,
            "python": platform.python_version()}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _architecture_for(model, pipeline_slug):
    """ArchitectureSpec of the built transformer via the arch engineer's extractor, when it exists."""
    try:
        from advisor.architectures import extract  # noqa: F401
    except Exception:  # noqa: BLE001 - extractor not written yet
        return None
    fn = getattr(extract, "spec_for_transformer", None) or getattr(extract, "extract_transformer_spec", None)
    if fn is None:
        return None
    try:
        return fn(model, pipeline_slug).model_dump(mode="json")
    except Exception:  # noqa: BLE001
        return None


def measure_one(kind, cfg, res, precision, runs, steps, out_dir: Path):
    import torch

    from advisor.io import atomic_write_text
    from advisor.catalog.measured import MeasuredProfile, RunTiming, summarize_runs

    import yaml

    name = cfg[0]
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[precision]
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    torch.manual_seed(0)
    if kind == "zimage":
        model = _zimage(*cfg[1:])
        pipeline, pclass, cls = "z-image-turbo", "ZImagePipeline", "ZImageTransformer2DModel"
        call_factory = _zimage_call
    else:
        model = _flux2(*cfg[1:])
        pipeline, pclass, cls = "flux-2-klein-4b", "Flux2KleinPipeline", "Flux2Transformer2DModel"
        call_factory = _flux2_call
    model = model.to(dtype).eval()
    params = sum(p.numel() for p in model.parameters())
    call = call_factory(model, res, dtype)
    build = time.perf_counter() - t0
    warm = []
    run_timings = []
    with torch.inference_mode():
        t = time.perf_counter()
        call()
        warm.append(time.perf_counter() - t)
        for r in range(runs):
            st = []
            t_run = time.perf_counter()
            for _ in range(steps):
                t = time.perf_counter()
                call()
                st.append(time.perf_counter() - t)
            total = time.perf_counter() - t_run
            run_timings.append(RunTiming(run_index=r, step_seconds=st, transformer_seconds=sum(st),
                                         transformer_calls=steps, denoise_seconds=total, total_seconds=total))
    v = _versions()
    rss_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 2**30
    cfg_dict = {k: (list(v_) if isinstance(v_, tuple) else v_) for k, v_ in dict(model.config).items()
                if not k.startswith("_")}
    prof = MeasuredProfile(
        status="complete",
        device={"kind": "cpu", "name": _cpu_model(), "cpu_model": _cpu_model(), "cpu_cores": os.cpu_count(),
                "torch_threads": torch.get_num_threads()},
        software={"torch": v["torch"], "diffusers": v["diffusers"], "transformers": v["transformers"],
                  "python": v["python"]},
        settings={
            "pipeline": pipeline, "pipeline_class": pclass, "random_weights": f"scaled:{min(1.0, params / REAL_PARAMS[pipeline]):.5f}",
            "precision": precision, "width": res, "height": res, "steps": steps, "guidance": 0.0, "batch_size": 1,
            "offload": "none", "max_sequence_length": TEXT_TOKENS, "components": "transformer",
            "components_run": ["transformer"], "components_skipped": ["text_encoder", "vae"],
            "transformer_calls_per_step": 1, "cfg": False, "warmup": 1, "runs": runs, "seed": 0,
            "prompt": "(random tensors; transformer only)",
        },
        architecture=_architecture_for(model, pipeline),
        components=[{"name": "transformer", "class_name": cls, "param_count": params, "dtype": precision,
                     "config": cfg_dict}],
        build_seconds=build,
        warmup_seconds=warm,
        runs=run_timings,
        summary=summarize_runs(run_timings, 1),
        memory={"cpu_peak_rss_gib": rss_gib},
        power={"reason": "no power counter on this VM (RAPL not readable)"},
        started_at=started,
        finished_at=dt.datetime.now(dt.timezone.utc),
        notes=[f"scaled config '{name}' built by benchmarks/cpu_scaled_transformers.py (random weights, "
               f"head_dim {cfg[1] // cfg[4]}, {TEXT_TOKENS} text tokens)"],
    )
    path = out_dir / f"cpu-{pipeline}" / f"{name}-{res}-{precision}.yaml"
    atomic_write_text(path, yaml.safe_dump(prof.model_dump(mode="json"), sort_keys=False, width=120))
    med = prof.summary.step_seconds.median
    print(f"{kind:6s} {name:2s} {res:4d} {precision}: {params / 1e6:7.1f}M params, median step {med:.3f} s -> {path}",
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["zimage", "flux2"], default=None)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--precisions", default="fp32")
    ap.add_argument("--resolutions", default="256,512")
    ap.add_argument("--configs", default="s,m,l,xl")
    ap.add_argument("--out", default=str(ROOT / "profiles" / "measured"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    kinds = [args.only] if args.only else ["zimage", "flux2"]
    wanted = set(args.configs.split(","))
    for precision in args.precisions.split(","):
        for res in [int(r) for r in args.resolutions.split(",")]:
            for kind in kinds:
                for cfg in ZIMAGE_CONFIGS if kind == "zimage" else FLUX2_CONFIGS:
                    if cfg[0] in wanted:
                        measure_one(kind, cfg, res, precision, args.runs, args.steps, Path(args.out))


if __name__ == "__main__" and "--fill-architecture" not in sys.argv:
    main()


def fill_architecture(root: Path) -> None:
    """Embed the ArchitectureSpec (measure.architecture_extract) into profiles written before the extractor existed.

    Rebuilds each transformer from its stored config on the meta device (no memory, no time) and extracts it.
    """
    import torch
    import yaml

    from advisor.catalog.architecture import TokenRules
    from measure.architecture_extract import extract_spec
    from advisor.io import atomic_write_text
    from advisor.catalog.measured import profile_from_yaml_text

    for path in sorted(root.glob("cpu-*/*.yaml")):
        prof = profile_from_yaml_text(path.read_text(encoding="utf-8"), str(path))
        if prof.architecture is not None or not prof.components:
            continue
        comp = prof.components[0]
        cfg = dict(comp.config)
        with torch.device("meta"):
            if comp.class_name == "ZImageTransformer2DModel":
                from diffusers import ZImageTransformer2DModel as cls

                tokens = TokenRules(vae_scale_factor=8, patch_size=2, latent_channels=16, text_policy="prompt_only",
                                    max_sequence_length=TEXT_TOKENS, text_multiple_of=32, image_multiple_of=32,
                                    notes="scaled CPU run: caption fed as exactly 64 tokens")
            else:
                from diffusers import Flux2Transformer2DModel as cls

                tokens = TokenRules(vae_scale_factor=8, patch_size=2, latent_channels=32, text_policy="padded",
                                    max_sequence_length=TEXT_TOKENS, notes="scaled CPU run: 64 text tokens")
            model = cls.from_config(cfg)
        spec = extract_spec({"transformer": model}, prof.settings.pipeline_class,
                            slug=f"{prof.settings.pipeline}-{path.stem}", tokens=tokens,
                            source=f"scaled config from {path.name} (benchmarks/cpu_scaled_transformers.py)")
        data = prof.model_dump(mode="json")
        data["architecture"] = spec.model_dump(mode="json")
        atomic_write_text(path, yaml.safe_dump(data, sort_keys=False, width=120))
        print(f"architecture embedded: {path}")


if __name__ == "__main__" and "--fill-architecture" in sys.argv:
    fill_architecture(ROOT / "profiles" / "measured")
