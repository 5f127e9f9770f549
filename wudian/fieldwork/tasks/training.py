"""Periodic tasks of fieldwork: training."""
