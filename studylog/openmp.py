"""How long idle OpenMP threads spin before they sleep: a bounded spin, set once per process.

Set before anything loads an OpenMP runtime (torch, Kiwi, the embedder), because each runtime
reads its environment once, when it starts. Measured on the 2-core CPU:

- Spinning without bound (`OMP_WAIT_POLICY=ACTIVE` and friends) is how query latency once
  reached p95 1.6 s with Kiwi and the embedder in one process (../shared/DESIGN.md).
- Never spinning (`OMP_WAIT_POLICY=PASSIVE`, what StudyLog set until now) puts every thread
  to sleep after each parallel region and wakes it through the kernel for the next one. A
  decoding step runs ~200 of them (one per weight matrix), and decoding fell from 15.3 to
  12.0 tokens/s (`studylog bench ask --baseline llama-cpp`, 1,015-token prompt, 64 tokens).
- A bounded spin keeps both: libgomp's `GOMP_SPINCOUNT=100000` (the runtime of Linux torch
  wheels) decoded at 14.9 tokens/s, and 48 hybrid searches in one process took p50 13 ms and
  p95 22 ms against 21 and 28 ms with PASSIVE; with a torch thread busy beside them p95 was
  83 ms (PASSIVE: 40 ms), far from the 1.6 s of unbounded spinning. LLVM's and Intel's
  runtimes (macOS, Windows wheels) read `KMP_BLOCKTIME` instead: 1 ms.

A value the user already set wins.
"""

from __future__ import annotations

import os

SPIN = {"GOMP_SPINCOUNT": "100000", "KMP_BLOCKTIME": "1"}


def bound_openmp_spin() -> None:
    """Set the bounded spin (`SPIN`) in this process's environment unless already set."""
    for name, value in SPIN.items():
        os.environ.setdefault(name, value)
