"""Member wallets: a balance that is the sum of an append-only ledger. Functions flush, callers commit.

Every change is one conditional UPDATE of the wallet row (a debit applies only while the
balance covers it, so concurrent payments cannot take it below zero) plus one appended
entry, in the caller's transaction.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core.pagination import paginate_desc
from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.payments.models import Wallet, WalletEntry


def _fresh(member_id: int) -> Wallet | None:
    query = select(Wallet).filter_by(member_id=member_id).execution_options(populate_existing=True)
    return db.session.scalar(query)


def _create(member_id: int) -> None:
    """Make an empty wallet, without racing another maker."""
    from app.members import services as members

    members.get_member(member_id)  # a clear 404 rather than a foreign-key error
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Wallet).values(
        member_id=member_id,
        currency=current_app.config.get("DEFAULT_CURRENCY", "CNY"),
        balance=0,
        version=0,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    db.session.execute(statement.on_conflict_do_nothing(index_elements=["member_id"]))


def wallet_of(member_id: int, create: bool = True) -> Wallet | None:
    """The member's wallet, read fresh; an empty one is made on first use unless ``create`` is False."""
    wallet = _fresh(member_id)
    if wallet is None and create:
        _create(member_id)
        wallet = _fresh(member_id)
    return wallet


def require_wallet(member_id: int) -> Wallet:
    """The member's wallet, made empty on first use."""
    wallet = wallet_of(member_id)
    if wallet is None:  # only when the member was deleted meanwhile
        raise NotFound("wallet_not_found", f"Member {member_id} has no wallet.")
    return wallet


def wallet_balance(member_id: int) -> int:
    """The balance in minor units of the wallet's currency (0 when there is no wallet yet)."""
    wallet = wallet_of(member_id, create=False)
    return wallet.balance if wallet else 0


def wallet_history(member_id: int, cursor: str | None = None, limit: int = 50) -> tuple[list[WalletEntry], str | None]:
    """The wallet's entries, newest first, a page at a time."""
    wallet = wallet_of(member_id, create=False)
    if wallet is None:
        return [], None
    return paginate_desc(select(WalletEntry).where(WalletEntry.wallet_id == wallet.id), WalletEntry.id, cursor, limit)


# Built once, as the stock ledger's update: one statement, checked by the database.
_CHANGE = (
    update(Wallet)
    .where(Wallet.id == bindparam("b_id"), Wallet.balance + bindparam("b_delta") >= 0)
    .values(
        balance=Wallet.balance + bindparam("b_delta"),
        version=Wallet.version + 1,
        updated_at=bindparam("b_now", type_=Wallet.updated_at.type),
    )
    .returning(Wallet.balance)
    .execution_options(synchronize_session=False)
)


def _change(wallet: Wallet, delta: int, kind: str, payment_id: int | None) -> WalletEntry | None:
    """Apply ``delta`` if the balance stays >= 0 and append the entry; None when it would not."""
    row = db.session.execute(_CHANGE, {"b_id": wallet.id, "b_delta": delta, "b_now": utcnow()}).first()
    if row is None:
        return None
    entry = WalletEntry(
        wallet_id=wallet.id, amount=delta, kind=kind, payment_id=payment_id, balance_after=row[0], created_at=utcnow()
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _check(wallet: Wallet, amount: int, currency: str) -> None:
    if amount <= 0:
        raise DomainError("invalid_amount", "The amount must be positive.")
    if currency != wallet.currency:
        raise DomainError("currency_mismatch", f"The wallet holds {wallet.currency}, not {currency}.")


def debit(member_id: int, amount: int, currency: str, payment_id: int) -> WalletEntry | None:
    """Take ``amount`` for a payment if the balance covers it; None (nothing taken) if it does not."""
    wallet = require_wallet(member_id)
    _check(wallet, amount, currency)
    return _change(wallet, -amount, "payment", payment_id)


def credit(member_id: int, amount: int, currency: str, kind: str, payment_id: int | None) -> WalletEntry:
    """Add ``amount`` (a "topup" or a "refund") and append the entry."""
    if kind not in ("topup", "refund"):
        raise DomainError("invalid_entry_kind", "A credit is a top-up or a refund.")
    wallet = require_wallet(member_id)
    _check(wallet, amount, currency)
    entry = _change(wallet, amount, kind, payment_id)
    assert entry is not None  # adding never takes a balance below zero
    return entry


def move_balance(from_member_id: int, to_member_id: int) -> int:
    """Two members became one: the whole balance moves, as one entry out and one in; returns it."""
    source = wallet_of(from_member_id, create=False)
    if source is None or source.balance == 0:
        return 0
    target = require_wallet(to_member_id)
    if target.currency != source.currency:
        raise Conflict(
            "wallet_currency_mismatch", f"The wallets hold {source.currency} and {target.currency}; settle one first."
        )
    amount = source.balance
    if _change(source, -amount, "merge_out", None) is None:  # spent meanwhile: the lock below prevents it
        raise Conflict("wallet_changed", "The wallet changed during the merge; try again.")
    _change(target, amount, "merge_in", None)
    return amount


def entries_for_payment(payment_id: int, kind: str) -> list[WalletEntry]:
    """The wallet entries of one kind made for a payment."""
    query = select(WalletEntry).where(WalletEntry.payment_id == payment_id, WalletEntry.kind == kind)
    return list(db.session.scalars(query.order_by(WalletEntry.id)))
