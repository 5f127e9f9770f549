"""fieldwork.policy.training."""
