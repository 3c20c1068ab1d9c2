"""The engine's public face: everything a front end (the CLI, the dashboard, the audit,
a script) may use. The rest of `actors/` and all of `storage/` are implementation.

The layers: app -> actors (this module only) -> storage; storage imports nothing of
ours, and Textual is imported only under app/dashboard. tests/unit/test_layers.py
holds the code to that.

Names are loaded when first used (PEP 562): importing a part of the engine (the saga core,
say) loads only what that part needs, not Pykka, TinyDB or DBOS.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # The rules of what a person may type, whichever door it enters by (actors/saga/values.py).
    from actors.embedded.engine import Engine
    from actors.embedded.lifecycle import leftover_threads_stopped
    from actors.events import OrderUpdate
    from actors.facade import SagaEngine, WorldReader
    from actors.mapper import ARCHIVED_STATUSES, order_of_document, order_record_document
    from actors.operators import login_name
    from actors.reading.snapshot import LiveReports, OrderSummary, WorldSnapshot, order_sort_key, record_of, summary_of
    from actors.reading.stream import ArchivedShare, OrderParts, WorldStream, stream_of
    from actors.reading.workers import WorkerState, at_risk
    from actors.runtime import (
        DatabaseWorld,
        StoredBecause,
        create_database,
        create_empty_database,
        database_location,
        is_database_url,
        list_workers,
        open_engine,
        open_reader,
        open_resumed,
        read_snapshot,
        recover,
        recover_failed,
        redacted,
        run_worker,
        salvage,
        world_of,
    )
    from actors.saga.corrections import correction, must_be_correctable, preview_edit
    from actors.saga.documents import (
        Account,
        ChargeRow,
        InventoryReport,
        LedgerState,
        PaymentReport,
        ReservationRow,
        ShipmentRow,
        ShippingReport,
        StockLevel,
    )
    from actors.saga.domain import (
        AMOUNT,
        QUANTITY,
        Action,
        Attempt,
        Correction,
        Failure,
        Item,
        Notification,
        NotificationKind,
        OperatorAction,
        Order,
        OrderRecord,
        Outcome,
        RecoverablePolicy,
        SagaStatus,
        Service,
        StepState,
        StepStatus,
        TimelineEvent,
        format_cents,
    )
    from actors.saga.effects import EffectWords
    from actors.saga.errors import EngineRestarting, Refused
    from actors.saga.limits import (
        MAX_CENTS,
        MAX_UNITS,
    )
    from actors.saga.operators import SCENARIO, operator
    from actors.saga.plan import SAGA_PLAN, STEP_NAMES, Remedy, definition
    from actors.saga.preflight import CauseCheck, CauseUnresolved, Supplies, cause_check, shortfall_remedy
    from actors.saga.scenario import Fault, FaultKind, Restock, Scenario
    from actors.saga.settings import EngineSettings
    from actors.saga.values import (
        CUSTOMER,
        GRACE,
        ORDER_ID,
        OUTAGE_LIMIT,
        SHIP_TO,
        SILENT_AFTER,
        SKU,
        STUCK_AFTER,
        TAKEOVER_AFTER,
        WORKER_ID,
        BadValue,
        shown,
    )
    from storage.errors import DatabaseError, DatabaseLocked, DatabaseReadOnly, StorageFailed
    from storage.journal_file import DroppedLine
    from storage.journal_file import Replay as SalvageReport

_WHERE: dict[str, tuple[str, str]] = {
    'Failure': ('actors.saga.domain', 'Failure'),
    'STEP_NAMES': ('actors.saga.plan', 'STEP_NAMES'),
    'AMOUNT': ('actors.saga.domain', 'AMOUNT'),
    'QUANTITY': ('actors.saga.domain', 'QUANTITY'),
    'CUSTOMER': ('actors.saga.values', 'CUSTOMER'),
    'ORDER_ID': ('actors.saga.values', 'ORDER_ID'),
    'SHIP_TO': ('actors.saga.values', 'SHIP_TO'),
    'SKU': ('actors.saga.values', 'SKU'),
    'WORKER_ID': ('actors.saga.values', 'WORKER_ID'),
    'GRACE': ('actors.saga.values', 'GRACE'),
    'SILENT_AFTER': ('actors.saga.values', 'SILENT_AFTER'),
    'TAKEOVER_AFTER': ('actors.saga.values', 'TAKEOVER_AFTER'),
    'OUTAGE_LIMIT': ('actors.saga.values', 'OUTAGE_LIMIT'),
    'STUCK_AFTER': ('actors.saga.values', 'STUCK_AFTER'),
    'BadValue': ('actors.saga.values', 'BadValue'),
    'SCENARIO': ('actors.saga.operators', 'SCENARIO'),
    'operator': ('actors.saga.operators', 'operator'),
    'login_name': ('actors.operators', 'login_name'),
    'shown': ('actors.saga.values', 'shown'),
    'ARCHIVED_STATUSES': ('actors.mapper', 'ARCHIVED_STATUSES'),
    'Account': ('actors.saga.documents', 'Account'),
    'Action': ('actors.saga.domain', 'Action'),
    'ArchivedShare': ('actors.reading.stream', 'ArchivedShare'),
    'Attempt': ('actors.saga.domain', 'Attempt'),
    'CauseCheck': ('actors.saga.preflight', 'CauseCheck'),
    'CauseUnresolved': ('actors.saga.preflight', 'CauseUnresolved'),
    'ChargeRow': ('actors.saga.documents', 'ChargeRow'),
    'Correction': ('actors.saga.domain', 'Correction'),
    'DatabaseError': ('storage.errors', 'DatabaseError'),
    'DatabaseLocked': ('storage.errors', 'DatabaseLocked'),
    'DatabaseReadOnly': ('storage.errors', 'DatabaseReadOnly'),
    'DroppedLine': ('storage.journal_file', 'DroppedLine'),
    'EffectWords': ('actors.saga.effects', 'EffectWords'),
    'Engine': ('actors.embedded.engine', 'Engine'),
    'EngineRestarting': ('actors.saga.errors', 'EngineRestarting'),
    'EngineSettings': ('actors.saga.settings', 'EngineSettings'),
    'Fault': ('actors.saga.scenario', 'Fault'),
    'FaultKind': ('actors.saga.scenario', 'FaultKind'),
    'InventoryReport': ('actors.saga.documents', 'InventoryReport'),
    'Item': ('actors.saga.domain', 'Item'),
    'LedgerState': ('actors.saga.documents', 'LedgerState'),
    'LiveReports': ('actors.reading.snapshot', 'LiveReports'),
    'MAX_CENTS': ('actors.saga.limits', 'MAX_CENTS'),
    'MAX_UNITS': ('actors.saga.limits', 'MAX_UNITS'),
    'Notification': ('actors.saga.domain', 'Notification'),
    'NotificationKind': ('actors.saga.domain', 'NotificationKind'),
    'OperatorAction': ('actors.saga.domain', 'OperatorAction'),
    'Order': ('actors.saga.domain', 'Order'),
    'OrderParts': ('actors.reading.stream', 'OrderParts'),
    'OrderRecord': ('actors.saga.domain', 'OrderRecord'),
    'OrderSummary': ('actors.reading.snapshot', 'OrderSummary'),
    'OrderUpdate': ('actors.events', 'OrderUpdate'),
    'Outcome': ('actors.saga.domain', 'Outcome'),
    'PaymentReport': ('actors.saga.documents', 'PaymentReport'),
    'RecoverablePolicy': ('actors.saga.domain', 'RecoverablePolicy'),
    'Refused': ('actors.saga.errors', 'Refused'),
    'Remedy': ('actors.saga.plan', 'Remedy'),
    'ReservationRow': ('actors.saga.documents', 'ReservationRow'),
    'Restock': ('actors.saga.scenario', 'Restock'),
    'SAGA_PLAN': ('actors.saga.plan', 'SAGA_PLAN'),
    'SagaEngine': ('actors.facade', 'SagaEngine'),
    'SagaStatus': ('actors.saga.domain', 'SagaStatus'),
    'SalvageReport': ('storage.journal_file', 'Replay'),
    'Scenario': ('actors.saga.scenario', 'Scenario'),
    'Service': ('actors.saga.domain', 'Service'),
    'ShipmentRow': ('actors.saga.documents', 'ShipmentRow'),
    'ShippingReport': ('actors.saga.documents', 'ShippingReport'),
    'StepState': ('actors.saga.domain', 'StepState'),
    'StepStatus': ('actors.saga.domain', 'StepStatus'),
    'StockLevel': ('actors.saga.documents', 'StockLevel'),
    'StorageFailed': ('storage.errors', 'StorageFailed'),
    'Supplies': ('actors.saga.preflight', 'Supplies'),
    'TimelineEvent': ('actors.saga.domain', 'TimelineEvent'),
    'WorldReader': ('actors.facade', 'WorldReader'),
    'WorldSnapshot': ('actors.reading.snapshot', 'WorldSnapshot'),
    'WorldStream': ('actors.reading.stream', 'WorldStream'),
    'cause_check': ('actors.saga.preflight', 'cause_check'),
    'correction': ('actors.saga.corrections', 'correction'),
    'create_database': ('actors.runtime', 'create_database'),
    'create_empty_database': ('actors.runtime', 'create_empty_database'),
    'database_location': ('actors.runtime', 'database_location'),
    'definition': ('actors.saga.plan', 'definition'),
    'format_cents': ('actors.saga.domain', 'format_cents'),
    'is_database_url': ('actors.runtime', 'is_database_url'),
    'leftover_threads_stopped': ('actors.embedded.lifecycle', 'leftover_threads_stopped'),
    'must_be_correctable': ('actors.saga.corrections', 'must_be_correctable'),
    'open_engine': ('actors.runtime', 'open_engine'),
    'open_reader': ('actors.runtime', 'open_reader'),
    'DatabaseWorld': ('actors.runtime', 'DatabaseWorld'),
    'StoredBecause': ('actors.runtime', 'StoredBecause'),
    'world_of': ('actors.runtime', 'world_of'),
    'open_resumed': ('actors.runtime', 'open_resumed'),
    'order_of_document': ('actors.mapper', 'order_of_document'),
    'order_record_document': ('actors.mapper', 'order_record_document'),
    'order_sort_key': ('actors.reading.snapshot', 'order_sort_key'),
    'preview_edit': ('actors.saga.corrections', 'preview_edit'),
    'read_snapshot': ('actors.runtime', 'read_snapshot'),
    'record_of': ('actors.reading.snapshot', 'record_of'),
    'recover': ('actors.runtime', 'recover'),
    'recover_failed': ('actors.runtime', 'recover_failed'),
    'list_workers': ('actors.runtime', 'list_workers'),
    'redacted': ('actors.runtime', 'redacted'),
    'run_worker': ('actors.runtime', 'run_worker'),
    'salvage': ('actors.runtime', 'salvage'),
    'shortfall_remedy': ('actors.saga.preflight', 'shortfall_remedy'),
    'stream_of': ('actors.reading.stream', 'stream_of'),
    'summary_of': ('actors.reading.snapshot', 'summary_of'),
    'WorkerState': ('actors.reading.workers', 'WorkerState'),
    'at_risk': ('actors.reading.workers', 'at_risk'),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'actors' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


__all__ = [
    "ARCHIVED_STATUSES", "MAX_CENTS",
    "MAX_UNITS", "SAGA_PLAN", "STEP_NAMES",
    "Account", "Action", "ArchivedShare", "Attempt", "CauseCheck", "CauseUnresolved", "ChargeRow", "Correction",
    "DatabaseError", "DatabaseLocked", "DatabaseReadOnly", "DroppedLine", "EffectWords", "Engine",
    "EngineRestarting",
    "EngineSettings", "Failure", "Fault", "FaultKind", "InventoryReport", "Item",
    "LedgerState", "LiveReports", "Notification", "NotificationKind", "OperatorAction", "Order", "OrderRecord",
    "OrderParts", "OrderSummary", "OrderUpdate", "Outcome", "PaymentReport", "RecoverablePolicy", "Refused",
    "Remedy", "ReservationRow", "Restock", "SagaEngine", "SagaStatus", "SalvageReport", "Scenario",
    "Service", "ShipmentRow", "ShippingReport", "StepState", "StepStatus",
    "StockLevel", "StorageFailed", "Supplies", "TimelineEvent",
    "WorkerState", "WorldReader", "WorldSnapshot", "WorldStream", "at_risk",
    "cause_check", "correction", "create_database", "create_empty_database", "database_location",
    "definition", "format_cents", "is_database_url", "leftover_threads_stopped", "must_be_correctable", "open_engine",
    "open_reader", "open_resumed", "order_of_document", "order_record_document", "order_sort_key",
    "preview_edit", "read_snapshot", "record_of", "recover", "recover_failed", "redacted", "run_worker", "list_workers",
    "salvage", "shortfall_remedy", "stream_of", "summary_of", "DatabaseWorld", "StoredBecause", "world_of",
    "AMOUNT", "BadValue", "SCENARIO", "login_name", "operator", "CUSTOMER", "ORDER_ID", "OUTAGE_LIMIT", "QUANTITY",
    "SHIP_TO", "SKU", "STUCK_AFTER", "WORKER_ID", "shown", "GRACE", "SILENT_AFTER", "TAKEOVER_AFTER",
]
