"""Creating a database: a scenario's world written in one atomic step."""

from __future__ import annotations

from pathlib import Path

from actors.embedded.documents import ACCOUNT, STOCK, account_doc, stock_doc
from actors.mapper import meta_document, order_document
from actors.saga.scenario import Scenario
from actors.saga.seeding import world_of
from storage.errors import DatabaseError
from storage.files import refuse_unless_regular
from storage.store import DocumentStore


def seed(store: DocumentStore, scenario: Scenario) -> None:
    """Write a scenario's world into an empty store, every order pending under its own
    policy for recoverable failures, or else the scenario's."""
    world = world_of(scenario)
    store.put(*meta_document(scenario))
    for sku, quantity in world.stock.items():
        store.put(STOCK + sku, stock_doc(quantity))
    for customer, cents in world.balances.items():
        store.put(ACCOUNT + customer, account_doc(cents))
    for record in world.records:
        store.put(*order_document(record))
    store.flush()


def create_empty_database(path: str | Path) -> None:
    """An empty database at path (none may be there yet), to load a scenario into later."""
    DocumentStore(path).close()


def create_database(path: str | Path, scenario: Scenario, replace: bool = False) -> None:
    """Write a scenario into a new database file; refuse to overwrite one unless asked.

    The world is built in memory and saved in one atomic step, so a crash
    part-way leaves the old file (or none), never a half-seeded database.
    """
    path = Path(path)
    refuse_unless_regular(path)  # a folder, a FIFO, a device: neither "a database" nor replaced
    world = DocumentStore(None)
    seed(world, scenario)
    if not path.exists() or path.stat().st_size == 0:
        world.save_as(path)
        return
    if not replace:
        raise DatabaseError(f"{path}: a database already exists there; "
                            "pass --replace to start over.")
    # Opening it first refuses a file that is no ordersaga database, or one in use.
    existing = DocumentStore(path, create=False)
    try:
        existing.replace_with(world)
    finally:
        existing.close()
