"""fieldwork.services, split by what it concerns: training (certificates' reminders and trainings),
patrols (plans, checklists, sign-off) and defects (to closure). Import from the submodule."""
