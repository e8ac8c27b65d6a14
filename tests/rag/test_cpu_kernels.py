"""`make test-avx2` really runs the AVX2 kernels an AVX2-only CPU runs.

That run sets ATEN_CPU_CAPABILITY=avx2, FBGEMM_ENABLE_INSTRUCTIONS=AVX2 and ONEDNN_MAX_CPU_ISA=AVX2
(see the Makefile);
each test here is skipped unless its variable asks for AVX2, and fails when the variable did not
reach its library, so a forced run that silently used AVX-512 cannot pass for an AVX2 one.
"""

from __future__ import annotations

import os

import pytest
import torch
from torch import nn


def _asks_for_avx2(variable: str) -> bool:
    return os.environ.get(variable, "").strip().lower() == "avx2"


@pytest.mark.skipif(not _asks_for_avx2("ATEN_CPU_CAPABILITY"), reason="not a forced-AVX2 run")
def test_aten_dispatches_to_its_avx2_kernels() -> None:
    assert torch.backends.cpu.get_cpu_capability() == "AVX2"


@pytest.mark.skipif(not _asks_for_avx2("FBGEMM_ENABLE_INSTRUCTIONS"), reason="not a forced-AVX2 run")
def test_fbgemm_runs_its_avx2_fp16_kernels() -> None:
    """fbgemm tells Python nothing about its ISA, so this checks its AVX2 kernels' signature.

    Its AVX2 fp16 GEMM blocks the rows of a call by their count, so a row's float32 sums are
    ordered differently in a call of 37 rows than alone; its AVX-512 kernels give the same bits
    either way (measured on the 1.5B's q/up/down shapes, torch 2.13). Identical rows here mean
    the AVX-512 kernels ran although AVX2 was asked for.
    """
    from torch.ao.quantization import quantize_dynamic

    torch.manual_seed(0)
    linear = quantize_dynamic(
        nn.Sequential(nn.Linear(1536, 1024)).half().float(), {nn.Linear}, dtype=torch.float16
    )
    rows = torch.randn(37, 1536) * 3
    with torch.no_grad():
        together = linear(rows)
        alone = torch.cat([linear(rows[i : i + 1]) for i in range(len(rows))])
    assert not torch.equal(together, alone)
    # ...and only at float32 rounding: reordering a 1536-term sum moves it by < 1536 * 2**-24
    # of its size (measured 1.3e-6 relative; 0.0 and identical rows without the variable).
    assert float((together - alone).abs().max() / together.abs().max()) < 1536 * 2**-24


@pytest.mark.skipif(not _asks_for_avx2("ONEDNN_MAX_CPU_ISA"), reason="not a forced-AVX2 run")
def test_onednn_runs_int8_kernels_without_vnni() -> None:
    """Without VNNI, oneDNN adds pairs of u8 x s8 products into a saturating int16
    (`vpmaddubsw`), so full-range int8 weights give wrong sums there, and that is why
    int8-per-token keeps its weights within ±63 (studylog.rag.int8). Exact sums here mean the
    VNNI kernels ran although AVX2 was asked for (measured: off by up to 4e5 when forced)."""
    activations = torch.full((4, 1536), 127, dtype=torch.int8)
    weights = torch.full((16, 1536), 127, dtype=torch.int8)
    summed = torch._int_mm(activations, weights.t())
    assert not torch.equal(summed.double(), activations.double() @ weights.double().t())
