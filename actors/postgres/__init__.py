"""The PostgreSQL runtime: the same sagas, run by DBOS Transact workflows on any number of
worker processes that share one PostgreSQL database.

The saga's rules stay in `actors.saga.rules`; this package only carries them out:
each transition of an order's record is written to the application's own tables
before the command it names runs, and each command is a DBOS step whose effect and
idempotency record commit in one PostgreSQL transaction. Importing it needs the
`postgres` extra (DBOS Transact, SQLAlchemy, psycopg).
"""
