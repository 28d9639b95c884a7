"""Runnable walk-throughs of the source texts: ``python -m demos`` runs them all."""
