"""fieldwork.policy.patrols."""
