"""photo bytes in the database (photo_blobs) and WebP/AVIF renditions of the scales

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 04:10:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo_blobs",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("chunk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name", "chunk", name=op.f("pk_photo_blobs")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Images do not compress: spare PostgreSQL the attempt on every chunk.
        op.execute("ALTER TABLE photo_blobs ALTER COLUMN data SET STORAGE EXTERNAL")
    # A 512 or 256 scale now has up to three rows: its JPEG/PNG, WebP and AVIF.
    with op.batch_alter_table("photo_scales", schema=None) as batch_op:
        batch_op.drop_constraint("uq_photo_scales_photo_id", type_="unique")
        batch_op.create_unique_constraint("uq_photo_scales_photo_id", ["photo_id", "size", "format"])


def downgrade() -> None:
    op.execute("DELETE FROM photo_scales WHERE format IN ('webp', 'avif') AND size <> 'original'")
    with op.batch_alter_table("photo_scales", schema=None) as batch_op:
        batch_op.drop_constraint("uq_photo_scales_photo_id", type_="unique")
        batch_op.create_unique_constraint("uq_photo_scales_photo_id", ["photo_id", "size"])
    op.drop_table("photo_blobs")
