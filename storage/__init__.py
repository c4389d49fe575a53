"""newsmon storage: engine/session factory, typed models, migrations, dedup index, named queries.

This package is the bottom floor: it never imports ``crawler`` or ``scheduler``.
"""
