"""Analytic FLOPs and bytes moved per pipeline stage, from an :class:`advisor.catalog.architecture.ArchitectureSpec`.

Pure Python (no torch). Conventions:

- A multiply-add is 2 FLOPs. Linear: 2 * tokens * in * out; Conv2d: 2 * kh * kw * (Cin/groups) * Cout * H_out * W_out
  (biases, norms, activations and softmax are not counted, as in ``torch.utils.flop_counter``).
- Attention (scaled dot product, QK^T and PV): 4 * Lq * Lkv * heads * head_dim per attention (non-causal).
  Causal text-encoder attention is counted in full too: the pipelines pass a padding attention mask, so
  transformers hands SDPA an explicit 4-D causal+padding mask and no kernel skips the masked half.
  GQA does not change the FLOPs (they scale with query heads).
- Token streams (see :data:`advisor.catalog.architecture.Stream`): image N_i, text N_t, joint N_i + N_t, per_sample 1, all x batch.
- ``weight_bytes``: bytes of the weights one evaluation reads (linears at ``precision``; convs, norms, biases at
  16-bit for quantised precisions), i.e. the weight traffic if nothing stays in cache.
- ``activation_bytes``: activation traffic estimate at ``activation_bytes_per_element`` (bf16 = 2): every linear/conv
  reads its input and writes its output, every norm reads and writes its tensor, attention (fused flash kernel)
  reads Q, K, V and writes O. Unfused elementwise ops (gates, residuals, modulation) are not counted, so it is a
  lower bound; the simulator's calibration absorbs the rest.

Public functions:
    PRECISION_BYTES, precision_bytes(precision) -> float
    StageCost (frozen dataclass: linear_flops, attention_flops, conv_flops, weight_bytes, activation_bytes;
               .total_flops, .scaled(k), + )
    image_tokens(spec, width_px, height_px) -> int
    reference_image_tokens(spec, input_megapixels) -> int   (input / reference images in the image stream)
    text_tokens(spec, prompt_tokens) -> int
    text_encoder_tokens(component, prompt_tokens) -> int
    component_cost(component, stream_tokens, precision="bf16", batch=1, ...) -> StageCost
    transformer_flops_per_eval(spec, width_px, height_px, text_tokens, batch=1, precision="bf16") -> StageCost
    text_encoder_flops(spec, prompt_tokens, batch=1, precision="bf16") -> StageCost     (all text encoders)
    text_encoder_costs(spec, prompt_tokens, batch=1, precision="bf16") -> dict[str, StageCost]
    vae_decode_flops(spec, width_px, height_px, batch=1, precision="bf16") -> StageCost
    vae_encode_flops(spec, width_px, height_px, batch=1, precision="bf16") -> StageCost
    pipeline_costs(spec, width_px, height_px, prompt_tokens, steps, evals_per_step=1, batch=1,
                   precision="bf16") -> dict[str, StageCost]   (keys text_encoder, transformer (all steps), vae_decode)
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from advisor.catalog.architecture import ArchitectureSpec, ComponentSpec
from advisor.errors import InputError

#: Bytes per parameter by storage precision.
#: - fp32 4, bf16/fp16 2, fp8 (e4m3/e5m2) 1, int8 1 (per-channel scales negligible: one fp16/fp32 per row of >=1k).
#: - nf4 0.5625: bitsandbytes NF4 stores 4 bits per weight plus one float32 absmax per block of 64 weights
#:   (bitsandbytes ``quantize_4bit``, blocksize 64, absmax dtype float32) -> 4 + 32/64 = 4.5 bits = 0.5625 bytes.
#:   With ``bnb_4bit_use_double_quant`` the absmax is itself 8-bit (+ one fp32 per 256 blocks):
#:   4 + 8/64 + 32/(64*256) = 4.127 bits = 0.516 bytes ("nf4-dq").
#: - gguf-q4 0.5625: llama.cpp Q4_0 = 32 x 4-bit + one fp16 scale = 18 bytes / 32 weights = 4.5 bits;
#:   Q4_K = 256-weight super-block, 144 bytes (4-bit quants, 6-bit sub-block scales/mins, fp16 d, dmin) = 4.5 bits.
PRECISION_BYTES: dict[str, float] = {
    "fp32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "nf4": 0.5625,
    "nf4-dq": 4.127 / 8,
    "gguf-q8": 34 / 32,  # Q8_0: 32 x int8 + fp16 scale = 34 bytes per 32 weights
    "gguf-q4": 0.5625,
}

#: Bytes per parameter for what a quantised checkpoint keeps in 16-bit (norms, biases, embeddings, convs).
HIGH_PRECISION_BYTES = 2.0


def precision_bytes(precision: str) -> float:
    """Bytes per linear-weight parameter at ``precision`` [bytes]."""
    try:
        return PRECISION_BYTES[precision]
    except KeyError:
        raise InputError("precision", precision, f"one of {', '.join(PRECISION_BYTES)}") from None


@dataclass(frozen=True)
class StageCost:
    """FLOPs [FLOP] and bytes moved [bytes] of one stage (one evaluation unless scaled)."""

    linear_flops: float = 0.0
    attention_flops: float = 0.0
    conv_flops: float = 0.0
    weight_bytes: float = 0.0
    activation_bytes: float = 0.0

    @property
    def total_flops(self) -> float:
        return self.linear_flops + self.attention_flops + self.conv_flops

    @property
    def total_bytes(self) -> float:
        return self.weight_bytes + self.activation_bytes

    def scaled(self, k: float, weights: bool = True) -> "StageCost":
        """All figures times ``k`` (``weights=False`` keeps weight bytes: weights read once for k batched items)."""
        return StageCost(self.linear_flops * k, self.attention_flops * k, self.conv_flops * k,
                         self.weight_bytes * (k if weights else 1), self.activation_bytes * k)

    def __add__(self, other: "StageCost") -> "StageCost":
        return StageCost(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def _check_positive_int(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputError(field, value, "a positive integer")
    return value


def _ceil_to(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple


def image_tokens(spec: ArchitectureSpec, width_px: int, height_px: int) -> int:
    """Image tokens the denoiser sees [tokens].

    = (H // (vae_scale * patch)) * (W // (vae_scale * patch)), rounded up to ``tokens.image_multiple_of``.
    diffusers rounds the size down to a multiple of vae_scale * patch (16); e.g. 1024^2 -> 64 * 64 = 4096.
    """
    _check_positive_int("width_px", width_px)
    _check_positive_int("height_px", height_px)
    t = spec.tokens
    step = t.vae_scale_factor * t.patch_size
    if width_px < step or height_px < step:
        raise InputError("width_px/height_px", (width_px, height_px), f"at least {step} pixels each")
    return _ceil_to((height_px // step) * (width_px // step), t.image_multiple_of)


def reference_image_tokens(spec: ArchitectureSpec, input_megapixels: float) -> int:
    """Tokens that input (reference / edit) images add to the denoiser's image stream [tokens].

    = ceil(input pixels / (vae_scale * patch)^2), input pixels = input_megapixels x 1e6: each input image is
    VAE-encoded (``vae_scale`` x downsampling) and patchified (``patch`` x ``patch`` latent pixels per token) like the
    output latent, then concatenated to the image tokens of every denoiser forward and sliced off the output
    (diffusers Flux2Pipeline ``prepare_image_latents`` + ``torch.cat([latents, image_latents], dim=1)``; FLUX.1
    Kontext the same). E.g. FLUX.2 (8 x 2 = 16 pixels per token side): 1 MP -> ceil(1e6 / 256) = 3,907 tokens.
    """
    if isinstance(input_megapixels, bool) or not isinstance(input_megapixels, (int, float)) or not (
            0 <= input_megapixels < float("inf")):
        raise InputError("input_megapixels", input_megapixels, "a finite number >= 0 [MP]")
    if input_megapixels == 0:
        return 0
    step = spec.tokens.vae_scale_factor * spec.tokens.patch_size
    return -(-int(round(input_megapixels * 1e6)) // (step * step))


def text_tokens(spec: ArchitectureSpec, prompt_tokens: int) -> int:
    """Text tokens the denoiser sees for a prompt of ``prompt_tokens`` tokenizer tokens [tokens].

    ``padded`` policy (FLUX.1, FLUX.2, klein): always ``max_sequence_length`` (512).
    ``prompt_only`` (Z-Image): min(prompt + template tokens, max_sequence_length) rounded up to ``text_multiple_of``.
    """
    if isinstance(prompt_tokens, bool) or not isinstance(prompt_tokens, int) or prompt_tokens < 0:
        raise InputError("prompt_tokens", prompt_tokens, "a non-negative integer")
    t = spec.tokens
    if t.text_policy == "padded":
        return t.max_sequence_length
    n = min(prompt_tokens + t.template_tokens, t.max_sequence_length)
    return _ceil_to(max(n, 1), t.text_multiple_of)


def text_encoder_tokens(component: ComponentSpec, prompt_tokens: int) -> int:
    """Tokens a text encoder encodes [tokens]: its max_sequence_length when padded (all here), else the prompt."""
    if component.sequence_policy == "prompt_only" or component.max_sequence_length is None:
        return max(int(prompt_tokens), 1)
    return component.max_sequence_length


def _norm_kind_param_elems(component: ComponentSpec) -> int:
    return sum(n.features * n.count for n in component.norms)


def _weight_bytes(component: ComponentSpec, precision: str) -> float:
    """Weights one evaluation reads [bytes]: linear weights at ``precision``, the rest at >=16 bit."""
    b = precision_bytes(precision)
    hi = b if b >= HIGH_PRECISION_BYTES else HIGH_PRECISION_BYTES
    lin_w = sum(g.in_features * g.out_features * g.count for g in component.linears)
    lin_b = sum(g.out_features * g.count for g in component.linears if g.bias)
    conv = sum(g.params for g in component.convs)
    norm = _norm_kind_param_elems(component)
    return lin_w * b + (lin_b + conv + norm) * hi


def component_cost(component: ComponentSpec, stream_tokens: dict[str, float], precision: str = "bf16",
                   batch: int = 1, latent_pixels: float = 0.0, activation_bytes_per_element: float = 2.0) -> StageCost:
    """FLOPs and bytes of one evaluation of ``component``.

    ``stream_tokens`` maps stream -> tokens per sample (image, text, joint, per_sample); ``latent_pixels`` is the
    latent grid size h*w (VAE), multiplied by scale^2 for layers at a higher resolution.
    """
    a = activation_bytes_per_element

    def tokens_of(stream: str, scale: float) -> float:
        if stream == "latent":
            return latent_pixels * scale * scale
        if stream == "per_sample":
            return 1.0
        return float(stream_tokens.get(stream, 0.0))

    lin = act = att = conv = 0.0
    for g in component.linears:
        n = tokens_of(g.stream, g.scale) * batch
        lin += 2.0 * n * g.in_features * g.out_features * g.count
        act += n * (g.in_features + g.out_features) * g.count * a
    for g in component.norms:
        n = tokens_of(g.stream, g.scale) * batch
        act += 2.0 * n * g.features * g.count * a
    for g in component.attentions:
        L, L_kv = attention_lengths(g, tokens_of)
        f = 4.0 * L * L_kv * g.heads * g.head_dim * g.count * batch
        att += f  # causal too: explicit padding+causal mask, no tile skipping (see module docstring)
        act += batch * (2 * g.heads * L + 2 * g.kv_heads * L_kv) * g.head_dim * g.count * a
    for g in component.convs:
        out_px = latent_pixels * g.out_scale * g.out_scale * batch
        in_px = out_px * g.stride * g.stride
        kh, kw = g.kernel
        conv += 2.0 * kh * kw * g.kernel_frames * (g.in_channels / g.groups) * g.out_channels * out_px * g.count
        act += (in_px * g.in_channels + out_px * g.out_channels) * g.count * a
    return StageCost(linear_flops=lin, attention_flops=att, conv_flops=conv,
                     weight_bytes=_weight_bytes(component, precision), activation_bytes=act)


def transformer_flops_per_eval(spec: ArchitectureSpec, width_px: int, height_px: int, text_tokens: int,
                               batch: int = 1, precision: str = "bf16",
                               activation_bytes_per_element: float = 2.0, reference_tokens: int = 0) -> StageCost:
    """One denoiser forward (one NFE) for ``batch`` samples [FLOP, bytes].

    ``text_tokens`` is the denoiser's text sequence (see :func:`text_tokens`). A CFG step is two NFEs (or one NFE at
    batch 2: same FLOPs, weights read once). ``reference_tokens`` (:func:`reference_image_tokens`) join the image
    stream: linears grow linearly with them, joint attention quadratically.
    """
    _check_positive_int("batch", batch)
    if isinstance(text_tokens, bool) or not isinstance(text_tokens, int) or text_tokens < 0:
        raise InputError("text_tokens", text_tokens, "a non-negative integer")
    if isinstance(reference_tokens, bool) or not isinstance(reference_tokens, int) or reference_tokens < 0:
        raise InputError("reference_tokens", reference_tokens, "a non-negative integer")
    n_i = image_tokens(spec, width_px, height_px) + reference_tokens
    streams = {"image": n_i, "text": text_tokens, "joint": n_i + text_tokens}
    return component_cost(spec.transformer, streams, precision, batch,
                          latent_pixels=denoiser_latent_pixels(spec, width_px, height_px),
                          activation_bytes_per_element=activation_bytes_per_element)


def text_encoder_costs(spec: ArchitectureSpec, prompt_tokens: int, batch: int = 1,
                       precision: str = "bf16") -> dict[str, StageCost]:
    """Per text encoder (component name -> cost) of encoding ``batch`` prompts once [FLOP, bytes]."""
    _check_positive_int("batch", batch)
    out = {}
    for comp in spec.text_encoders:
        n = text_encoder_tokens(comp, prompt_tokens)
        out[comp.name] = component_cost(comp, {"text": n}, precision, batch)
    return out


def text_encoder_flops(spec: ArchitectureSpec, prompt_tokens: int, batch: int = 1,
                       precision: str = "bf16") -> StageCost:
    """All text encoders, one encode of ``batch`` prompts [FLOP, bytes] (CFG negative prompt: call twice)."""
    total = StageCost()
    for cost in text_encoder_costs(spec, prompt_tokens, batch, precision).values():
        total = total + cost
    return total


def _vae_cost(comp: ComponentSpec | None, spec: ArchitectureSpec, width_px: int, height_px: int, batch: int,
              precision: str) -> StageCost:
    _check_positive_int("batch", batch)
    _check_positive_int("width_px", width_px)
    _check_positive_int("height_px", height_px)
    if comp is None:
        return StageCost()
    s = spec.tokens.vae_scale_factor
    latent_px = float((height_px // s) * (width_px // s))
    return component_cost(comp, {}, precision, batch, latent_pixels=latent_px)


def vae_decode_flops(spec: ArchitectureSpec, width_px: int, height_px: int, batch: int = 1,
                     precision: str = "bf16") -> StageCost:
    """VAE decode of ``batch`` latents to width x height images (convs + mid-block attention) [FLOP, bytes]."""
    return _vae_cost(spec.vae_decoder, spec, width_px, height_px, batch, precision)


def vae_encode_flops(spec: ArchitectureSpec, width_px: int, height_px: int, batch: int = 1,
                     precision: str = "bf16") -> StageCost:
    """VAE encode of ``batch`` width x height images (image-to-image inputs) [FLOP, bytes]."""
    return _vae_cost(spec.vae_encoder, spec, width_px, height_px, batch, precision)


def pipeline_costs(spec: ArchitectureSpec, width_px: int, height_px: int, prompt_tokens: int, steps: int,
                   evals_per_step: int = 1, batch: int = 1, precision: str = "bf16") -> dict[str, StageCost]:
    """Costs of generating ``batch`` images: text encode (x evals_per_step when CFG encodes a negative prompt),
    transformer over all steps (steps * evals_per_step NFEs), VAE decode [FLOP, bytes]."""
    _check_positive_int("steps", steps)
    _check_positive_int("evals_per_step", evals_per_step)
    per_eval = transformer_flops_per_eval(spec, width_px, height_px, text_tokens(spec, prompt_tokens), batch,
                                          precision)
    te = text_encoder_flops(spec, prompt_tokens, batch, precision)
    return {
        "text_encoder": te.scaled(evals_per_step),
        "transformer": per_eval.scaled(steps * evals_per_step),
        "vae_decode": vae_decode_flops(spec, width_px, height_px, batch, precision),
    }


# ------------------------------------------------------------------ block kinds beyond the DiTs (UNet, 3-D VAE)
def attention_lengths(group, tokens_of) -> tuple[float, float]:
    """(Lq, Lkv) of one attention group [tokens]: ``tokens_of(sequence, scale)`` for the queries; the keys and
    values run over ``kv_sequence`` when set (UNet cross-attention: latent pixels at ``scale`` attend to the text
    tokens, so FLOPs = 4 * Lq * Lkv * heads * head_dim), else over the same sequence (self-attention)."""
    lq = tokens_of(group.sequence, group.scale)
    if getattr(group, "kv_sequence", None) is None:
        return lq, lq
    return lq, tokens_of(group.kv_sequence, 1.0)


def denoiser_latent_pixels(spec: ArchitectureSpec, width_px: int, height_px: int) -> float:
    """Latent grid of the denoiser input, (H // vae_scale) * (W // vae_scale) [pixels]: what its convolutions run
    over (the SD3 patch-embedding Conv2d at out_scale 1/patch; every UNet convolution and latent-stream layer at its
    resolution scale). DiTs without convolutions ignore it."""
    s = spec.tokens.vae_scale_factor
    return float((height_px // s) * (width_px // s))
