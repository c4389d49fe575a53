"""Jinja2 templates of the demo news site (package so they ship with the wheel)."""
