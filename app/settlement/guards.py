"""Database triggers that keep settlement history as it was written, whoever writes.

A closed statement and a settlement entry are never updated or deleted. The same triggers
are created by the migration (``1a3b5c7d9e01``) and by ``create_all`` (tests).
"""

from __future__ import annotations

from sqlalchemy import DDL, event
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.settlement.models import SettlementEntry, Statement


def _sqlite(table: str, message: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_{what.lower()} BEFORE {what} ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END"
        for what in ("UPDATE", "DELETE")
    ]


def _postgres(table: str, message: str) -> list[str]:
    return [
        f"CREATE FUNCTION {table}_guard() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation'; END $$",
        f"CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table}"
        f" FOR EACH ROW EXECUTE FUNCTION {table}_guard()",
    ]


STATEMENTS, ENTRIES = "closed statements are immutable", "settlement entries are immutable"


def _attach(table, sqlite: list[str], postgres: list[str]) -> None:
    for text in sqlite:
        event.listen(table, "after_create", DDL(text).execute_if(dialect="sqlite"))
    for text in postgres:
        event.listen(table, "after_create", DDL(text).execute_if(dialect="postgresql"))


_attach(
    Statement.__table__, _sqlite("settlement_statements", STATEMENTS), _postgres("settlement_statements", STATEMENTS)
)
_attach(SettlementEntry.__table__, _sqlite("settlement_entries", ENTRIES), _postgres("settlement_entries", ENTRIES))


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, flush_context, instances) -> None:
    """The ORM refuses first, with a clear error: a closed statement and a filed entry stay as they are."""
    for row in list(session.dirty) + list(session.deleted):
        if isinstance(row, Statement) and (row in session.deleted or session.is_modified(row)):
            raise Conflict("statement_closed", f"Statement {row.number} is closed; it never changes.")
        if isinstance(row, SettlementEntry) and (row in session.deleted or session.is_modified(row)):
            raise Conflict("entry_immutable", "Settlement entries are never changed; a refund appends a new one.")
