"""StudyLog: a local-first study-log assistant."""

__version__ = "0.1.0"
