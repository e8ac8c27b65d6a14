"""The bounded OpenMP spin is set for every runtime, and a user's own setting wins."""

from __future__ import annotations

from studylog.openmp import SPIN, bound_openmp_spin


def test_bounded_spin_for_libgomp_and_llvm_intel_runtimes(monkeypatch) -> None:
    for name in SPIN:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KMP_BLOCKTIME", "0")  # the user's choice
    bound_openmp_spin()
    import os

    assert os.environ["GOMP_SPINCOUNT"] == "100000"
    assert os.environ["KMP_BLOCKTIME"] == "0"
    assert "OMP_WAIT_POLICY" not in SPIN  # PASSIVE cost a quarter of the decoding speed
