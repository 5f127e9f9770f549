"""Periodic tasks of fieldwork: defects."""
