"""What the codec's speed tricks buy: a journal line written by orjson or by the json module,
read back by either, and a document handed over encoded or copied.

    .venv/bin/python -m bench.codec

The document is an order's record at the end of its saga (what the coordinator stores at every
transition); each way is timed interleaved with its peers, best of several rounds, and the
1-minute load average is printed beside the figures (the machine may be shared).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from actors.mapper import order_document, stored_order
from actors.saga import rules
from actors.saga.domain import Item, Order, OrderRecord, ParticipantReply
from bench.common import best_interleaved
from storage import codec

AT = datetime(2026, 1, 1, tzinfo=UTC)


def settled_record() -> OrderRecord:
    """An order of two items that went through its three steps."""
    order = Order(id="o-1", customer="c-1", ship_to="1 Main St",
                  items=(Item(sku="KEYBOARD", quantity=1, price_cents=4999), Item(sku="MOUSE", quantity=2,
                                                                                  price_cents=1999)))
    transition = rules.begin_attempt(OrderRecord(order=order), AT)
    while transition.command is not None:
        reply = ParticipantReply(key=transition.command.key, ok=True)
        following = rules.apply_reply(transition.record, reply, AT)
        assert following is not None
        transition = following
    return transition.record


RECORD = settled_record()
_, DOC = order_document(RECORD)
LINE = {"w": {"order/o-1": {"1": DOC}}, "x": []}
TEXT = codec.dumps(LINE).encode()
_JSON = json.JSONEncoder(separators=(",", ":"))

WAYS: dict[str, Callable[[], Any]] = {
    "write a line: codec.dumps (orjson)": lambda: codec.dumps(LINE),
    "write a line: json module": lambda: _JSON.encode(LINE),
    "read a line: codec.loads (orjson)": lambda: codec.loads(TEXT),
    "read a line: json module": lambda: json.loads(TEXT),
    "hand over a record: encoded once": lambda: codec.dumps({"1": stored_order(RECORD)[1]}),
    "hand over a record: dumped, copied, encoded": lambda: codec.dumps(
        {"1": codec.copy_document(RECORD.model_dump(mode="json"))}),
}


def main() -> None:
    best = best_interleaved(WAYS, number=2_000)
    print(f"a record of {len(TEXT):,} bytes; load average {os.getloadavg()[0]:.2f}")
    for name, seconds in best.items():
        print(f"  {name:<46} {seconds * 1e6:7.1f} us")


if __name__ == "__main__":
    main()
