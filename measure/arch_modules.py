"""Module-tree helpers shared by the architecture extractors (no torch at import; functions import it lazily).

Public (package-internal) helpers: _pattern, _num_params, _num_buffers, _config_dict, _jsonable, _norm_features,
_is_norm, _largest_leaf, _blocks, _top_block_lists (moved out of measure/architecture_extract.py unchanged).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from measure.pipelines import raw_config

if TYPE_CHECKING:  # pragma: no cover
    import torch


def _pattern(name: str) -> str:
    """Module path with numeric indices replaced by '*'."""
    return re.sub(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.)", "*", name)


def _num_params(module: "torch.nn.Module") -> int:
    return sum(p.numel() for p in module.parameters())


def _num_buffers(module: "torch.nn.Module") -> int:
    # remove_duplicate=False: a tied lm_head.weight is the embedding parameter itself, not an extra buffer
    params = {n for n, _ in module.named_parameters(remove_duplicate=False)}
    total = 0
    for n, t in module.state_dict(keep_vars=True).items():
        if n not in params and hasattr(t, "numel"):
            total += t.numel()
    return total


def _config_dict(module: Any) -> dict[str, Any]:
    """JSON-able config of a diffusers or transformers module, bookkeeping keys dropped, keys sorted."""
    return _jsonable(raw_config(module))


_CONFIG_DROP = {"_name_or_path", "transformers_version", "_diffusers_version", "_commit_hash", "dtype", "torch_dtype",
                "_attn_implementation_autoset", "_use_default_values", "architectures", "_attn_implementation"}


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in sorted(obj.items()) if str(k) not in _CONFIG_DROP}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (bool, int, str)) or obj is None:
        return obj
    if isinstance(obj, float):
        return obj
    return str(obj)


_NORM_KINDS = ("LayerNorm", "RMSNorm", "GroupNorm", "BatchNorm2d", "T5LayerNorm", "AdaLayerNorm")


def _norm_features(mod: Any) -> int | None:
    for attr in ("normalized_shape", "num_channels", "num_features", "dim", "hidden_size"):
        v = getattr(mod, attr, None)
        if isinstance(v, int):
            return v
        if isinstance(v, (tuple, list)) and v and all(isinstance(x, int) for x in v):
            out = 1
            for x in v:
                out *= x
            return out
    w = getattr(mod, "weight", None)
    if w is not None and hasattr(w, "shape") and len(w.shape) == 1:
        return int(w.shape[0])
    return None


def _is_norm(mod: Any) -> str | None:
    cls = type(mod).__name__
    if cls.endswith("RMSNorm"):
        return "RMSNorm"
    if cls in ("LayerNorm", "GroupNorm", "BatchNorm2d", "T5LayerNorm", "FP32LayerNorm"):
        return cls
    return None


def _largest_leaf(module: Any) -> int:
    """Parameters of the largest leaf module (no children)."""
    best = 0
    for _, sub in module.named_modules():
        if next(iter(sub.children()), None) is None:
            best = max(best, sum(p.numel() for p in sub.parameters(recurse=False)))
    return best


def _blocks(module: Any) -> dict[str, int | None]:
    n, largest, total = _top_block_lists(module)
    return {"num_blocks": n, "largest_block_params": largest, "blocks_param_count": total,
            "largest_leaf_params": _largest_leaf(module) or None}


def _top_block_lists(module: Any) -> tuple[int | None, int | None, int | None]:
    """Blocks of the outermost ModuleLists only (no lists nested inside a counted list): (count, largest, total)."""
    import torch

    counted: list[str] = []
    n_blocks, largest, total = 0, 0, 0
    for name, sub in module.named_modules():
        if not isinstance(sub, torch.nn.ModuleList) or len(sub) < 2:
            continue
        if any(name.startswith(c + ".") for c in counted):
            continue
        sizes = [_num_params(b) for b in sub]
        if sum(sizes) < 0.05 * max(_num_params(module), 1):
            continue
        counted.append(name)
        n_blocks += len(sub)
        largest = max(largest, max(sizes))
        total += sum(sizes)
    return (n_blocks or None, largest or None, total or None)


# ----------------------------------------------------------------------------------------------- transformer
