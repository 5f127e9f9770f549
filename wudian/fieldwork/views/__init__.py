"""Pages of fieldwork, one module per part: training, patrols, defects."""
