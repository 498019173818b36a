"""organizations own products; users are members; API tokens (stored as SHA-256)

Organization 1 is created and every existing product and user lands in it. Product
codes become unique per organization. On SQLite the products table is rebuilt (batch
"recreate", AUTOINCREMENT kept; foreign keys are off in migrations, so no row under a
product is touched).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 04:45:00
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

from xmlapi.models.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FIRST_ORGANIZATION = 1


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("created", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("name", name=op.f("uq_organizations_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_memberships_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("user_id", "organization_id", name=op.f("uq_memberships_user_id")),
    )
    op.create_index(op.f("ix_memberships_user_id"), "memberships", ["user_id"])
    op.create_index(op.f("ix_memberships_organization_id"), "memberships", ["organization_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("expires", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_tokens_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_tokens_digest")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])
    op.create_index(op.f("ix_api_tokens_organization_id"), "api_tokens", ["organization_id"])

    organizations = sa.table(
        "organizations",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("created", UTCDateTime(timezone=True)),
    )
    op.bulk_insert(
        organizations,
        [{"id": FIRST_ORGANIZATION, "name": "Organization 1", "created": dt.datetime.now(dt.UTC)}],
    )
    if op.get_bind().dialect.name == "postgresql":
        # The explicit id left the identity's counter at 1: the next insert must not clash.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('organizations', 'id'), "
            "(SELECT max(id) FROM organizations))"
        )
    op.execute(
        "INSERT INTO memberships (user_id, organization_id, position) "
        f"SELECT id, {FIRST_ORGANIZATION}, 0 FROM users"
    )

    with op.batch_alter_table(
        "products", recreate="auto", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(
            sa.Column(
                "organization_id",
                sa.Integer(),
                nullable=False,
                server_default=str(FIRST_ORGANIZATION),
            )
        )
    with op.batch_alter_table(
        "products", recreate="auto", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.alter_column("organization_id", server_default=None)
        batch_op.create_foreign_key(
            op.f("fk_products_organization_id_organizations"),
            "organizations",
            ["organization_id"],
            ["id"],
        )
        batch_op.create_index(op.f("ix_products_organization_id"), ["organization_id"])
        batch_op.drop_constraint("uq_products_code", type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_products_organization_id"), ["organization_id", "code"]
        )


def downgrade() -> None:
    with op.batch_alter_table(
        "products", recreate="auto", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_constraint("uq_products_organization_id", type_="unique")
        batch_op.create_unique_constraint("uq_products_code", ["code"])
        batch_op.drop_index("ix_products_organization_id")
        batch_op.drop_constraint("fk_products_organization_id_organizations", type_="foreignkey")
        batch_op.drop_column("organization_id")
    op.drop_table("api_tokens")
    op.drop_table("memberships")
    op.drop_table("organizations")
