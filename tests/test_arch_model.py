"""advisor.catalog.architecture: loading, validation errors, helpers (no torch needed)."""

from __future__ import annotations

import pytest

from advisor.catalog.architecture import (ArchitectureSpec, LinearGroup, available_architectures, load_architecture,
                          spec_from_yaml_text, spec_to_yaml_text)
from advisor.errors import CatalogError, UnknownSlugError


def test_available_architectures_lists_the_six_slugs():
    assert set(available_architectures()) >= {"z-image-turbo", "flux-2-dev", "flux-2-klein-4b", "flux-2-klein-9b",
                                              "flux-1-dev", "flux-1-schnell"}


def test_unknown_slug_suggests_close_one():
    with pytest.raises(UnknownSlugError, match=r"architecture: got 'flux-2-deb'.*did you mean flux-2-dev"):
        load_architecture("flux-2-deb")


def test_round_trip_yaml():
    spec = load_architecture("flux-1-dev")
    again = spec_from_yaml_text(spec_to_yaml_text(spec))
    assert again == spec


def test_bad_field_names_file_entry_and_field():
    text = spec_to_yaml_text(load_architecture("flux-2-klein-4b")).replace("text_policy: padded",
                                                                           "text_policy: sometimes")
    with pytest.raises(CatalogError, match=r"^x\.yaml \[flux-2-klein-4b\] field 'tokens\.text_policy': "):
        spec_from_yaml_text(text, file="x.yaml")


def test_extra_field_is_rejected():
    data = load_architecture("flux-2-klein-4b").model_dump(mode="json")
    data["colour"] = "blue"
    with pytest.raises(ValueError, match="colour"):
        ArchitectureSpec.model_validate(data)


def test_linear_group_params():
    # 3 layers of 4->5 with bias: 3 * (4*5 + 5) = 75
    assert LinearGroup(name="x", stream="image", in_features=4, out_features=5, count=3).params == 75


def test_z_image_token_rules_and_streams():
    spec = load_architecture("z-image-turbo")
    assert spec.tokens.text_policy == "prompt_only" and spec.tokens.text_multiple_of == 32
    streams = {g.name: g.stream for g in spec.transformer.linears}
    assert streams["noise_refiner.*.attention.to_q"] == "image"
    assert streams["context_refiner.*.attention.to_q"] == "text"
    assert streams["layers.*.feed_forward.w1"] == "joint"
    assert streams["layers.*.adaLN_modulation.*"] == "per_sample"


def test_core_modules_do_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, advisor.catalog.architecture, advisor.perf.flops, advisor.perf.memory, measure.architecture_extract; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
