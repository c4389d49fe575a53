"""review desk: each article's newest label on the article row (a label is its relevance
everywhere), and the full-text index over title and text

SQLite: an FTS5 external-content table ``articles_fts`` over ``articles`` (title, text), kept
current by triggers, filled for stored articles here. PostgreSQL: a stored generated tsvector
column (English and Russian ``to_tsvector`` of the same text) with a GIN index.

Revision ID: 0005
Revises: 0004

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from storage.search_schema import create_search_index, drop_search_index


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('labelled_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('labelled_at', sa.DateTime(), nullable=True))
    op.create_index(
        'ix_articles_inbox', 'articles',
        ['relevant', 'label', 'fetched_at', 'relevance_score'], unique=False,
    )
    # Carry each labelled article's newest label onto its row (labels are few).
    op.execute(
        """
        UPDATE articles SET
            label = (SELECT l.relevant FROM labels l WHERE l.article_id = articles.id
                     ORDER BY l.id DESC LIMIT 1),
            labelled_by = (SELECT l.reviewer FROM labels l WHERE l.article_id = articles.id
                           ORDER BY l.id DESC LIMIT 1),
            labelled_at = (SELECT l.created_at FROM labels l WHERE l.article_id = articles.id
                           ORDER BY l.id DESC LIMIT 1)
        WHERE id IN (SELECT article_id FROM labels)
        """
    )
    op.execute("UPDATE articles SET relevant = label WHERE label IS NOT NULL")
    # source_totals.relevant follows the labels just applied.
    op.execute(
        """
        UPDATE source_totals SET relevant = (
            SELECT count(*) FROM articles a
            WHERE a.source = source_totals.source AND a.relevant = true)
        WHERE source IN (SELECT DISTINCT a.source FROM labels l
                         JOIN articles a ON a.id = l.article_id)
        """
    )
    create_search_index(op.get_bind())


def downgrade() -> None:
    """Downgrade schema."""
    drop_search_index(op.get_bind())
    op.drop_index('ix_articles_inbox', table_name='articles')
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_column('labelled_at')
        batch_op.drop_column('labelled_by')
        batch_op.drop_column('label')
