"""one default cost per product; the product's costs are derived, no longer stored

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:53:05.861590
"""

from alembic import op
import sqlalchemy as sa
import xmlapi.models.types


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("cost")
        batch_op.drop_column("average_cost")
        batch_op.drop_column("raw_cost")

    # Keep the lowest-id default of a product whose rows say otherwise, so the index holds.
    costs = sa.table(
        "supplier_costs", sa.column("id"), sa.column("product_id"), sa.column("is_default")
    )
    first = sa.alias(costs, "first")
    op.execute(
        costs.update()
        .where(
            costs.c.is_default == sa.true(),
            costs.c.id
            > sa.select(sa.func.min(first.c.id))
            .where(first.c.product_id == costs.c.product_id, first.c.is_default == sa.true())
            .scalar_subquery(),
        )
        .values(is_default=False)
    )
    with op.batch_alter_table("supplier_costs", schema=None) as batch_op:
        batch_op.create_index(
            "uq_supplier_costs_default",
            ["product_id"],
            unique=True,
            postgresql_where=sa.text("is_default"),
            sqlite_where=sa.text("is_default"),
        )


def downgrade() -> None:
    with op.batch_alter_table("supplier_costs", schema=None) as batch_op:
        batch_op.drop_index("uq_supplier_costs_default")

    cost = xmlapi.models.types.ExactDecimal(precision=18, scale=4)
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raw_cost", cost, nullable=True))
        batch_op.add_column(sa.Column("average_cost", cost, nullable=True))
        batch_op.add_column(sa.Column("cost", cost, nullable=True))
