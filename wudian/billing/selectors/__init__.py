"""billing.selectors, split by what it reads: arrears (the list and a household's lines),
readings (imports, the bill's household, months and days) and reminders (walks, stops, who
paid). Import from the submodule."""
