"""4-bit weights for decoding steps: one token at a time reads every weight, so fewer bytes and a
faster kernel per weight make each answer token sooner.

Why only for decoding: a decoding step multiplies one activation row by each weight matrix, and
there ATen's int4 kernel (`torch._weight_int4pack_mm_for_cpu`: bfloat16 activations, 4-bit
weights in groups of 32 along the input, one bfloat16 scale and zero per group) did 35 G
weights/s on the 2-core AVX-512 CPU against 21.7 G weights/s for the int8 `torch._int_mm`
(one-off timing of 28 gate/up-sized matrices, 2 threads; `studylog bench ask` shows the effect on
whole decoding steps). For a prompt (hundreds of rows) the int8 kernel is 3x faster and exactly
token-independent, so prompts keep `int8-per-token`.

The rounding is the 4-bit asymmetric group rounding llama.cpp's Q4_K also uses (w = s*q + m per
group of 32, q in 0..15). The bundled GGUF's Q4_K tensors are already on such a grid, so for
them this is close to the weights llama.cpp runs; its Q6_K tensors (the lm_head, half of the
down_proj and v_proj) lose two bits. `studylog bench quant` measures what the rounding costs.

On the AVX2 path (`ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2`, as on an AVX2-only EPYC)
the gap is wider: 16.3 G weights/s for int4 against 8.9 for int8 without VNNI. The packed layout
depends on the kernel's ISA, so the model cache keeps one copy per layout (`packed_layout`).
"""

from __future__ import annotations

import torch

GROUP_SIZE = 32
"""Input channels per scale and zero: Q4_K's sub-block, and the smallest ATen's kernel takes."""

OUT_MULTIPLE = 16
"""The packing needs the output features in multiples of 16."""

LEVELS = 15  # q in 0..15

MAX_DECODE_ROWS = 8
"""Most rows a call may have to use the 4-bit weights: a decoding step's last token and its
drafts (studylog.rag.decoding). Measured on a 1536 x 8960 Linear, 2 cores: 4-bit 0.38 ms for
1 row, 0.67 for 4, 1.34 for 8, 2.65 for 16, where int8 takes ~0.9 ms at any small count."""


def packed_layout() -> str:
    """Names the layout `pack_for_cpu` produces here: ATen's CPU capability ("avx512", "avx2"),
    whose int4 kernels read differently packed weights."""
    return torch.backends.cpu.get_cpu_capability().lower()


def quantize_int4_groups(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Asymmetric 4-bit rounding in groups of GROUP_SIZE input channels.

    weight [N, K] float (K a multiple of 32) -> (nibbles uint8 [N, K/2], two 4-bit values per
    byte, even column in the high half; scales_and_zeros bfloat16 [K/32, N, 2]) such that
    w ≈ (q - 8) * scale + zero, ATen's convention. q is rounded against the bfloat16 scale and
    zero the kernel will use, so the stored grid is the one computed with.
    """
    out_features, in_features = weight.shape
    if in_features % GROUP_SIZE:
        raise ValueError(f"in_features {in_features} is not a multiple of {GROUP_SIZE}")
    groups = weight.detach().float().reshape(out_features, in_features // GROUP_SIZE, GROUP_SIZE)
    low = groups.amin(dim=2)
    high = groups.amax(dim=2)
    scale = ((high - low) / LEVELS).clamp_min(1e-10).to(torch.bfloat16)
    zero = (low + 8 * scale.float()).to(torch.bfloat16)
    levels = torch.round((groups - zero.float()[..., None]) / scale.float()[..., None] + 8)
    levels = levels.clamp_(0, LEVELS).to(torch.uint8).reshape(out_features, in_features)
    nibbles = _pack_nibbles(levels)
    scales_and_zeros = torch.stack([scale, zero], dim=-1).transpose(0, 1).contiguous()
    return nibbles, scales_and_zeros


def _pack_nibbles(levels: torch.Tensor) -> torch.Tensor:
    """uint8 [N, K] in 0..15 -> uint8 [N, K/2], even column in the high half."""
    return ((levels[:, ::2] << 4) | levels[:, 1::2]).contiguous()


def unpack_nibbles(nibbles: torch.Tensor) -> torch.Tensor:
    """uint8 [N, K/2] -> int32 [N, K] in 0..15 (inverse of the packing above)."""
    levels = torch.stack([nibbles >> 4, nibbles & 0xF], dim=-1)
    return levels.reshape(nibbles.shape[0], -1).to(torch.int32)


def pack_for_cpu(nibbles: torch.Tensor) -> torch.Tensor:
    """The layout ATen's CPU int4 kernel reads, for this CPU's ISA (AVX-512 and AVX2 differ)."""
    return torch._convert_weight_to_int4pack_for_cpu(unpack_nibbles(nibbles), 1)


def int4_matmul(rows: torch.Tensor, packed: torch.Tensor, scales_and_zeros: torch.Tensor) -> torch.Tensor:
    """rows [M, K] float32 -> [M, N] float32 through bfloat16 activations and 4-bit weights."""
    out = torch._weight_int4pack_mm_for_cpu(
        rows.to(torch.bfloat16), packed, GROUP_SIZE, scales_and_zeros
    )
    return out.float()


class Q4KSource:
    """The Q4_K tensors of a GGUF file as 4-bit decoding weights, with no rounding of our own.

    Q4_K (llama.cpp's k-quants) stores blocks of 256 weights as 8 groups of 32, each with a
    6-bit scale and min under two float16 super-block factors: w = d*sc*q - dmin*m, q in 0..15.
    That is ATen's grid with scale = d*sc and zero = 8*scale - dmin*m, so the group values q are
    taken as they are and only the scale and zero are rounded (to bfloat16). Bit layout as in
    `gguf.quants.Q4_K` (gguf-py, which also reads the file). Tensors of any other type (Q6_K,
    F32) return None and are rounded by `quantize_int4_groups` instead.
    """

    _BLOCK_BYTES = 144  # d, dmin (float16), 12 bytes of packed 6-bit scales/mins, 128 of nibbles

    def __init__(self, path) -> None:
        import gguf

        self._reader = gguf.GGUFReader(path)
        arch = bytes(self._reader.fields["general.architecture"].parts[-1]).decode()
        arch_id = next(key for key, name in gguf.MODEL_ARCH_NAMES.items() if name == arch)
        layers = int(self._reader.fields[f"{arch}.block_count"].parts[-1][0])
        self._names = gguf.get_tensor_name_map(arch_id, layers)
        self._tensors = {tensor.name: tensor for tensor in self._reader.tensors}

    def groups(self, weight_name: str) -> tuple[torch.Tensor, torch.Tensor] | None:
        """`quantize_int4_groups`'s (nibbles, scales_and_zeros) for a transformers weight name
        such as "model.layers.0.mlp.up_proj.weight", or None where the GGUF has no Q4_K tensor."""
        import gguf
        import numpy as np

        base = weight_name.removesuffix(".weight")
        name = self._names.get_name(base)
        tensor = self._tensors.get(f"{name}.weight") if name else None
        if tensor is None or tensor.tensor_type != gguf.GGMLQuantizationType.Q4_K:
            return None
        in_features, out_features = (int(n) for n in tensor.shape[:2])  # GGUF lists ne0 first
        blocks = np.asarray(tensor.data).reshape(-1, self._BLOCK_BYTES)
        d = blocks[:, 0:2].copy().view(np.float16).astype(np.float32)
        dmin = blocks[:, 2:4].copy().view(np.float16).astype(np.float32)
        sc, m = gguf.quants.Q4_K.get_scale_min(blocks[:, 4:16])
        scale = (d * sc.astype(np.float32)).reshape(out_features, -1)  # [N, K/32]
        low = (dmin * m.astype(np.float32)).reshape(out_features, -1)
        qs = blocks[:, 16:].reshape(-1, 4, 32)  # 4 chunks of 64: low nibbles, then high
        levels = np.stack([qs & 0x0F, qs >> 4], axis=2).reshape(out_features, in_features)
        nibbles = _pack_nibbles(torch.from_numpy(np.ascontiguousarray(levels)))
        scale_t = torch.from_numpy(scale)
        zero = 8 * scale_t - torch.from_numpy(low)
        scales_and_zeros = torch.stack([scale_t, zero], dim=-1).transpose(0, 1)
        return nibbles, scales_and_zeros.to(torch.bfloat16).contiguous()
