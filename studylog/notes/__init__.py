"""Notes: the user's daily Markdown files, the source of truth."""
