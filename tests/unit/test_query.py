"""The query language: which orders `status:failed reason:~carrier attempt:>1` means, and the one
sentence a term it cannot read gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actors import Failure, OrderSummary, SagaStatus
from app.query import QueryError, parse_query

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def summary(order_id: str = "o-1", customer: str = "c01", status: SagaStatus = SagaStatus.FAILED,
            attempts: int = 1, cents: int = 1001, minutes_ago: float | None = 5,
            failure: Failure | None = Failure(step="shipping", reason="Carrier unavailable", recoverable=True),
            step: str | None = None) -> OrderSummary:
    updated = NOW - timedelta(minutes=minutes_ago) if minutes_ago is not None else None
    return OrderSummary(order_id, customer, cents, status, attempts, 1, updated, failure, step)


def means(query: str, order: OrderSummary) -> bool:
    return parse_query(query).matches(order, NOW)


def test_the_issue_s_example_holds_only_when_every_term_does() -> None:
    query = "status:failed reason:~carrier customer:c01 step:shipping attempt:>1 updated:<10m"
    assert means(query, summary(attempts=2))
    assert not means(query, summary(attempts=1))
    assert not means(query, summary(attempts=2, customer="c02"))
    assert not means(query, summary(attempts=2, minutes_ago=11))
    assert not means(query, summary(attempts=2, status=SagaStatus.ON_HOLD))


def test_a_bare_word_is_the_substring_the_filter_always_was() -> None:
    assert means("carrier", summary())
    assert means("CARRIER o-1", summary())  # any case, every word
    assert not means("carrier o-2", summary())
    assert means('"carrier unavailable"', summary())  # quotes keep the space
    assert not means('"unavailable carrier"', summary())
    assert means("on hold", summary(status=SagaStatus.ON_HOLD, failure=None))
    assert parse_query("  ").matches(summary()) and not parse_query("")


def test_text_fields_are_exact_in_any_case_listed_with_commas_or_a_part_after_a_tilde() -> None:
    assert means("customer:C01", summary()) and not means("customer:c0", summary())
    assert means("customer:~c0", summary())
    assert means("customer:c02,c01", summary())
    assert means("id:o-1", summary()) and not means("id:o-10", summary())
    assert means('reason:~"carrier un"', summary())
    assert means("reason:carrier unavailable".replace(" ", "\u00a0"), summary()) is False
    assert means('reason:"Carrier unavailable"', summary())
    assert not means("reason:~carrier", summary(failure=None))
    assert means("step:inventory", summary(step="inventory", status=SagaStatus.RUNNING, failure=None))


def test_statuses_read_as_the_cli_reads_them() -> None:
    assert means("status:on-hold", summary(status=SagaStatus.ON_HOLD))
    assert means("status:failed,on_hold", summary())
    assert means("state:failed", summary())  # an alias


def test_numbers_and_times_compare() -> None:
    assert means("attempt:2", summary(attempts=2)) and not means("attempt:2", summary(attempts=3))
    assert means("attempts:>=2", summary(attempts=2)) and means("attempt:<3", summary(attempts=2))
    assert means("total:>10", summary()) and not means("total:>10.01", summary())
    assert means("total:<=$10.01", summary())
    assert means("updated:>1h", summary(minutes_ago=61)) and not means("updated:>1h", summary())
    assert means("updated:30s", summary(minutes_ago=0.1))  # no comparison: within the span
    assert means("updated:>2d", summary(minutes_ago=None))  # never started: the oldest
    assert not means("updated:<2d", summary(minutes_ago=None))


@pytest.mark.parametrize(("query", "sentence"), [
    ("colour:red", "'colour:red' names no field of an order; the fields are id, customer, status, step, "
                   "reason, attempt, total, updated (or leave out the colon to look for the word anywhere)."),
    ("status:faild", "status:faild is not a status of an order; the statuses are pending, running, "
                     "completed, compensating, failed, on_hold, cancelled."),
    ("step:carrier", "step:carrier is not a step of the saga; the steps are inventory, payment, shipping "
                     "(step:~carrier looks for a part of one)."),
    ("attempt:>x", "attempt:>x is not a number of attempts; write it like attempt:>1 or attempt:2."),
    ("updated:<10y", "updated:<10y is not a time ago; write it like updated:<10m (changed within the last "
                     "10 minutes) or updated:>2h, in s, m, h or d."),
    ("total:>lots", "total:>lots is not an amount in dollars; write it like total:>25 or total:<=99.99."),
    ("customer:", "'customer:' gives customer no value; write one after the colon, like customer:c01."),
    ('reason:~"carrier', "The quote in 'reason:~\"carrier' is never closed; close it with another \"."),
])
def test_a_term_that_cannot_be_read_is_one_sentence_naming_it(query: str, sentence: str) -> None:
    with pytest.raises(QueryError) as error:
        parse_query(f"status:failed {query}")
    assert str(error.value) == sentence
    assert str(error.value).count(". ") == 0  # one sentence
