"""ids of products, photos, costs and serial numbers are never reused (SQLite AUTOINCREMENT)

SQLite hands a deleted row's id to the next insert unless the table is declared
AUTOINCREMENT, and a product's tag and cached renders start with its id: a new product
would be served the deleted one's body. PostgreSQL identities never go back, so there
this revision changes nothing. On SQLite each table is rebuilt (batch "recreate"), rows,
constraints and indexes kept; the counters start past the highest id in use.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 03:30:00
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("products", "product_photos", "supplier_costs", "serial_numbers")


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass
