"""The embedded runtime's documents: how each participant's state is named and laid out in
the store, and the participants' reports read from them. No actor here, so the read side
(a report, the audit, a reading command) reads a database without starting any.

Each participant owns its per-order documents (`<service>/<order>`: the ledger, failed
answers, its effects) and, for inventory and payment, its shared ones (`stock/<sku>`,
`account/<customer>`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from actors.saga import ledger
from actors.saga.documents import (
    Account,
    InventoryReport,
    LedgerRow,
    OrderDocument,
    PaymentReport,
    ShippingReport,
    StockLevel,
    StoredDocuments,
    documents_under,
)
from actors.saga.domain import Service

SHARED_PREFIXES: dict[Service, tuple[str, ...]] = {}


def order_prefix(service: Service) -> str:
    """The name prefix of a participant's per-order documents."""
    return f"{service.value}/"


def owned_prefixes(service: Service) -> tuple[str, ...]:
    """Every stored document a participant owns, by name prefix: only it writes them."""
    return (*SHARED_PREFIXES.get(service, ()), order_prefix(service))


def orders_in(service: Service, docs: StoredDocuments) -> dict[str, OrderDocument]:
    """A participant's records of orders among stored documents, by order id."""
    return documents_under(docs, order_prefix(service), OrderDocument)


def ledger_entry(doc: OrderDocument, effect: str) -> ledger.LedgerEntry | None:
    """The ledger's entry for an effect, from a participant's document of the order."""
    return ledger.entry_of(doc["ledger"].get(effect), doc.get("failures", {}).get(effect))


def ledger_of(orders: Mapping[str, OrderDocument]) -> list[LedgerRow]:
    """What became of every effect the service was asked about, for the audit; a failed
    one with the answer it was given."""
    return [entry.row(order, effect)
            for order, doc in sorted(orders.items()) for effect in doc.get("ledger", {})
            if (entry := ledger_entry(doc, effect)) is not None]


STOCK = "stock/"
SHARED_PREFIXES[Service.INVENTORY] = (STOCK,)


def stock_doc(initial: int) -> StockLevel:
    return {"initial": initial, "available": initial, "reserved": 0, "restocks": {}}


def inventory_report(stock: Mapping[str, StockLevel],
                     orders: Mapping[str, OrderDocument]) -> InventoryReport:
    """Copies of the stock levels, every reservation and the ledger, as plain data."""
    return {
        "stock": {sku: copy.deepcopy(level) for sku, level in sorted(stock.items())},
        "reservations": [{"order": order, "effect": effect, **copy.deepcopy(reservation)}
                         for order, doc in sorted(orders.items())
                         for effect, reservation in doc.get("reservations", {}).items()],
        "ledger": ledger_of(orders),
    }


ACCOUNT = "account/"
SHARED_PREFIXES[Service.PAYMENT] = (ACCOUNT,)


def account_doc(initial_cents: int) -> Account:
    return {"initial_cents": initial_cents, "balance_cents": initial_cents, "top_ups": {}}


def payment_report(accounts: Mapping[str, Account], orders: Mapping[str, OrderDocument]) -> PaymentReport:
    """Copies of the accounts, every charge and the ledger, as plain data."""
    return {
        "accounts": {customer: copy.deepcopy(account) for customer, account in sorted(accounts.items())},
        "charges": [{"order": order, "effect": effect, **charge}
                    for order, doc in sorted(orders.items())
                    for effect, charge in doc.get("charges", {}).items()],
        "ledger": ledger_of(orders),
    }


def shipping_report(orders: Mapping[str, OrderDocument]) -> ShippingReport:
    """Copies of every shipment and the ledger, as plain data."""
    return {
        "shipments": [{"order": order, "effect": effect, **shipment}
                      for order, doc in sorted(orders.items())
                      for effect, shipment in doc.get("shipments", {}).items()],
        "ledger": ledger_of(orders),
    }



def report_of(service: Service, docs: StoredDocuments) -> InventoryReport | PaymentReport | ShippingReport:
    """A participant's report of stored documents, so a database can be reported without actors."""
    if service == Service.INVENTORY:
        return inventory_report(documents_under(docs, STOCK, StockLevel), orders_in(service, docs))
    if service == Service.PAYMENT:
        return payment_report(documents_under(docs, ACCOUNT, Account), orders_in(service, docs))
    return shipping_report(orders_in(service, docs))


def reports_of(docs: StoredDocuments) -> tuple[InventoryReport, PaymentReport, ShippingReport]:
    """Every participant's report of the same documents."""
    return (inventory_report(documents_under(docs, STOCK, StockLevel), orders_in(Service.INVENTORY, docs)),
            payment_report(documents_under(docs, ACCOUNT, Account), orders_in(Service.PAYMENT, docs)),
            shipping_report(orders_in(Service.SHIPPING, docs)))
