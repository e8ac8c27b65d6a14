"""Quiz cards drawn from the notes and scheduled by FSRS (no Qt, no model)."""
