"""fieldwork.services.defects."""
