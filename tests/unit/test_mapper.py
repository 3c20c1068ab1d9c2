"""A record's stored document is exactly what pydantic dumps of it, whatever the record holds."""

from __future__ import annotations

import json

from actors.mapper import order_document
from actors.saga import corrections, retrying
from actors.saga import rules as saga_logic
from actors.saga.domain import Item, Order, OrderRecord, ParticipantReply, RecoverablePolicy, SagaStatus, now
from actors.saga.transitions import Transition

ORDER = Order(id="o-1", customer="bøb", ship_to="1 Main St, Zürich",
              items=(Item(sku="KB", quantity=2, price_cents=500), Item(sku="MS", quantity=1, price_cents=900)))


def answer(transition: Transition, ok: bool = True) -> Transition:
    assert transition.command is not None
    reply = ParticipantReply(key=transition.command.key, ok=ok, reason="" if ok else "Card declined")
    result = saga_logic.apply_reply(transition.record, reply, now())
    assert result is not None
    return result


def every_record_of_a_long_life() -> list[OrderRecord]:
    """Held at payment, corrected, retried (undoing the inventory step the correction
    invalidated), unanswered at shipping until it fails as uncertain, retried, held, cancelled."""
    made = [saga_logic.begin_attempt(OrderRecord(order=ORDER, policy=RecoverablePolicy.HOLD), now())]
    made.append(answer(made[-1]))
    made.append(answer(made[-1], ok=False))
    made.append(corrections.edit(made[-1].record, corrections.correction("o-1", quantity={"KB": 1}), now(), "ann"))
    made.append(retrying.retry(made[-1].record, now(), "ann"))
    while made[-1].command is not None and made[-1].command.key.step != "shipping":
        made.append(answer(made[-1]))
    unanswered = made[-1].command
    assert unanswered is not None
    for tries in (1, 4):
        gave_up = saga_logic.no_answer(made[-1].record, unanswered.key, tries, 4, 250, now())
        assert gave_up is not None
        made.append(gave_up)
    while made[-1].command is not None:
        made.append(answer(made[-1]))
    made.append(retrying.retry(made[-1].record, now(), "ann"))
    made.append(answer(made[-1]))
    made.append(answer(made[-1], ok=False))
    made.append(retrying.cancel(made[-1].record, now(), "ann"))
    while made[-1].command is not None:
        made.append(answer(made[-1]))
    assert made[-1].record.status == SagaStatus.CANCELLED
    return [OrderRecord(order=ORDER), *(transition.record for transition in made)]


def test_a_records_document_is_pydantics_dump_key_for_key() -> None:
    for record in every_record_of_a_long_life():
        read_back = OrderRecord.model_validate(record.model_dump(mode="json"))  # its times parsed
        for version in (record, read_back):
            name, document = order_document(version)
            assert name == "order/o-1"
            assert json.dumps(document) == json.dumps(version.model_dump(mode="json"))
            assert OrderRecord.model_validate(document) == record
