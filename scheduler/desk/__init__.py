"""The review desk: a local web app (``newsmon serve``) to triage, read, search and label.

app.py       builds the Starlette app from a :class:`DeskState`
security.py  the access token, CSRF, security headers, safe redirects
render.py    templates (autoescaped), highlighting, links
inbox.py, story.py, search.py, pages.py, links.py   the routes of each page
"""
