"""product_fields: what the JSON faces say of a product beyond the legacy columns

One row per product at most (kind, links, weight and its unit, customs facts,
barcodes, custom fields), gone with its product.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 06:30:00
"""

import sqlalchemy as sa
from alembic import op

from xmlapi.models.types import ExactDecimal, UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _text(name: str, length: int = 255) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=True)


def upgrade() -> None:
    op.create_table(
        "product_fields",
        sa.Column("product_id", sa.Integer(), nullable=False),
        _text("part_number"),
        _text("kind", 16),
        _text("link", 4096),
        _text("image_link", 4096),
        _text("pick_location"),
        sa.Column("weight_amount", ExactDecimal(precision=18, scale=4), nullable=True),
        _text("weight_unit", 3),
        _text("origin_country_code", 64),
        sa.Column("joint_production", sa.Boolean(), nullable=True),
        _text("commodity_code"),
        _text("net_cost_code"),
        sa.Column("net_cost_begin_date", UTCDateTime(timezone=True), nullable=True),
        sa.Column("net_cost_end_date", UTCDateTime(timezone=True), nullable=True),
        _text("producer_info_code"),
        _text("preference_criteria_code"),
        _text("scheduleb_commodity_code"),
        _text("export_type_code"),
        _text("ups"),
        _text("ean"),
        _text("isbn"),
        sa.Column("custom_fields", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_fields_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_fields")),
    )


def downgrade() -> None:
    op.drop_table("product_fields")
