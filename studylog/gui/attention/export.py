"""Write what the panel shows: the view as PNG, the matrix behind it as CSV or NPY."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QWidget

KINDS = ("png", "csv", "npy")


def write_png(widget: QWidget, path: str | Path) -> Path:
    """The widget as it is drawn now (`grab()`), saved as PNG."""
    path = Path(path)
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path


def write_npy(matrix: np.ndarray, path: str | Path) -> Path:
    path = Path(path)
    with open(path, "wb") as file:  # a file object keeps numpy from appending ".npy"
        np.save(file, np.asarray(matrix))
    return path


def write_csv(matrix: np.ndarray, path: str | Path, row_labels: Sequence[str] = (),
              col_labels: Sequence[str] = ()) -> Path:
    """A 2-D matrix with a header row of column labels and a first column of row labels.

    UTF-8 with a byte-order mark, so spreadsheet programs read Korean labels correctly.
    """
    path = Path(path)
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"CSV needs a 2-D matrix, not shape {matrix.shape}")
    rows = list(row_labels) or [str(index) for index in range(matrix.shape[0])]
    cols = list(col_labels) or [str(index) for index in range(matrix.shape[1])]
    with open(path, "w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["", *cols])
        for label, values in zip(rows, matrix, strict=True):
            writer.writerow([label, *(f"{value:.6g}" for value in values)])
    return path
