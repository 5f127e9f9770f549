"""fieldwork.selectors.defects."""
