"""Byline's web UI (filled in by the web UI issue)."""
