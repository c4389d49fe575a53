"""The full-text index over articles' title and text: its DDL, per backend.

SQLite: ``articles_fts``, an FTS5 external-content table (the text is not stored twice) kept
current by three triggers on ``articles``; https://www.sqlite.org/fts5.html#external_content_tables.
PostgreSQL: a stored generated column ``articles_fts_vector`` (the English and the Russian
``to_tsvector`` of the same text, concatenated) with a GIN index; a search asks for the words
stemmed either way. The column is stored, not an index expression, so that ranking a few
thousand matches reads their vectors instead of parsing their texts again (1 s at 10k
articles with expression indexes).

These objects are not in the models: ``is_search_object`` tells autogenerate to leave them.
"""

from __future__ import annotations

from sqlalchemy import Connection

FTS_TABLE = "articles_fts"
PG_DOCUMENT = "coalesce(title, '') || ' ' || text"
PG_CONFIGS = ("english", "russian")
PG_VECTOR = f"{FTS_TABLE}_vector"

_SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "title, text, content='articles', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON articles BEGIN
        INSERT INTO {FTS_TABLE}(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON articles BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF title, text ON articles
    BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO {FTS_TABLE}(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
)


def is_search_object(name: str | None) -> bool:
    """True for the tables, column and indexes of the full-text index (FTS5 shadow tables
    too)."""
    return bool(name) and (
        str(name).startswith(FTS_TABLE) or str(name).startswith("ix_articles_fts")
    )


def create_search_index(conn: Connection) -> None:
    """Create the index and fill it from the stored articles (idempotent)."""
    if conn.dialect.name == "sqlite":
        for ddl in _SQLITE_DDL:
            conn.exec_driver_sql(ddl)
        conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    elif conn.dialect.name == "postgresql":
        vectors = " || ".join(
            f"to_tsvector('{config}'::regconfig, {PG_DOCUMENT})" for config in PG_CONFIGS
        )
        conn.exec_driver_sql(
            f"ALTER TABLE articles ADD COLUMN IF NOT EXISTS {PG_VECTOR} tsvector "
            f"GENERATED ALWAYS AS ({vectors}) STORED"
        )
        conn.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS ix_articles_fts ON articles USING gin ({PG_VECTOR})"
        )


def drop_search_index(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for suffix in ("ai", "ad", "au"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_articles_fts")
        conn.exec_driver_sql(f"ALTER TABLE articles DROP COLUMN IF EXISTS {PG_VECTOR}")
