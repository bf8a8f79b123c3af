"""A merge of two members moves the merged one's payments and wallet balance to the kept one."""

from __future__ import annotations

from sqlalchemy import func, select, update

from app.extensions import db
from app.members import merge
from app.outbox import services as outbox
from app.payments import wallet
from app.payments.models import Payment


@merge.previewing.connect
def _count(merged, **_) -> dict[str, int]:
    payments = db.session.scalar(select(func.count(Payment.id)).where(Payment.member_id == merged.id)) or 0
    return {"payments": payments, "wallet_balance": wallet.wallet_balance(merged.id)}


@outbox.signal("member.merged").connect
def _move(event, kept, merged, moved, **_) -> None:
    moved["wallet_balance"] = wallet.move_balance(merged.id, kept.id)
    statement = update(Payment).where(Payment.member_id == merged.id).values(member_id=kept.id)
    moved["payments"] = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
