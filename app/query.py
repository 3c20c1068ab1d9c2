"""The query language of the dashboard's filter and of `--where`: which orders an operator means.

    status:failed reason:~carrier customer:c01 step:shipping attempt:>1 updated:<10m

Terms are separated by spaces and all must hold. `field:value` compares one field of the order's
summary; a bare word is found anywhere in its id, customer, status, step and failure reason (as
the filter always did); double quotes keep spaces in a value or a word (`reason:~"out of stock"`).
Text fields take an exact value (any case), several separated by commas, or `~` and a part of
it; numbers and times take a comparison (`>`, `>=`, `<`, `<=`, `=`). A field no order has, or a
value that field cannot hold, is a QueryError whose message is one sentence naming it.

Pure: no engine, no terminal. The dashboard and the CLI match the same summaries with it.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from actors import STEP_NAMES, OrderSummary, SagaStatus
from app.amounts import parse_dollars

Test = Callable[[OrderSummary, datetime], bool]

TEXT_FIELDS = ("id", "customer", "step", "reason")
FIELDS = ("id", "customer", "status", "step", "reason", "attempt", "total", "updated")
_ALIASES = {"attempts": "attempt", "try": "attempt", "order": "id", "state": "status"}
_FIELD = re.compile(r"([A-Za-z_]+):(.*)", re.DOTALL)
_COMPARISON = re.compile(r"(>=|<=|>|<|=)?(.*)", re.DOTALL)
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq}
_DURATION = re.compile(r"([0-9]+)\s*(s|sec|m|min|h|d)", re.IGNORECASE)
_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
_STATUS_NAMES = ", ".join(status.value for status in SagaStatus)


class QueryError(ValueError):
    """A query that cannot be read; the message is one sentence naming the term."""


def shown_step(summary: OrderSummary) -> str:
    """The step at work now, or where a settled order stopped."""
    if summary.current_step:
        return summary.current_step
    failure = summary.failure
    return failure.step if failure else ""


def search_text(summary: OrderSummary) -> str:
    """What a bare word is looked for in: id, customer, status, step and failure reason."""
    failure = summary.failure
    parts = [summary.id, summary.customer, summary.status.value.replace("_", " "), shown_step(summary),
             failure.reason if failure else ""]
    return " ".join(parts).lower()


def _text_of(name: str) -> Callable[[OrderSummary], str]:
    if name == "id":
        return lambda s: s.id
    if name == "customer":
        return lambda s: s.customer
    if name == "step":
        return shown_step
    return lambda s: s.failure.reason if s.failure else ""


@dataclass(frozen=True)
class Query:
    """A parsed query: bare words (lowercased) and one test per field term."""

    text: str = ""
    words: tuple[str, ...] = ()
    tests: tuple[Test, ...] = field(default=(), compare=False)

    def __bool__(self) -> bool:
        return bool(self.words or self.tests)

    def matches(self, summary: OrderSummary, now: datetime | None = None, text: str | None = None) -> bool:
        """Whether the order is one the query means (text: its search_text, if already made)."""
        if self.words:
            haystack = search_text(summary) if text is None else text
            if not all(word in haystack for word in self.words):
                return False
        if self.tests:
            at = now or datetime.now(UTC)
            return all(test(summary, at) for test in self.tests)
        return True

    def matches_text(self, text: str) -> bool | None:
        """The verdict from the search text alone, or None when the fields must be looked at."""
        if not all(word in text for word in self.words):
            return False
        return None if self.tests else True


def tokens(text: str) -> list[tuple[str, bool]]:
    """The terms of text, split at spaces outside double quotes, each with whether it began with a quote."""
    found: list[tuple[str, bool]] = []
    current: list[str] = []
    quoted = started = False
    began_quoted = False
    begun = 0  # where the term being read began in text
    for at, char in enumerate(text):
        if char == '"':
            if not started:
                began_quoted, begun = True, at
            started = True
            quoted = not quoted
        elif char.isspace() and not quoted:
            if started:
                found.append(("".join(current), began_quoted))
            current, started, began_quoted = [], False, False
        else:
            if not started:
                begun = at
            current.append(char)
            started = True
    if quoted:
        raise QueryError(f"The quote in {text[begun:].strip()!r} is never closed; close it with another \".")
    if started:
        found.append(("".join(current), began_quoted))
    return found


def parse_query(text: str) -> Query:
    """The query text means; QueryError (one sentence) for a term it cannot read."""
    words: list[str] = []
    tests: list[Test] = []
    for term, quoted in tokens(text):
        match = None if quoted else _FIELD.fullmatch(term)
        if match is None:
            if term:
                words.append(term.lower())
            continue
        name, value = match[1].lower(), match[2]
        name = _ALIASES.get(name, name)
        if name not in FIELDS:
            raise QueryError(f"{term!r} names no field of an order; the fields are {', '.join(FIELDS)} "
                             "(or leave out the colon to look for the word anywhere).")
        if not value.strip():
            raise QueryError(f"{term!r} gives {name} no value; write one after the colon, like "
                             f"{_EXAMPLES[name]}.")
        tests.append(_PARSERS[name](name, value.strip()))
    return Query(text.strip(), tuple(words), tuple(tests))


def _text_test(name: str, value: str) -> Test:
    of = _text_of(name)
    if value.startswith("~"):
        part = value[1:].strip().lower()
        if not part:
            raise QueryError(f"{name}:~ needs a part of the {name} after the ~, like {_EXAMPLES[name]}.")
        return lambda s, _: part in of(s).lower()
    wanted = {v.strip().lower() for v in value.split(",") if v.strip()}
    if name == "step":
        unknown = sorted(wanted - set(STEP_NAMES))
        if unknown:
            raise QueryError(f"step:{unknown[0]} is not a step of the saga; the steps are "
                             f"{', '.join(STEP_NAMES)} (step:~{unknown[0]} looks for a part of one).")
    return lambda s, _: of(s).lower() in wanted


def _status_test(name: str, value: str) -> Test:
    chosen: set[SagaStatus] = set()
    for part in (v.strip() for v in value.split(",")):
        if not part:
            continue
        normal = part.lower().replace("-", "_").replace(" ", "_")
        try:
            chosen.add(SagaStatus(normal))
        except ValueError:
            raise QueryError(f"status:{part} is not a status of an order; the statuses are "
                             f"{_STATUS_NAMES}.") from None
    return lambda s, _: s.status in chosen


def _comparison(name: str, value: str) -> tuple[Callable[[float, float], bool], str]:
    match = _COMPARISON.fullmatch(value)
    assert match is not None  # every text matches: the operator is optional
    return _OPERATORS[match[1] or "="], match[2].strip()


def _attempt_test(name: str, value: str) -> Test:
    compare, number = _comparison(name, value)
    if not (number.isascii() and number.isdigit()):
        raise QueryError(f"attempt:{value} is not a number of attempts; write it like attempt:>1 or attempt:2.")
    count = int(number)
    return lambda s, _: compare(s.attempts, count)


def _total_test(name: str, value: str) -> Test:
    compare, amount = _comparison(name, value)
    try:
        cents = parse_dollars(amount)
    except ValueError:
        raise QueryError(f"total:{value} is not an amount in dollars; write it like total:>25 or "
                         "total:<=99.99.") from None
    return lambda s, _: compare(s.total_cents, cents)


def parse_duration(text: str) -> timedelta:
    """A span like 90s, 10m, 1h or 2d (ValueError if it is not one)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a span of time; write it like 10m, 1h or 2d.")
    return timedelta(seconds=int(match[1]) * _SECONDS[match[2].lower()])


def _updated_test(name: str, value: str) -> Test:
    """updated:<10m: changed less than 10 minutes ago; updated:>1h: more than an hour ago (an
    order never started counts as changed longest ago). No comparison means within the span."""
    match = _COMPARISON.fullmatch(value)
    assert match is not None
    sign, span = match[1] or "<", match[2]
    try:
        age = parse_duration(span).total_seconds()
    except ValueError:
        raise QueryError(f"updated:{value} is not a time ago; write it like updated:<10m "
                         "(changed within the last 10 minutes) or updated:>2h, in s, m, h or d.") from None
    compare = _OPERATORS[sign]

    def test(s: OrderSummary, now: datetime) -> bool:
        seconds = (now - s.updated_at).total_seconds() if s.updated_at else float("inf")
        return compare(seconds, age)

    return test


_PARSERS: dict[str, Callable[[str, str], Test]] = {
    "id": _text_test, "customer": _text_test, "step": _text_test, "reason": _text_test,
    "status": _status_test, "attempt": _attempt_test, "total": _total_test, "updated": _updated_test}
_EXAMPLES = {"id": "id:o-12", "customer": "customer:c01", "status": "status:failed",
             "step": "step:shipping", "reason": "reason:~carrier", "attempt": "attempt:>1",
             "total": "total:>25", "updated": "updated:<10m"}
