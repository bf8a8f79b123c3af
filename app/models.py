"""Import every model so that metadata (and Alembic) sees every table."""

from app.catalog.models import Location, Product  # noqa: F401
from app.idempotency.models import IdempotencyRecord  # noqa: F401
from app.jobs.models import Job  # noqa: F401
from app.labels.models import Label  # noqa: F401
from app.scans.models import Scan  # noqa: F401
from app.staff.models import ApiKey, StaffUser  # noqa: F401
from app.stock.models import StockLevel, StockMovement, StockReservation  # noqa: F401
from app.members.models import Member, MemberCodeUse, MemberIdentifier, MemberMerge, MemberSession, OutboxMessage, ResetCode  # noqa: F401
