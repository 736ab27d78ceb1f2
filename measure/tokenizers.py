"""Offline byte-level tokenizers that stand in for the real ones (no hub files, no downloads).

Byte-level BPE with the 256 byte symbols as the whole vocabulary and no merges: every UTF-8 byte is one
token. Token *counts* therefore differ from the real tokenizers for a prompt, but every pipeline pads the
text to ``max_sequence_length`` (FLUX.1/FLUX.2/klein) or strips padding (Z-Image), and the chat templates
are kept, so the tensors the models see have the real shapes. Recipe: shared/research/diffusers-offline.md §3.
"""

from __future__ import annotations

from functools import lru_cache

TEXT = ("{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for c in m['content'] %}"
        "{{ c['text'] }}{% endfor %}{% endif %}")
QWEN_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n" + TEXT + "<|im_end|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
MISTRAL_TEMPLATE = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}[SYSTEM_PROMPT]" + TEXT +
                    "[/SYSTEM_PROMPT]{% else %}[INST]" + TEXT + "[/INST]{% endif %}{% endfor %}")


def _byte_symbols() -> list[str]:
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    return list(bytes_to_unicode().values())


def _byte_level_fast(specials: list[str], **kwargs):
    """A PreTrainedTokenizerFast over [specials + 256 byte symbols] with no merges."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.BPE(vocab={s: i for i, s in enumerate(specials + _byte_symbols())}, merges=[]))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, **kwargs)
    tok.add_tokens([AddedToken(s, special=True) for s in specials])
    return tok


def qwen_tokenizer():
    """Qwen2Tokenizer stand-in (Z-Image, FLUX.2-klein): chat markers added as special tokens."""
    from tokenizers import AddedToken
    from transformers import Qwen2Tokenizer

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Qwen2Tokenizer(vocab={s: i for i, s in enumerate(_byte_symbols() + specials)}, merges=[],
                         chat_template=QWEN_TEMPLATE)
    tok.add_tokens([AddedToken(s, special=True) for s in specials[1:]])
    return tok


def mistral_tokenizer():
    """Stands in for FLUX.2-dev's PixtralProcessor: the pipeline only calls ``apply_chat_template``."""
    specials = ["<unk>", "<s>", "</s>", "<pad>", "[INST]", "[/INST]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[IMG]"]
    tok = _byte_level_fast(specials, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>")
    tok.chat_template = MISTRAL_TEMPLATE
    return tok


def clip_tokenizer():
    """CLIPTokenizer stand-in for FLUX.1 (77 tokens, padded)."""
    specials = ["<|startoftext|>", "<|endoftext|>"]
    return _byte_level_fast(specials, bos_token="<|startoftext|>", eos_token="<|endoftext|>",
                            pad_token="<|endoftext|>", unk_token="<|endoftext|>", model_max_length=77)


def t5_tokenizer():
    """T5TokenizerFast stand-in for FLUX.1 (padded to max_sequence_length)."""
    specials = ["<pad>", "</s>", "<unk>"]
    return _byte_level_fast(specials, eos_token="</s>", pad_token="<pad>", unk_token="<unk>", model_max_length=512)


@lru_cache(maxsize=None)
def _cached(kind: str):
    return {"qwen": qwen_tokenizer, "mistral": mistral_tokenizer, "clip": clip_tokenizer, "t5": t5_tokenizer}[kind]()


def tokenizer(kind: str):
    """A (cached) offline tokenizer: 'qwen' | 'mistral' | 'clip' | 't5'."""
    return _cached(kind)
