"""orders, their boxes and the items in them (each item its own copy of product fields)

Three new tables, every row naming its organization; an order's number is unique within
its organization; deleting an order deletes its boxes and their items (ON DELETE
CASCADE). An item has the columns of product_fields (0009) plus its own. Nothing
existing is touched.

Revision ID: 0010
Revises: 0009 (made on 0008; follows the product fields once both are merged)
Create Date: 2026-11-26 06:19:24
"""

import sqlalchemy as sa
from alembic import op

from xmlapi.models.types import ExactDecimal, UTCDateTime


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_orders_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("organization_id", "number", name=op.f("uq_orders_organization_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_orders_organization_id"), "orders", ["organization_id"])

    op.create_table(
        "boxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_boxes_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_boxes_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boxes")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_boxes_order_id"), "boxes", ["order_id"])
    op.create_index(op.f("ix_boxes_organization_id"), "boxes", ["organization_id"])

    op.create_table(
        "box_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("box_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=1023), nullable=True),
        sa.Column("description", sa.String(length=4096), nullable=True),
        sa.Column("unit_price", ExactDecimal(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("part_number", sa.String(length=255), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("link", sa.String(length=4096), nullable=True),
        sa.Column("image_link", sa.String(length=4096), nullable=True),
        sa.Column("pick_location", sa.String(length=255), nullable=True),
        sa.Column("weight_amount", ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("weight_unit", sa.String(length=3), nullable=True),
        sa.Column("origin_country_code", sa.String(length=64), nullable=True),
        sa.Column("joint_production", sa.Boolean(), nullable=True),
        sa.Column("commodity_code", sa.String(length=255), nullable=True),
        sa.Column("net_cost_code", sa.String(length=255), nullable=True),
        sa.Column("net_cost_begin_date", UTCDateTime(timezone=True), nullable=True),
        sa.Column("net_cost_end_date", UTCDateTime(timezone=True), nullable=True),
        sa.Column("producer_info_code", sa.String(length=255), nullable=True),
        sa.Column("preference_criteria_code", sa.String(length=255), nullable=True),
        sa.Column("scheduleb_commodity_code", sa.String(length=255), nullable=True),
        sa.Column("export_type_code", sa.String(length=255), nullable=True),
        sa.Column("ups", sa.String(length=255), nullable=True),
        sa.Column("ean", sa.String(length=255), nullable=True),
        sa.Column("isbn", sa.String(length=255), nullable=True),
        sa.Column("custom_fields", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["box_id"], ["boxes.id"], name=op.f("fk_box_items_box_id_boxes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_box_items_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_box_items")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_box_items_box_id"), "box_items", ["box_id"])
    op.create_index(op.f("ix_box_items_organization_id"), "box_items", ["organization_id"])


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("box_items")
    op.drop_table("boxes")
    op.drop_table("orders")
