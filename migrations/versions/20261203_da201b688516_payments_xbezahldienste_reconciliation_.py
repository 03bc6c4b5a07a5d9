"""payments: XBezahldienste, reconciliation, refunds by the Kasse

Payments remember the XBezahldienste status and pay page addresses and the Kasse's
transactionReference; the reconciliation's schedule (checks, next check, last problem, stuck
alert) is kept per payment. Payments not yet final when this runs are asked about at once.
Refunds record whether the Kasse pays them back (the payment service offers no refunds).

Revision ID: da201b688516
Revises: 3f1c0a9e6b21
Create Date: 2026-12-03 15:55:36

"""

import sqlalchemy as sa
from alembic import op

revision = "da201b688516"
down_revision = "3f1c0a9e6b21"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        for name, length in (
            ("status_url", 2100),
            ("pay_url", 2100),
            ("transaction_reference", 100),
        ):
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            )
        batch_op.add_column(sa.Column("attempt_started_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("checks", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_check_at", sa.DateTime(timezone=True)))
        batch_op.add_column(
            sa.Column("last_problem", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("stuck_alerted_at", sa.DateTime(timezone=True)))
        batch_op.alter_column(
            "provider",
            existing_type=sa.VARCHAR(length=20),
            type_=sa.String(length=40),
            existing_nullable=False,
        )
        batch_op.create_index(batch_op.f("ix_payment_next_check_at"), ["next_check_at"])
    op.execute(
        "UPDATE payment SET next_check_at = updated_at, attempt_started_at = updated_at "
        "WHERE attempts > 0 AND state IN ('offen', 'fehlgeschlagen', 'abgebrochen')"
    )
    with op.batch_alter_table("payment_refund", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("by_kasse", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_refund", schema=None) as batch_op:
        batch_op.drop_column("by_kasse")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_next_check_at"))
        batch_op.alter_column(
            "provider",
            existing_type=sa.String(length=40),
            type_=sa.VARCHAR(length=20),
            existing_nullable=False,
        )
        for name in (
            "stuck_alerted_at",
            "last_problem",
            "next_check_at",
            "checks",
            "attempt_started_at",
            "transaction_reference",
            "pay_url",
            "status_url",
        ):
            batch_op.drop_column(name)
