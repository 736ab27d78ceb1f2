"""Validation points as the error table sees them: the GPU class and software stack of a point, and the documented
fit / no-fit cases (``profiles/validation/fit_cases.yaml``).

GPU classes (:data:`GPU_CLASSES`) group cards by who buys them and which kernels they run: GeForce cards per
architecture (their FP32-accumulate tensor rate is half the FP16-accumulate one), workstation cards (RTX A / Ada
Generation / RTX PRO: same dies, but full-rate FP32 accumulate; the catalog's tensor rates carry the difference),
data-centre cards, AMD (ROCm), Apple (MPS / MLX) and this machine's CPU.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.catalog import GPU, Catalog, load_catalog
from advisor.catalog.yaml_reader import read_yaml_file
from advisor.errors import CatalogError
from advisor.fit import calibrate as C
from advisor.perf import timing as T

FIT_CASES_PATH = C.ROOT / "profiles" / "validation" / "fit_cases.yaml"
GPU_CLASSES = ("consumer-ampere", "consumer-ada", "consumer-blackwell", "consumer-other", "workstation",
               "data-centre", "amd", "apple", "cpu")
#: words in a GPU's name or slug that mark its class (checked in this order; vendor before product line)
_AMD_WORDS = ("amd", "radeon", "instinct", "rocm")
_APPLE_WORDS = ("apple", "mac ")
_WORKSTATION_WORDS = ("rtx a", "rtx-a", "ada generation", "rtx pro", "rtx-pro", "quadro", "dgx spark", "gb10")
_DATA_CENTRE_PREFIXES = ("a100", "a10", "a30", "a40", "l4", "l20", "l40", "t4", "h100", "h200", "h800", "h20",
                         "b200", "b300", "gb200", "gh200", "v100", "mi")


def gpu_class(gpu: GPU) -> str:
    """The error-table class of ``gpu`` (one of :data:`GPU_CLASSES`), from its architecture family, system class,
    name and slug."""
    arch = str(gpu.architecture)
    text = f"{gpu.name} {gpu.slug}".lower()
    backend = getattr(gpu, "backend", None)
    segment = getattr(gpu, "segment", None)
    if arch == "cpu":
        return "cpu"
    if backend == "rocm" or arch.startswith(("rdna", "cdna")) or any(w in text for w in _AMD_WORDS):
        return "amd"
    if backend == "mps" or arch.startswith("apple") or any(w in text for w in _APPLE_WORDS):
        return "apple"
    if segment in ("workstation", "system") or any(w in text for w in _WORKSTATION_WORDS):
        return "workstation"  # a DGX Spark (segment 'system', CUDA) sits on a desk like a workstation card
    if (segment == "datacenter" or getattr(gpu, "system_class", None) == "server"
            or gpu.slug.startswith(_DATA_CENTRE_PREFIXES)):
        return "data-centre"
    if arch in ("ampere", "ada", "blackwell"):
        return f"consumer-{arch}"
    return "consumer-other"


def stack_of(stack: str) -> str:
    """The software stack a point ran on, normalised for grouping: the first word of its ``stack`` field
    ('diffusers + ParaAttention' -> 'diffusers', 'ComfyUI' -> 'comfyui')."""
    word = (stack or "diffusers").strip().split()[0].lower()
    return word.rstrip(",;")


# ------------------------------------------------------------------------------------------------ fit cases
def fit_cases(path: Path | None = None) -> list[dict[str, Any]]:
    path = path or FIT_CASES_PATH
    if not path.is_file():
        return []
    data = read_yaml_file(path) or []  # the hardened reader (catalog.yaml_reader); an empty file: no cases
    if not isinstance(data, list):
        raise CatalogError(str(path), None, None, "expected a list of entries at the top level")
    for i, e in enumerate(data):
        for k in ("id", "pipeline", "gpu", "precision", "offload", "expect_fits", "source"):
            if k not in e:
                raise CatalogError(str(path), e.get("id", f"#{i}"), k, "required field is missing")
    return data


def fit_classification(catalog: Catalog | None = None, path: Path | None = None,
                       cal: T.Calibration | None = None) -> tuple[float | None, list[dict]]:
    """Share of documented fit/no-fit cases the simulator classifies right, and the per-case rows."""
    from advisor.perf import PerfRequest, estimate

    catalog = catalog or load_catalog()
    cal = cal or T.load_calibration()
    from advisor.perf import memory as M

    rows = []
    for e in fit_cases(path):
        if e.get("components", "all") == "transformer":
            # the denoiser alone (random prompt embeddings, 512 text tokens): weights + activations + context
            from advisor.catalog.architecture import load_architecture
            from advisor.perf import flops as F

            spec = load_architecture(e["pipeline"])
            vb = M.transformer_only_breakdown(spec, e.get("width", 1024), e.get("height", 1024),
                                              F.text_tokens(spec, 64), e["precision"], M.constants_of(cal))
            peak = vb.total_gib
            predicted_fits, offload = vb.required_gib <= catalog.gpu(e["gpu"]).vram_gib.value, "none"
        else:
            req = PerfRequest(e["pipeline"], e["gpu"], precision=e["precision"], width=e.get("width", 1024),
                              height=e.get("height", 1024), offload=e["offload"])
            est = estimate(req, catalog, calibration=cal)
            predicted_fits, peak, offload = est.fits, est.peak_vram_gib, est.offload
        rows.append({"id": e["id"], "expect_fits": bool(e["expect_fits"]), "predicted_fits": predicted_fits,
                     "peak_vram_gib": peak, "expect_peak_gib": e.get("expect_peak_gib"),
                     "offload": offload, "correct": predicted_fits == bool(e["expect_fits"]),
                     "source": e["source"]})
    if not rows:
        return None, rows
    return sum(r["correct"] for r in rows) / len(rows), rows


