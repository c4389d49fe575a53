"""indexed archive: url_keys, dedup_bands, source_totals, archive_meta; indexes for the digest,
export --since, stats, housekeeping and the stale-run check at every crawl start

The rows of the new tables are filled for existing articles by ``storage.backfill`` in
committed batches right after this migration (resumable after a kill): this revision only
changes the schema and records that a backfill is due.

Revision ID: 0004
Revises: 0003

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('url_keys',
    sa.Column('key', sa.String(length=2000), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_url_keys_article_id_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_url_keys'))
    )
    op.create_index('ix_url_keys_article_id', 'url_keys', ['article_id'], unique=False)
    op.create_table('dedup_bands',
    sa.Column('key', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('article_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_dedup_bands_article_id_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', 'article_id', name=op.f('pk_dedup_bands')),
    sqlite_with_rowid=False
    )
    op.create_index('ix_dedup_bands_article_id', 'dedup_bands', ['article_id'], unique=False)
    op.create_table('source_totals',
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('articles', sa.Integer(), nullable=False),
    sa.Column('relevant', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('last_fetched_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_source_totals'))
    )
    op.create_table('archive_meta',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_archive_meta'))
    )
    op.drop_index('ix_articles_fetched_at', table_name='articles')
    op.create_index('ix_articles_fetched_at', 'articles', ['fetched_at', 'id'], unique=False)
    op.create_index('ix_articles_relevant_fetched', 'articles', ['relevant', 'fetched_at', 'cluster_id', 'id'], unique=False)
    op.create_index('ix_raw_pages_fetched_at', 'raw_pages', ['fetched_at'], unique=False)
    op.create_index('ix_crawl_runs_started_at', 'crawl_runs', ['started_at'], unique=False)
    op.create_index('ix_crawl_runs_status', 'crawl_runs', ['status'], unique=False)
    op.create_index('ix_crawl_run_sources_source', 'crawl_run_sources', ['source', 'run_id'], unique=False)
    # storage.backfill fills the new tables for articles stored before this revision; a fresh
    # database has none, and the backfill then finishes at once.
    op.execute(sa.text("INSERT INTO archive_meta (name, value) VALUES ('backfill_0004', '0')"))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_crawl_run_sources_source', table_name='crawl_run_sources')
    op.drop_index('ix_crawl_runs_status', table_name='crawl_runs')
    op.drop_index('ix_crawl_runs_started_at', table_name='crawl_runs')
    op.drop_index('ix_raw_pages_fetched_at', table_name='raw_pages')
    op.drop_index('ix_articles_relevant_fetched', table_name='articles')
    op.drop_index('ix_articles_fetched_at', table_name='articles')
    op.create_index('ix_articles_fetched_at', 'articles', ['fetched_at'], unique=False)
    op.drop_table('archive_meta')
    op.drop_table('source_totals')
    op.drop_index('ix_dedup_bands_article_id', table_name='dedup_bands')
    op.drop_table('dedup_bands')
    op.drop_index('ix_url_keys_article_id', table_name='url_keys')
    op.drop_table('url_keys')
