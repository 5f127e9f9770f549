"""Periodic tasks of fieldwork: patrols."""
