"""Architecture facts of one image-generation pipeline, stored as data (no torch at runtime).

An :class:`ArchitectureSpec` lists, for each component a pipeline runs (denoiser transformer,
text encoder(s), VAE decoder and encoder), its class, config, exact parameter count and the
structure from which FLOPs and bytes follow as a function of resolution and text length:

- ``linears``: groups of identical ``nn.Linear`` layers, each tagged with the token *stream* it runs
  over (see :data:`Stream`) and a multiplicity ``count``;
- ``attentions``: groups of identical attention computations (heads, kv heads, head dim, which
  sequence, causal or not);
- ``convs``: groups of identical ``nn.Conv2d`` layers (VAE), with the output spatial resolution
  relative to the latent grid;
- ``norms``: groups of normalisation layers (for elementwise byte estimates).

The spec is generated once from the real diffusers/transformers classes by
``python -m measure.generate_architectures`` (see ``measure/architecture_extract.py``) into
``profiles/architectures/<slug>.yaml``.

Public API:
    Stream, AttentionSequence, TextPolicy, Role        (Literal types)
    LinearGroup, AttentionGroup, ConvGroup, NormGroup, TokenRules, ComponentSpec, ArchitectureSpec
    ArchitectureSpec.component(role) / .components_with_role(role) / .transformer / .text_encoders
        / .vae_decoder / .vae_encoder / .module_param_counts()
    ARCHITECTURES_DIR, architecture_path(slug), available_architectures(), load_architecture(slug)
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from advisor.catalog.base import Strict
from advisor.errors import CatalogError, UnknownSlugError

#: Which tokens a linear/norm layer runs over.
#: - ``image``: image (latent patch) tokens of the denoiser;
#: - ``text``: text tokens (in the denoiser: the text tokens fed to it; in a text encoder: the tokens it encodes);
#: - ``joint``: image + text tokens together (denoiser joint / single-stream blocks);
#: - ``per_sample``: once per sample (timestep/guidance embeddings, modulation, pooled-text projections);
#: - ``latent``: pixels of the VAE grid at ``scale`` x the latent resolution (VAE mid-block attention).
Stream = Literal["image", "text", "joint", "per_sample", "latent"]

#: Which sequence an attention runs over (``latent``: VAE latent grid pixels, one head typically).
AttentionSequence = Literal["joint", "image", "text", "latent"]

#: How many text tokens the denoiser sees: ``padded`` = always ``max_sequence_length`` (FLUX.1, FLUX.2, klein);
#: ``prompt_only`` = padding stripped, only prompt (+ template) tokens, rounded up to ``text_multiple_of`` (Z-Image).
TextPolicy = Literal["padded", "prompt_only"]

Role = Literal["transformer", "text_encoder", "vae_decoder", "vae_encoder"]




class LinearGroup(Strict):
    """``count`` identical linear layers [in_features -> out_features] over ``stream`` tokens.

    FLOPs per token = 2 * in_features * out_features * count (multiply-add = 2 FLOPs).
    ``scale`` only matters for ``stream == 'latent'``: spatial resolution relative to the latent grid.
    """

    name: str = Field(description="module path pattern, block indices replaced by '*'")
    stream: Stream
    in_features: int = Field(gt=0)
    out_features: int = Field(gt=0)
    count: int = Field(gt=0)
    bias: bool = True
    scale: float = 1.0

    @property
    def params(self) -> int:
        """Parameters of all layers in the group [count]."""
        return self.count * (self.in_features * self.out_features + (self.out_features if self.bias else 0))


class AttentionGroup(Strict):
    """``count`` identical scaled-dot-product attentions (one per block) over ``sequence``.

    Score + weighted-sum FLOPs (non-causal) = 4 * Lq * Lkv * heads * head_dim per attention. Self-attention:
    Lq = Lkv = the length of ``sequence``; cross-attention (UNet ``attn2``): queries over ``sequence``, keys and
    values over ``kv_sequence`` (e.g. latent pixels attending to the 77 text tokens).
    """

    name: str
    sequence: AttentionSequence
    kv_sequence: AttentionSequence | None = Field(None, description="cross-attention: the key/value sequence "
                                                  "(None = self-attention over ``sequence``)")
    heads: int = Field(gt=0)
    kv_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)
    count: int = Field(gt=0)
    causal: bool = False
    scale: float = 1.0


class ConvGroup(Strict):
    """``count`` identical Conv2d layers; ``out_scale`` = output spatial size / latent grid size.

    FLOPs = 2 * kernel_frames * kernel_h * kernel_w * (in_channels / groups) * out_channels * H_out * W_out per conv.
    ``kernel_frames`` > 1 only for a causal Conv3d run on one frame (Qwen-Image VAE): the temporal taps are
    computed against zero padding, so a 3x3x3 kernel costs 27 taps per output pixel (as the GPU runs it).
    """

    name: str
    in_channels: int = Field(gt=0)
    out_channels: int = Field(gt=0)
    kernel: tuple[int, int]
    stride: int = 1
    groups: int = 1
    out_scale: float = Field(gt=0)
    count: int = Field(gt=0)
    bias: bool = True
    kernel_frames: int = Field(1, gt=0, description="temporal kernel taps x output frames (Conv3d); 1 for Conv2d")

    @property
    def params(self) -> int:
        kh, kw = self.kernel
        w = self.out_channels * (self.in_channels // self.groups) * kh * kw * self.kernel_frames
        return self.count * (w + (self.out_channels if self.bias else 0))


class NormGroup(Strict):
    """``count`` normalisation layers (LayerNorm, RMSNorm, GroupNorm, BatchNorm) of ``features`` channels."""

    name: str
    kind: str
    stream: Stream
    features: int = Field(gt=0)
    count: int = Field(gt=0)
    scale: float = 1.0


class TokenRules(Strict):
    """How resolution and prompt length become token counts for the denoiser.

    image tokens = ceil_to(ceil(H / (vae_scale_factor * patch_size)) * ceil(W / (vae_scale_factor * patch_size)),
    image_multiple_of); text tokens per ``text_policy`` (see :data:`TextPolicy`).
    """

    vae_scale_factor: int = Field(gt=0, description="VAE spatial downsampling (8)")
    patch_size: int = Field(gt=0, description="denoiser patchification of the latent (2 -> 2x2 latent pixels per token)")
    latent_channels: int = Field(gt=0)
    text_policy: TextPolicy
    max_sequence_length: int = Field(gt=0, description="pipeline default max_sequence_length of the denoiser text stream")
    text_multiple_of: int = Field(1, gt=0, description="denoiser pads the text tokens to a multiple of this")
    image_multiple_of: int = Field(1, gt=0, description="denoiser pads the image tokens to a multiple of this")
    template_tokens: int = Field(0, ge=0, description="chat-template tokens added around the prompt (approximate)")
    notes: str = ""


class ComponentSpec(Strict):
    """One component the pipeline runs.

    ``module`` is the pipeline attribute holding it (``transformer``, ``text_encoder``, ``text_encoder_2``, ``vae``);
    the VAE decoder and encoder share ``module='vae'``. ``param_count`` counts the parameters of the part
    described here (decoder + post_quant_conv; encoder + quant_conv; the whole text-encoder module incl. unused
    heads/towers); ``param_count_unused`` says how many of those a text-to-image call never runs (lm_head,
    vision tower, last layers after the used hidden state).
    """

    name: str
    role: Role
    module: str
    class_name: str
    config: dict[str, Any]
    param_count: int = Field(ge=0)

    @model_validator(mode="before")
    @classmethod
    def _bounded_config(cls, data: Any) -> Any:
        """The free-form ``config`` (copied from diffusers/transformers): plain data, bounded in size and depth."""
        from advisor.catalog.yaml_reader import bounded_plain

        if isinstance(data, dict) and "config" in data:
            bounded_plain(data["config"])
        return data
    param_count_unused: int = Field(0, ge=0)
    buffer_count: int = Field(0, ge=0, description="persistent buffer elements (e.g. BatchNorm running stats)")
    sequence_policy: TextPolicy | None = Field(None, description="text encoders: padded to max_sequence_length or prompt only")
    max_sequence_length: int | None = Field(None, description="text encoders: tokens encoded when padded")
    hidden_size: int | None = None
    num_blocks: int | None = Field(None, description="repeated blocks (for group offload: one block resident at a time)")
    largest_block_params: int | None = Field(None, description="parameters of the largest repeated block")
    blocks_param_count: int | None = Field(None, description="parameters of all repeated blocks together")
    largest_leaf_params: int | None = Field(None, description="parameters of the largest leaf module (Linear, "
                                            "Embedding, Conv2d): what sequential offload keeps resident")
    linears: list[LinearGroup] = Field(default_factory=list)
    attentions: list[AttentionGroup] = Field(default_factory=list)
    convs: list[ConvGroup] = Field(default_factory=list)
    norms: list[NormGroup] = Field(default_factory=list)
    notes: str = ""


class ArchitectureSpec(Strict):
    """The architecture facts of one pipeline (``slug``), generated from the real classes."""

    slug: str
    pipeline_class: str
    components: list[ComponentSpec]
    tokens: TokenRules
    versions: dict[str, str] = Field(default_factory=dict, description="diffusers/transformers/torch used to extract")
    source: str = ""

    @model_validator(mode="after")
    def _check(self) -> "ArchitectureSpec":
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate component names: {names}")
        if sum(c.role == "transformer" for c in self.components) != 1:
            raise ValueError("exactly one component with role 'transformer' is required")
        return self

    def components_with_role(self, role: Role) -> list[ComponentSpec]:
        return [c for c in self.components if c.role == role]

    def component(self, role: Role) -> ComponentSpec | None:
        """The first component with ``role`` (None if absent)."""
        found = self.components_with_role(role)
        return found[0] if found else None

    @property
    def transformer(self) -> ComponentSpec:
        comp = self.component("transformer")
        assert comp is not None
        return comp

    @property
    def text_encoders(self) -> list[ComponentSpec]:
        return self.components_with_role("text_encoder")

    @property
    def vae_decoder(self) -> ComponentSpec | None:
        return self.component("vae_decoder")

    @property
    def vae_encoder(self) -> ComponentSpec | None:
        return self.component("vae_encoder")

    def module_param_counts(self) -> dict[str, int]:
        """Parameters per pipeline module (what is loaded/offloaded as a unit) [count]."""
        out: dict[str, int] = {}
        for c in self.components:
            out[c.module] = out.get(c.module, 0) + c.param_count
        return out

    @property
    def total_params(self) -> int:
        return sum(c.param_count for c in self.components)


#: libyaml's CSafeLoader when PyYAML was built with it (same safe constructor as ``yaml.safe_load``, ~10x faster
#: on the large architecture files), else the pure-Python SafeLoader.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ARCHITECTURES_DIR = Path(__file__).resolve().parents[2] / "profiles" / "architectures"  # = catalog.PROFILES_DIR / ...


def architecture_path(slug: str, directory: Path | None = None) -> Path:
    return (directory or ARCHITECTURES_DIR) / f"{slug}.yaml"


def available_architectures(directory: Path | None = None) -> list[str]:
    """Slugs with an architecture file in ``directory`` (default ``profiles/architectures``)."""
    return list(_available(directory or ARCHITECTURES_DIR))


@lru_cache(maxsize=8)
def _available(d: Path) -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in d.glob("*.yaml"))) if d.is_dir() else ()


def spec_from_yaml_text(text: str, file: str = "<string>") -> ArchitectureSpec:
    """Parse and validate an architecture YAML document; errors name the file, entry and field."""
    from advisor.catalog.yaml_reader import read_yaml_text

    data = read_yaml_text(text, file, expect=dict)  # the hardened reader: one-line errors naming the file
    return spec_from_data(data, file)


def spec_from_data(data: dict, file: str = "<data>") -> ArchitectureSpec:
    """Validate parsed YAML data into an :class:`ArchitectureSpec`; one-line CatalogError naming file and field."""
    try:
        return ArchitectureSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise CatalogError(file, str(data.get("slug")), loc or None, err["msg"]) from None


def spec_to_yaml_text(spec: ArchitectureSpec) -> str:
    """Serialise a spec to YAML (stable key order, as in the model)."""
    return yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False, width=120)


@lru_cache(maxsize=None)
def _load_cached(path_str: str, mtime: float) -> ArchitectureSpec:
    from advisor.catalog.yaml_reader import read_yaml_file

    path = Path(path_str)
    data = read_yaml_file(path, expect=dict)
    return spec_from_data(data, str(path))


def load_architecture(slug: str, directory: Path | None = None) -> ArchitectureSpec:
    """Load ``profiles/architectures/<slug>.yaml``; unknown slug -> UnknownSlugError."""
    path = architecture_path(slug, directory)
    if not path.is_file():
        raise UnknownSlugError("architecture", slug, available_architectures(directory))
    spec = _load_cached(str(path), path.stat().st_mtime)
    if spec.slug != slug:
        raise CatalogError(str(path), spec.slug, "slug", f"file is named {slug}.yaml but its slug is {spec.slug!r}")
    return spec
