"""The most one operator action may move, and the bounds that keep a scenario within it.

One top-up or one restock, from the CLI or the dashboard, is capped; a scenario whose
prices, order totals and quantities stay within the same caps scripts only failures
that one such action can resolve.
"""

from __future__ import annotations

MAX_CENTS = 100_000_000  # $1,000,000.00: the most one top-up adds, so the most one order may cost
MAX_UNITS = 100_000  # the most one restock adds, so the most of one sku one order may ask for
MAX_STOCK_UNITS = 1_000_000_000  # a sku's stock when a scenario starts
MAX_BALANCE_CENTS = 100_000_000_000  # $1,000,000,000.00: an account's balance when a scenario starts
MAX_FAULT_TIMES = 100_000  # a fault firing once for each order of the largest scenario anyone runs
MAX_LATENCY_MS = 3_600_000  # an hour a call: enough to keep orders in flight through a whole session
