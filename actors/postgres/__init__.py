"""The PostgreSQL runtime: the same sagas, run by DBOS Transact workflows on any number of
worker processes that share one PostgreSQL database.

The saga's rules stay in `actors.saga.rules`; this package only carries them out:
each transition of an order's record is written to the application's own tables in
the PostgreSQL transaction of the effect it answers, with the effect's idempotency
record, and each leg of an order is one DBOS workflow that drives the record to its
end. Importing it needs the `postgres` extra (DBOS Transact, SQLAlchemy, psycopg).
"""
