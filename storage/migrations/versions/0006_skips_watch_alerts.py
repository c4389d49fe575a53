"""crawl_run_sources.skipped: links not fetched, by reason, per source and run;
watch_totals: articles matched per watch-list rule; alerts: immediate alerts

Revision ID: 0006
Revises: 0005

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('crawl_run_sources') as batch:
        batch.add_column(sa.Column('skipped', sa.JSON(), nullable=True))
    op.create_table('watch_totals',
    sa.Column('rule', sa.String(length=200), nullable=False),
    sa.Column('articles', sa.Integer(), nullable=False),
    sa.Column('last_matched_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('rule', name=op.f('pk_watch_totals'))
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('cluster_id', 'channel', name='uq_alerts_cluster_channel')
    )
    op.create_index('ix_alerts_status', 'alerts', ['status'], unique=False)
    op.create_index('ix_alerts_created_at', 'alerts', ['created_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_alerts_created_at', table_name='alerts')
    op.drop_index('ix_alerts_status', table_name='alerts')
    op.drop_table('alerts')
    op.drop_table('watch_totals')
    with op.batch_alter_table('crawl_run_sources') as batch:
        batch.drop_column('skipped')
