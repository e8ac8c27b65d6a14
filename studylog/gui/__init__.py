"""The PySide6 desktop app. It reaches the core only through `studylog.service`, on worker
threads; it never imports torch, chromadb or the model packages (import-linter checks it)."""
