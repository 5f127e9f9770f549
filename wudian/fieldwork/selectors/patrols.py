"""fieldwork.selectors.patrols."""
