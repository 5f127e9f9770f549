"""fieldwork.services.patrols."""
