"""Import every model so that metadata (and Alembic) sees every table."""

# ruff: noqa: F401
from app.analytics.models import ScanDay, ScanHour, UnknownCodeDay
from app.carts.models import Cart, CartLine
from app.catalog.models import Location, Product
from app.feedback.models import Feedback
from app.fulfilment.models import Address, Fulfilment, FulfilmentLine
from app.idempotency.models import IdempotencyRecord
from app.jobs.models import Job
from app.kiosks.models import Device, KioskSession, PairingToken
from app.labels.models import Label
from app.members.identity_models import IdentifierCode
from app.members.models import (
    Member,
    MemberCodeUse,
    MemberIdentifier,
    MemberMerge,
    MemberSession,
    OutboxMessage,
    ResetCode,
)
from app.orders.models import ExitPass, Order, OrderLine
from app.outbox.models import OutboxCursor, OutboxEvent
from app.payments.models import Payment, PaymentRefund, SandboxCharge, Wallet, WalletEntry
from app.returns.models import Return, ReturnLine
from app.scans.models import Scan
from app.service.models import HelpRequest
from app.staff.models import ApiKey, StaffUser
from app.stock.models import StockLevel, StockMovement, StockReservation
from app.stock.snapshot_models import StockSnapshot, StockSnapshotLine
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
