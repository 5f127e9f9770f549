"""fieldwork.policy.defects."""
