"""What `ordersaga salvage` kept and dropped, in words."""

from __future__ import annotations

import shlex
from pathlib import Path

from actors import DroppedLine, SalvageReport, order_of_document, order_record_document


def render_salvage(source: Path, target: Path, replay: SalvageReport) -> str:
    kept = f"lines 1-{replay.lines} ({replay.end} bytes)"
    if not replay.dropped:
        lines = [f"{source} is undamaged: all its {kept} were copied to {target}."]
        if replay.torn_bytes:
            lines.append(f"Left out its unfinished last line ({replay.torn_bytes} bytes), a write "
                         "a crash interrupted and that was never acknowledged.")
        return "\n".join(lines)
    first, last = replay.dropped[0], replay.dropped[-1]
    lines = [f"{source} is damaged at line {first.number}, byte {first.offset} ({first.problem}).",
             f"Kept {kept}, replayed into {target}.",
             f"Dropped lines {first.number}-{last.number} "
             f"({sum(line.size for line in replay.dropped)} bytes):"]
    lines.extend(f"  {_describe(line)}" for line in replay.dropped)
    touched = {name for line in replay.dropped for name in line.documents or ()}
    order_of = {name: order_of_document(name) for name in touched}
    orders = {order for order in order_of.values() if order is not None}
    set_back = sorted(order for order in orders if order_record_document(order) in replay.tables)
    absent = sorted(orders - set(set_back))
    others = sorted(name for name in touched - set(replay.tables) if order_of[name] is None)
    if set_back:
        lines.append(f"Orders set back to where they were after line {replay.lines}: "
                     f"{', '.join(set_back)}.")
    if absent:
        lines.append(f"Orders {target} lacks altogether, their records being on the dropped lines "
                     f"only: {', '.join(absent)}.")
    if others:
        lines.append(f"Other documents {target} lacks altogether: {', '.join(others)}.")
    lines.append(f"{source} was left untouched; `ordersaga report --db {shlex.quote(str(target))}` "
                 "resumes the orders in flight there.")
    return "\n".join(lines)


def _describe(line: DroppedLine) -> str:
    touched = (f"; it touched {', '.join(line.documents)}" if line.documents
               else "" if line.documents is not None else "; it does not decode")
    return f"line {line.number} ({line.size} bytes): {line.problem}{touched}"
