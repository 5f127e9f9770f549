from django.urls import path

from wudian.outages import feed_views

app_name = "feeds"
urlpatterns = [
    path("outages/<slug:code>.ics", feed_views.compound_calendar, name="compound_calendar"),
    path("cap/<int:pk>.xml", feed_views.cap_alert, name="cap_alert"),
    path("cap.atom", feed_views.cap_index, name="cap_index"),
    path("outages/<int:pk>/notice.pdf", feed_views.notice_pdf, name="notice_pdf"),
    path(
        "outages/<int:pk>/notice/<slug:code>.pdf",
        feed_views.notice_pdf,
        name="compound_notice_pdf",
    ),
]
