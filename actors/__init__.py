"""The engine's public face: everything a front end (the CLI, the dashboard, the audit,
a script) may use. The rest of `actors/` and all of `storage/` are implementation.

The layers: app -> actors (this module only) -> storage; storage imports nothing of
ours, and Textual is imported only under app/dashboard. tests/unit/test_layers.py
holds the code to that.
"""

from actors.coordinator import EngineSettings
from actors.database import create_empty_database
from actors.domain import (
    Action,
    Attempt,
    Correction,
    Failure,
    Fault,
    FaultKind,
    Item,
    Notification,
    NotificationKind,
    OperatorAction,
    Order,
    OrderRecord,
    Outcome,
    RecoverablePolicy,
    Restock,
    SagaStatus,
    Scenario,
    Service,
    StepState,
    StepStatus,
    ThenAction,
    TimelineEvent,
    TopUp,
    format_cents,
)
from actors.engine import Engine
from actors.facade import SagaEngine, WorldReader
from actors.events import OrderUpdate, Subscriber
from actors.limits import (
    MAX_BALANCE_CENTS,
    MAX_CENTS,
    MAX_FAULT_TIMES,
    MAX_LATENCY_MS,
    MAX_STOCK_UNITS,
    MAX_UNITS,
)
from actors.mapper import ARCHIVED_STATUSES, order_of_document, order_record_document
from actors.participants.base import EffectWords
from actors.participants.documents import (
    Account,
    ChargeRow,
    InventoryReport,
    LedgerRow,
    LedgerState,
    PaymentReport,
    ReservationRow,
    ShipmentRow,
    ShippingReport,
    StockLevel,
)
from actors.plan import SAGA_PLAN, STEP_NAMES, Remedy, StepDefinition, definition
from actors.preflight import CauseCheck, CauseUnresolved, Supplies, cause_check, shortfall_remedy
from actors.order_stream import ArchivedShare, OrderParts, WorldStream, stream_of
from actors.read_model import LiveReports, OrderSummary, WorldSnapshot, order_sort_key, record_of, summary_of
from actors.runtime import (create_database, database_location, is_database_url, open_engine,
                            open_reader, open_resumed, read_snapshot, recover, run_worker)
from actors.saga_logic import Refused, correction, must_be_correctable, preview_edit
from storage.errors import DatabaseError, DatabaseLocked, DatabaseReadOnly, StorageFailed
from storage.journal import DroppedLine
from storage.journal import Replay as SalvageReport
from storage.salvage import salvage
# The rules of what a person may type, whichever door it enters by (actors/values.py).
from actors.domain import AMOUNT, QUANTITY
from actors.values import CUSTOMER, ORDER_ID, SHIP_TO, SKU, WORKER_ID, BadValue, shown

__all__ = [
    "ARCHIVED_STATUSES", "MAX_BALANCE_CENTS", "MAX_CENTS", "MAX_FAULT_TIMES", "MAX_LATENCY_MS",
    "MAX_STOCK_UNITS", "MAX_UNITS", "SAGA_PLAN", "STEP_NAMES",
    "Account", "Action", "ArchivedShare", "Attempt", "CauseCheck", "CauseUnresolved", "ChargeRow", "Correction",
    "DatabaseError", "DatabaseLocked", "DatabaseReadOnly", "DroppedLine", "EffectWords", "Engine",
    "EngineSettings", "Failure", "Fault", "FaultKind", "InventoryReport", "Item", "LedgerRow",
    "LedgerState", "LiveReports", "Notification", "NotificationKind", "OperatorAction", "Order", "OrderRecord",
    "OrderParts", "OrderSummary", "OrderUpdate", "Outcome", "PaymentReport", "RecoverablePolicy", "Refused",
    "Remedy", "ReservationRow", "Restock", "SagaEngine", "SagaStatus", "SalvageReport", "Scenario",
    "Service", "ShipmentRow", "ShippingReport", "StepDefinition", "StepState", "StepStatus",
    "StockLevel", "StorageFailed", "Subscriber", "Supplies", "ThenAction", "TimelineEvent", "TopUp",
    "WorldReader", "WorldSnapshot", "WorldStream",
    "cause_check", "correction", "create_database", "create_empty_database", "database_location",
    "definition", "format_cents", "is_database_url", "must_be_correctable", "open_engine",
    "open_reader", "open_resumed", "order_of_document", "order_record_document", "order_sort_key",
    "preview_edit", "read_snapshot", "record_of", "recover", "run_worker", "salvage",
    "shortfall_remedy", "stream_of", "summary_of",
    "AMOUNT", "BadValue", "CUSTOMER", "ORDER_ID", "QUANTITY", "SHIP_TO", "SKU", "WORKER_ID", "shown",
]
