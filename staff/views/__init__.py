"""The staff screens' views, one module per screen. Each module holds its `urlpatterns`
(staff/urls.py includes them under the screen's prefix) and stays thin: read the form, call the
domain app's service or selector, render."""
