"""Acting on many orders at once (`retry --where`, the dashboard's R and C): each order as the
single command would, and what became of them, grouped by why, in a few lines.

No terminal and no engine of its own: the caller passes what to do to one order (on whichever
thread it may block) and where to say how far it got."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from actors import (
    CauseUnresolved,
    DatabaseError,
    EngineRestarting,
    OrderSummary,
    Refused,
    StorageFailed,
    order_sort_key,
)
from app.query import Query

SHOWN_IDS = 5  # ids named in a preview or a group before "and N more"


@dataclass(frozen=True)
class Verb:
    """How an action on an order is said."""

    name: str  # retry
    past: str  # retried
    doing: str  # retrying


RETRY = Verb("retry", "retried", "retrying")
CANCEL = Verb("cancel", "cancelled", "cancelling")


@dataclass
class BulkOutcome:
    """What became of each order: acted on, refused (by reason), or failed (by error)."""

    done: list[str] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, list[str]] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)  # refused by the retry's pre-flight

    @property
    def total(self) -> int:
        return len(self.done) + sum(map(len, self.refused.values())) + sum(map(len, self.failed.values()))

    @property
    def clean(self) -> bool:
        return not self.refused and not self.failed


def matching(summaries: Iterable[OrderSummary], query: Query) -> list[str]:
    """The ids of the orders the query means, in id order."""
    return sorted((s.id for s in summaries if query.matches(s)), key=order_sort_key)


def id_list(ids: Sequence[str], shown: int = SHOWN_IDS) -> str:
    """o-1, o-2 and o-3; o-1, o-2, o-3, o-4, o-5 and 7 more."""
    if len(ids) <= shown:
        return ", ".join(ids[:-1]) + (" and " if len(ids) > 1 else "") + (ids[-1] if ids else "")
    return f"{', '.join(ids[:shown])} and {len(ids) - shown:,} more"


def orders(count: int) -> str:
    return f"{count:,} order{'' if count == 1 else 's'}"


def preview(verb: Verb, ids: Sequence[str], query_text: str) -> str:
    """How many orders a bulk action would act on, and a few of them."""
    if not ids:
        return f"No order matches {query_text!r}; nothing to {verb.name}."
    return f"{orders(len(ids))} match{'es' if len(ids) == 1 else ''} {query_text!r}: {id_list(ids)}."


def reason_of(error: Refused, order_id: str) -> str:
    """A refusal's reason without the order's own id and figures, so that the orders refused
    for the same reason fall in one group."""
    if isinstance(error, CauseUnresolved):
        return f"its {error.check.step} failure is not resolved yet (the stock or money it lacked is still short)"
    text = str(error)
    text = re.sub(rf"^(Order |order ){re.escape(order_id)}('s)? ?", "", text)
    text = text.replace(order_id, "the order")
    return text.rstrip(".") if text else str(error)


def act_on_each(ids: Sequence[str], act: Callable[[str], object],
                progress: Callable[[int, int], object] | None = None) -> BulkOutcome:
    """Act on each order in turn; a refusal or an error is noted and the next order is acted on.
    Once the storage has failed nothing more can be done: the rest fail for the same reason."""
    outcome = BulkOutcome()
    for n, order_id in enumerate(ids, start=1):
        try:
            act(order_id)
        except CauseUnresolved as unresolved:
            outcome.unresolved.append(order_id)
            outcome.refused.setdefault(reason_of(unresolved, order_id), []).append(order_id)
        except EngineRestarting as error:  # not a refusal of this order: it was not acted on
            outcome.failed.setdefault(str(error), []).append(order_id)
        except Refused as refusal:
            outcome.refused.setdefault(reason_of(refusal, order_id), []).append(order_id)
        except StorageFailed as error:
            outcome.failed.setdefault(str(error), []).extend(ids[n - 1:])
            break
        except DatabaseError as error:
            outcome.failed.setdefault(str(error), []).append(order_id)
        else:
            outcome.done.append(order_id)
        if progress is not None:
            progress(n, len(ids))
    return outcome


def summary_lines(verb: Verb, outcome: BulkOutcome) -> list[str]:
    """The closing summary: done, then refused grouped by reason, then failed."""
    lines = [f"{verb.past.capitalize()} {len(outcome.done):,} of {orders(outcome.total)}."]
    for reason, ids in sorted(outcome.refused.items(), key=lambda item: -len(item[1])):
        lines.append(f"Refused {len(ids):,}: {reason} ({id_list(ids)}).")
    for error, ids in outcome.failed.items():
        lines.append(f"Failed {len(ids):,}: {error.rstrip('.')} ({id_list(ids)}).")
    return lines


def summary_line(verb: Verb, outcome: BulkOutcome) -> str:
    """The summary in one line, for the dashboard's event line."""
    return " · ".join(summary_lines(verb, outcome))
