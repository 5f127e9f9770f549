"""fieldwork.selectors.training."""
