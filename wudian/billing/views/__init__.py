"""billing's pages, a module per part: arrears (imports and history), reminders (walks and
outcomes), bills (the bill explainer), usage (the usage analysis). Each module has its
`urlpatterns`; billing/urls.py joins them."""
