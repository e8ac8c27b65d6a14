"""The attention panel: heatmap, layer × head grid, sources and explore mode.

Importing this package costs nothing: `dock` and `jobs` use Qt only, and the numpy-backed
views (`panel`, `heatmap`, `grid`, `sources`, `explore`) load when the panel is first shown,
so the main window never imports numpy at start-up.
"""
