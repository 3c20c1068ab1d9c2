"""The DBOS queue that every worker and every command on one database share, and the
database made ready for it: the names they must agree on, in one place."""

from __future__ import annotations

import sqlalchemy as sa
from dbos import DBOS, DBOSClient, EnqueueOptions

from actors.postgres.saga_workflow import WORKFLOW
from actors.postgres.schema import create_tables
from actors.postgres.store import Stored, engine_for, workflow_id
from actors.postgres.urls import display, redacted
from storage.errors import DatabaseError

APP = "ordersaga"
QUEUE = "ordersaga-orders"
# Workers dequeue only the workflows of their own version: every worker and every
# command on one database must agree. Change it with the workflow's steps (5: none).
APP_VERSION = "ordersaga-saga-5"
# Enough sagas per worker to keep its connections busy while each waits on PostgreSQL.
WORKER_CONCURRENCY = 16
POLL_S = 0.1


def prepare(url: str, pool_size: int = 5) -> sa.Engine:
    """The application's tables and DBOS's system tables, created where missing."""
    db = engine_for(url, pool_size)
    try:
        with db.begin() as connection:
            create_tables(connection)
        DBOS.migrate(url)
    except sa.exc.DBAPIError as error:
        db.dispose()
        raise unreachable(url, error) from None
    return db


def unreachable(url: str, error: BaseException) -> DatabaseError:
    """PostgreSQL's refusal to connect, in one sentence, its text cleared of the URL's password."""
    first = (str(getattr(error, "orig", error)).strip().splitlines() or [type(error).__name__])[0]
    return DatabaseError(f"{display(url)}: cannot reach PostgreSQL ({redacted(first, url)}).")


def client_for(url: str) -> DBOSClient:
    return DBOSClient(system_database_url=url, application_name=APP)


def register_queue(client: DBOSClient) -> None:
    client.register_queue(QUEUE, worker_concurrency=WORKER_CONCURRENCY, polling_interval_sec=POLL_S)


def enqueue_leg(client: DBOSClient, connection: sa.Connection, run: str, stored: Stored) -> None:
    """Enqueue the workflow of the order's leg in the caller's transaction (a no-op when it
    is there already: its id is the leg's)."""
    leg = workflow_id(run, stored)
    options: EnqueueOptions = {"workflow_name": WORKFLOW, "queue_name": QUEUE, "workflow_id": leg,
                               "app_version": APP_VERSION}
    client.enqueue_in_transaction(connection, options, stored.record.order.id, leg)
