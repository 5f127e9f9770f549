"""fieldwork.services.training."""
