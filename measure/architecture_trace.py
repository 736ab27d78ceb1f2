"""Extract layer groups by running a module's real forward on the meta device with hooks (UNet, causal-3D VAE).

Used where a static walk of the module tree cannot know how often and at which resolution a layer runs: the SDXL
UNet (convolutions and cross-attention transformer blocks at three resolutions, skip concatenations) and the
Qwen-Image causal 3-D VAE (``AutoencoderKLQwenImage``: causal Conv3d with zero temporal padding on the first frame,
its temporal convolutions skipped for a single frame). A meta-device forward computes only shapes, so the full-size
model runs in seconds with no memory.

Every call of a leaf ``nn.Linear`` / ``nn.Conv2d`` / ``nn.Conv3d`` / normalisation layer and every
``F.scaled_dot_product_attention`` is recorded with its shapes, then classified by the number of positions it ran
over (batch 1): 1 -> ``per_sample``; ``text_tokens`` -> ``text``; ``latent_px * scale**2`` -> ``latent`` at that
``scale`` (relative to the latent grid). The trace sizes are chosen so that no two of these coincide. The groups are
checked against ``torch.utils.flop_counter.FlopCounterMode`` on small real modules in tests/test_flops_more.py.

Public API:
    trace_component(module, call, latent_hw, text_tokens=None) -> dict with linears/attentions/convs/norms lists
"""

from __future__ import annotations

import math
from typing import Any, Callable

from advisor.catalog.architecture import AttentionGroup, ConvGroup, LinearGroup, NormGroup


def _pattern(name: str) -> str:
    from measure.arch_modules import _pattern as p

    return p(name)


def _stream(positions: int, latent_px: int, text_tokens: int | None, where: str) -> tuple[str, float]:
    """(stream, scale) of a layer that ran over ``positions`` positions (batch 1)."""
    if positions == 1:
        return "per_sample", 1.0
    if text_tokens is not None and positions == text_tokens:
        return "text", 1.0
    scale = math.sqrt(positions / latent_px)
    if scale > 0 and abs(math.log2(scale) - round(math.log2(scale))) < 1e-9:
        return "latent", float(2.0 ** round(math.log2(scale)))
    raise ValueError(f"{where}: ran over {positions} positions, which is neither 1, the text tokens ({text_tokens}) "
                     f"nor the latent grid ({latent_px}) at a power-of-two scale")


def _is_norm_module(mod: Any) -> bool:
    name = type(mod).__name__.lower()
    return "norm" in name and next(iter(mod.children()), None) is None


def _norm_features(mod: Any) -> int | None:
    from measure.arch_modules import _norm_features as nf

    return nf(mod)


def trace_component(module: Any, call: Callable[[], Any], latent_hw: tuple[int, int],
                    text_tokens: int | None = None) -> dict[str, list]:
    """Run ``call()`` (which calls ``module`` on meta tensors) and group every layer call it makes.

    ``latent_hw`` is the latent grid (h, w) of the trace; ``text_tokens`` the text sequence the call feeds (None if
    none). Returns ``{"linears": [...], "attentions": [...], "convs": [...], "norms": [...]}`` of the catalog's
    group models, in first-call order.
    """
    import torch

    latent_px = latent_hw[0] * latent_hw[1]
    lin: dict[tuple, int] = {}
    conv: dict[tuple, int] = {}
    norm: dict[tuple, int] = {}
    att: dict[tuple, int] = {}
    names = {m: n for n, m in module.named_modules()}
    current_attention: list[str] = []

    def add(d: dict, key: tuple) -> None:
        d[key] = d.get(key, 0) + 1

    def on_linear(mod, inputs, output):
        name = names[mod]
        positions = inputs[0].numel() // mod.in_features
        stream, scale = _stream(positions, latent_px, text_tokens, name)
        add(lin, (_pattern(name), stream, mod.in_features, mod.out_features, mod.bias is not None, scale))

    def on_conv(mod, inputs, output):
        name = names[mod]
        three_d = isinstance(mod, torch.nn.Conv3d)
        h_out = output.shape[-2]
        out_scale = h_out / latent_hw[0]
        kernel = tuple(int(k) for k in mod.kernel_size[-2:])
        frames = int(mod.kernel_size[0]) * int(output.shape[2]) if three_d else 1
        stride = int(mod.stride[-1])
        add(conv, (_pattern(name), mod.in_channels, mod.out_channels, kernel, stride, mod.groups, float(out_scale),
                   mod.bias is not None, frames))

    def on_norm(mod, inputs, output):
        feats = _norm_features(mod)
        if feats is None:
            return
        name = names[mod]
        # channels-first (GroupNorm, the VAE's RMS norm over dim 1) or channels-last (LayerNorm): positions = numel / C
        positions = output.numel() // feats
        stream, scale = _stream(positions, latent_px, text_tokens, name)
        add(norm, (_pattern(name), type(mod).__name__, stream, feats, scale))

    def attention_pre(mod, args, kwargs=None):
        current_attention.append(names[mod])

    def attention_post(mod, args, output):
        current_attention.pop()

    orig_sdpa = torch.nn.functional.scaled_dot_product_attention

    def sdpa(q, k, v, *args, **kwargs):
        name = current_attention[-1] if current_attention else "sdpa"
        *batch, lq, d = q.shape
        heads = int(batch[-1]) if len(batch) >= 2 else 1
        kv_heads = int(k.shape[-3]) if k.dim() >= 4 else 1
        seq, scale = _stream(int(lq), latent_px, text_tokens, name)
        kv_seq, kv_scale = _stream(int(k.shape[-2]), latent_px, text_tokens, name)
        if (kv_seq, kv_scale) == (seq, scale):
            kv_seq = None
        add(att, (_pattern(name), seq, kv_seq, heads, kv_heads, int(d), bool(kwargs.get("is_causal", False)), scale))
        return orig_sdpa(q, k, v, *args, **kwargs)

    hooks = []
    for _, mod in module.named_modules():
        if isinstance(mod, torch.nn.Linear):
            hooks.append(mod.register_forward_hook(on_linear))
        elif isinstance(mod, (torch.nn.Conv2d, torch.nn.Conv3d)):
            hooks.append(mod.register_forward_hook(on_conv))
        elif _is_norm_module(mod):
            hooks.append(mod.register_forward_hook(on_norm))
        if hasattr(mod, "to_q") or hasattr(mod, "to_qkv"):
            hooks.append(mod.register_forward_pre_hook(attention_pre))
            hooks.append(mod.register_forward_hook(attention_post))
    torch.nn.functional.scaled_dot_product_attention = sdpa
    try:
        with torch.no_grad():
            call()
    finally:
        torch.nn.functional.scaled_dot_product_attention = orig_sdpa
        for h in hooks:
            h.remove()
    return {
        "linears": [LinearGroup(name=k[0], stream=k[1], in_features=k[2], out_features=k[3], bias=k[4], scale=k[5],
                                count=n) for k, n in lin.items()],
        "attentions": [AttentionGroup(name=k[0], sequence=k[1], kv_sequence=k[2], heads=k[3], kv_heads=k[4],
                                      head_dim=k[5], causal=k[6], scale=k[7], count=n) for k, n in att.items()],
        "convs": [ConvGroup(name=k[0], in_channels=k[1], out_channels=k[2], kernel=k[3], stride=k[4], groups=k[5],
                            out_scale=k[6], bias=k[7], kernel_frames=k[8], count=n) for k, n in conv.items()],
        "norms": [NormGroup(name=k[0], kind=k[1], stream=k[2], features=k[3], scale=k[4], count=n)
                  for k, n in norm.items()],
    }
