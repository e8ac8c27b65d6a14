"""The PySide6 desktop app. It reaches the core only through `studylog.service`, on worker
threads; it never imports torch, chromadb or the model packages (import-linter checks it)."""

import os
import sys


def _point_frozen_qt_at_bundled_plugins() -> None:
    """In the PyInstaller build, tell Qt where its plugins are (platforms, input methods).

    PyInstaller's own PySide6 run-time hook would do this for every run, CLI included, and
    load Qt there too; packaging/studylog.spec drops that hook, so the GUI does it here,
    before any PySide6 import of this package."""
    bundle = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or not bundle:
        return
    qt_dir = (
        os.path.join(bundle, "PySide6")
        if sys.platform.startswith("win")
        else os.path.join(bundle, "PySide6", "Qt")
    )
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_dir, "plugins")
    os.environ["QML2_IMPORT_PATH"] = os.path.join(qt_dir, "qml")


_point_frozen_qt_at_bundled_plugins()
