"""Pick the fastest allowed optimization set for a self-host or rental option (issue 12).

For an estimate at the pipeline's 16-bit precision, try a few candidate sets of named optimizations
(``profiles/optimizations.yaml``) that the GPU supports and keep the fastest that still fits:

- always allowed (no quality change): torch-compile and the best attention kernel the GPU runs (flash-attention-3
  on Hopper, else sage-attention);
- only with ``Scenario.allow_quality_tradeoffs``: dynamic FP8 activation quantisation (fp8-compute, compute
  capability >= 8.9: flux-fast calls it the one step of its recipe that is not lossless, xlite-dev/flux-fast README
  2025-06; profiles/optimizations.yaml ``changes_quality``), a step cache (first-block-cache, teacache) and 4-bit
  compute (nunchaku-w4a4 on Ampere/Ada, nvfp4 on Blackwell).

The option keeps its id and precision; its label names the whole setting (``PerfEstimate.setting``,
advisor.perf.settings.setting_label); its reasons say which optimizations it uses, the speed-up over eager, the
compile warm-up per process start and the sources (:func:`reason`).
"""

from __future__ import annotations

from advisor.errors import InputError

#: candidate building blocks, in the order tried (each set is checked against the GPU by advisor.perf.optimizations)
SAFE_ATTENTION = ("flash-attention-3", "sage-attention")
SAFE_COMPUTE: tuple[str, ...] = ()  # no compute optimization is lossless (fp8-compute quantises activations)
#: weight formats without a quality trade-off in the catalog, tried on top of the safe set (FP8 storage halves the
#: weights offloading moves over PCIe and keeps in host RAM; the matmuls stay BF16)
SAFE_WEIGHTS = ("fp8-storage",)
#: request precisions whose matmuls run on quantised activations (the simulator's fp8 = FP8 weights AND FP8
#: matmuls everywhere): a quality trade-off like fp8-compute
QUALITY_PRECISIONS = ("fp8",)
QUALITY_FP8 = ("fp8-compute",)
QUALITY_COMPUTE = ("nvfp4", "nunchaku-w4a4")
QUALITY_CACHES = ("first-block-cache", "teacache")


def _changes_quality(slug: str, book) -> bool:
    """The catalog's ``changes_quality`` of an optimization (True when the catalog does not know it)."""
    return slug not in book.optimizations or bool(book.get(slug).changes_quality)


def _supported(slug: str, gpu, book) -> bool:
    from advisor.perf.optimizations import support_problem

    return slug in book.optimizations and support_problem(book.get(slug), gpu, book) is None


def candidate_sets(gpu, book, allow_quality_tradeoffs: bool) -> list[tuple[str, ...]]:
    """Candidate optimization sets for ``gpu`` (module docstring), most aggressive first."""
    if not book.optimizations:
        return []
    att = next((a for a in SAFE_ATTENTION if _supported(a, gpu, book)), None)
    comp = [c for c in SAFE_COMPUTE if _supported(c, gpu, book) and not _changes_quality(c, book)]
    base = ["torch-compile"] if _supported("torch-compile", gpu, book) else []
    if att:
        base.append(att)
    weights = [w for w in SAFE_WEIGHTS if _supported(w, gpu, book) and not _changes_quality(w, book)]
    sets = [tuple(base + comp), tuple(base)] + [tuple(base + [w]) for w in weights]
    if allow_quality_tradeoffs:
        fp8 = [c for c in QUALITY_FP8 if _supported(c, gpu, book)]
        q4 = [c for c in QUALITY_COMPUTE if _supported(c, gpu, book)][:1]
        cache = [c for c in QUALITY_CACHES if _supported(c, gpu, book)][:1]
        sets = [tuple(base + q4 + cache), tuple(base + fp8 + cache), tuple(base + cache), tuple(base + fp8)] + sets
    return [s for s in dict.fromkeys(sets) if s]


def fastest(est, catalog, estimator, allow_quality_tradeoffs: bool = False, host_ram_gib: float | None = None):
    """The fastest fitting estimate among ``est`` and its candidate optimization sets [same request otherwise];
    ``est`` itself when none is faster, the GPU is not in the catalog, or the precision is not 16-bit; None for a
    precision whose matmuls quantise activations (:data:`QUALITY_PRECISIONS`) unless quality trade-offs are allowed
    (FP8 weights with BF16 matmuls are then the bf16 estimate's fp8-storage candidate). With the machine's
    ``host_ram_gib`` [GiB] given, an estimate within it beats a faster one that needs more host RAM (offloaded
    weights: ``PerfEstimate.host_ram_gib``), so a 64 GB desktop gets the FP8-storage setting it can hold."""
    from dataclasses import replace

    req = est.request
    if req.precision in QUALITY_PRECISIONS and not allow_quality_tradeoffs:
        return None
    if req.precision not in ("bf16", "fp16") or req.optimizations or req.gpu not in catalog.gpus:
        return est
    def key(e) -> tuple[bool, float]:
        over = host_ram_gib is not None and (getattr(e, "host_ram_gib", 0.0) or 0.0) > host_ram_gib + 1e-9
        return over, e.seconds_per_image

    best = est
    for names in candidate_sets(catalog.gpu(req.gpu), catalog.optimizations, allow_quality_tradeoffs):
        try:
            e = estimator(replace(req, optimizations=names), catalog)
        except InputError:
            continue
        if e.fits and key(e) < key(best):
            best = e
    return best


def reason(est, eager_seconds_per_image: float | None = None, book=None) -> str | None:
    """Reason text naming the optimizations an estimate uses, e.g. 'uses torch-compile + fp8-compute: x1.6 over
    eager (torch-compile: elementwise_traffic_factor 0.5 ...; sources: ...)'; None without optimizations."""
    from advisor.perf.optimizations import speedup_summary

    names = tuple(getattr(est.request, "optimizations", ()))
    if not names:
        return None
    speed = (f": x{eager_seconds_per_image / est.seconds_per_image:.1f} over eager BF16"
             if eager_seconds_per_image else "")
    srcs = sorted({a.source.split(";")[0][:90] for a in est.optimizations_applied if a.value is not None})[:3]
    quality = any(a.field == "evals_skipped_fraction" for a in est.optimizations_applied) or any(
        n in ("nunchaku-w4a4", "nvfp4") + QUALITY_FP8 for n in names) or (
        book is not None and any(_changes_quality(n, book) for n in names))
    compile_s = getattr(est, "compile_seconds", 0.0) or sum(
        a.value for a in est.optimizations_applied if a.field == "compile_seconds")
    fixed = (f" It adds about {compile_s:.0f} s of compilation per process start (each rental session and "
             f"serverless cold start: PerfEstimate.compile_seconds), outside the seconds per image."
             if compile_s else "")
    setting = getattr(est, "setting", "")
    return (f"uses {' + '.join(names)}{speed}{f' = {setting}' if setting else ''} "
            f"({speedup_summary(est.optimizations_applied)}; sources: "
            f"{' | '.join(srcs)})" + (" - changes image quality, used because you allowed quality trade-offs."
                                      if quality else ".") + fixed)


def reason_for(est, catalog, estimator) -> str | None:
    """:func:`reason` with the eager BF16 time of the same request (a cached estimate) for the speed-up."""
    from dataclasses import replace

    if not getattr(est.request, "optimizations", ()):
        return None
    try:
        eager = estimator(replace(est.request, optimizations=()), catalog).seconds_per_image
    except InputError:
        eager = None
    return reason(est, eager, catalog.optimizations)
