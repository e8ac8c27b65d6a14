"""The daily note template (Korean, with an English variant)."""

from __future__ import annotations

import datetime as dt

from studylog.resources import resources_dir

TEMPLATE_LANGUAGES = ("ko", "en")


def render_daily_template(date: dt.date, language: str = "ko") -> str:
    language = language if language in TEMPLATE_LANGUAGES else "ko"
    text = (resources_dir() / "templates" / f"daily.{language}.md").read_text(encoding="utf-8")
    return text.replace("{date}", date.isoformat())
