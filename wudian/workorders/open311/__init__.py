"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under /open311/: the documents
(documents), which requests the public may follow and their filters (filters), filing a
request (filing, with API keys from keys) and the resources (views)."""
