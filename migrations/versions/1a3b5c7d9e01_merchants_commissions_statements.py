"""merchants, commission rates, settlement entries and statements

Revision ID: 1a3b5c7d9e01
Revises: 1a3b5c7d9e05
Create Date: 2026-12-08 02:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

import app.db  # noqa: F401 - column types such as UTCDateTime

# Rebuilding ``products`` on SQLite (batch mode) drops the triggers that keep the product search
# index current (bd989e0a8372); they are made again after each rebuild, written out here so that
# this migration stays as it is.
SEARCH_TRIGGERS = (
    """CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
  INSERT INTO products_fts(rowid, name, sku) VALUES (new.id, new.name, new.sku);
END""",
    """CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
  INSERT INTO products_fts(products_fts, rowid, name, sku) VALUES ('delete', old.id, old.name, old.sku);
END""",
    """CREATE TRIGGER products_fts_update AFTER UPDATE OF name, sku ON products BEGIN
  INSERT INTO products_fts(products_fts, rowid, name, sku) VALUES ('delete', old.id, old.name, old.sku);
  INSERT INTO products_fts(rowid, name, sku) VALUES (new.id, new.name, new.sku);
END""",
)


def _search_triggers_again():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS products_fts_{name}")
    for statement in SEARCH_TRIGGERS:
        op.execute(statement)

# revision identifiers, used by Alembic.
revision = "1a3b5c7d9e01"
down_revision = "1a3b5c7d9e05"
branch_labels = None
depends_on = None


T = app.db.UTCDateTime(timezone=True)

# The same guards as app/settlement/guards.py (kept here as they were when this ran).
SQLITE_GUARDS = [
    "CREATE TRIGGER settlement_statements_no_update BEFORE UPDATE ON settlement_statements BEGIN SELECT RAISE(ABORT, 'closed statements are immutable'); END",
    "CREATE TRIGGER settlement_statements_no_delete BEFORE DELETE ON settlement_statements BEGIN SELECT RAISE(ABORT, 'closed statements are immutable'); END",
    "CREATE TRIGGER settlement_entries_no_update BEFORE UPDATE ON settlement_entries BEGIN SELECT RAISE(ABORT, 'settlement entries are immutable'); END",
    "CREATE TRIGGER settlement_entries_no_delete BEFORE DELETE ON settlement_entries BEGIN SELECT RAISE(ABORT, 'settlement entries are immutable'); END",
]
POSTGRES_GUARDS = [
    "CREATE FUNCTION settlement_statements_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'closed statements are immutable' USING ERRCODE = 'integrity_constraint_violation'; END $$",
    "CREATE TRIGGER settlement_statements_guard BEFORE UPDATE OR DELETE ON settlement_statements FOR EACH ROW EXECUTE FUNCTION settlement_statements_guard()",
    "CREATE FUNCTION settlement_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'settlement entries are immutable' USING ERRCODE = 'integrity_constraint_violation'; END $$",
    "CREATE TRIGGER settlement_entries_guard BEFORE UPDATE OR DELETE ON settlement_entries FOR EACH ROW EXECUTE FUNCTION settlement_entries_guard()",
]


def upgrade():
    op.create_table(
        "merchants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("payout_account", sa.String(length=200), nullable=False),
        sa.Column("settlement_days", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", T, nullable=False),
        sa.CheckConstraint("settlement_days >= 1", name=op.f("ck_merchants_settlement_days_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchants")),
        sa.UniqueConstraint("code", name=op.f("uq_merchants_code")),
    )
    op.create_table(
        "commission_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=True),
        sa.Column("rate", sa.Integer(), nullable=False),
        sa.Column("effective_from", T, nullable=False),
        sa.Column("created_at", T, nullable=False),
        sa.CheckConstraint("rate >= 0 AND rate <= 10000", name=op.f("ck_commission_rates_rate_in_range")),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_commission_rates_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_rates")),
    )
    op.create_index("ix_commission_rates_lookup", "commission_rates", ["merchant_id", "category", "effective_from"])
    op.create_table(
        "payout_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("cutoff", T, nullable=False),
        sa.Column("created_at", T, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_batches")),
        sa.UniqueConstraint("reference", name=op.f("uq_payout_batches_reference")),
    )
    op.create_table(
        "settlement_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("period_start", T, nullable=True),
        sa.Column("period_end", T, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("gross_sales", sa.Integer(), nullable=False),
        sa.Column("refunds", sa.Integer(), nullable=False),
        sa.Column("commission", sa.Integer(), nullable=False),
        sa.Column("carried_in", sa.Integer(), nullable=False),
        sa.Column("net", sa.Integer(), nullable=False),
        sa.Column("payout", sa.Integer(), nullable=False),
        sa.Column("carried_out", sa.Integer(), nullable=False),
        sa.Column("tax", sa.JSON(), nullable=False),
        sa.Column("created_at", T, nullable=False),
        sa.CheckConstraint(
            "payout >= 0 AND carried_out <= 0 AND carried_in <= 0", name=op.f("ck_settlement_statements_balance_signs")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["payout_batches.id"], name=op.f("fk_settlement_statements_batch_id_payout_batches")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_settlement_statements_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_statements")),
        sa.UniqueConstraint("merchant_id", "period_end", name=op.f("uq_settlement_statements_merchant_id_period_end")),
        sa.UniqueConstraint("number", name=op.f("uq_settlement_statements_number")),
    )
    op.create_index(op.f("ix_settlement_statements_batch_id"), "settlement_statements", ["batch_id"])
    op.create_index(op.f("ix_settlement_statements_merchant_id"), "settlement_statements", ["merchant_id"])
    op.create_table(
        "settlement_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("sale_entry_id", sa.Integer(), nullable=True),
        sa.Column("return_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", T, nullable=False),
        sa.Column("booked_at", T, nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("gross", sa.Integer(), nullable=False),
        sa.Column("commission_rate", sa.Integer(), nullable=False),
        sa.Column("commission", sa.Integer(), nullable=False),
        sa.Column("tax_rate", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('sale', 'refund', 'return')", name=op.f("ck_settlement_entries_kind")),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_settlement_entries_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_settlement_entries_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["order_lines.id"], name=op.f("fk_settlement_entries_order_line_id_order_lines")
        ),
        sa.ForeignKeyConstraint(["return_id"], ["returns.id"], name=op.f("fk_settlement_entries_return_id_returns")),
        sa.ForeignKeyConstraint(
            ["sale_entry_id"],
            ["settlement_entries.id"],
            name=op.f("fk_settlement_entries_sale_entry_id_settlement_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_entries")),
    )
    op.create_index("ix_settlement_entries_booked", "settlement_entries", ["merchant_id", "booked_at"])
    op.create_index(op.f("ix_settlement_entries_order_id"), "settlement_entries", ["order_id"])
    op.create_index(op.f("ix_settlement_entries_order_line_id"), "settlement_entries", ["order_line_id"])
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merchant_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_products_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_products_merchant_id_merchants"), "merchants", ["merchant_id"], ["id"]
        )
    _search_triggers_again()
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merchant_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_staff_users_merchant_id_merchants"), "merchants", ["merchant_id"], ["id"]
        )
    guards = POSTGRES_GUARDS if op.get_bind().dialect.name == "postgresql" else SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade():
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_staff_users_merchant_id_merchants"), type_="foreignkey")
        batch_op.drop_column("merchant_id")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_products_merchant_id_merchants"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_products_merchant_id"))
        batch_op.drop_column("merchant_id")
    _search_triggers_again()
    op.drop_table("settlement_entries")
    op.drop_table("settlement_statements")
    op.drop_table("payout_batches")
    op.drop_index("ix_commission_rates_lookup", table_name="commission_rates")
    op.drop_table("commission_rates")
    op.drop_table("merchants")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS settlement_entries_guard()")
        op.execute("DROP FUNCTION IF EXISTS settlement_statements_guard()")
