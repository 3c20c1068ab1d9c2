"""Payment: customer balances and the charges orders hold."""

from __future__ import annotations

import pykka

from actors.embedded.documents import ACCOUNT, payment_report
from actors.embedded.participants.base import Changed, Participant, ParticipantProxy
from actors.embedded.proxies import actor_method
from actors.saga import payment, replies
from actors.saga.documents import Account, OperatorMark, PaymentReport, StoredDocuments, documents_under
from actors.saga.domain import Order, Service
from actors.saga.effects import DONE, Effect


class PaymentService(Participant):
    service = Service.PAYMENT
    effect_words = payment.WORDS
    _accounts: dict[str, Account]

    def _keep_shared(self, docs: StoredDocuments) -> None:
        self._accounts = documents_under(docs, ACCOUNT, Account)

    def apply(self, order: Order, effect: str, changed: list[Changed]) -> Effect:
        account = self._accounts.get(order.customer)
        amount = payment.charge(order, 0 if account is None else account["balance_cents"])
        if isinstance(amount, Effect):
            return amount
        assert account is not None
        account["balance_cents"] -= amount
        charges = self._order_doc(order).setdefault("charges", {})
        charges[effect] = {"amount_cents": amount, "status": self.effect_words.live}
        changed.append((ACCOUNT + order.customer, account))
        return DONE

    def undo(self, order: Order, effect: str, changed: list[Changed]) -> Effect:
        charge = self._order_doc(order)["charges"][effect]
        account = self._accounts[order.customer]
        account["balance_cents"] += charge["amount_cents"]
        charge["status"] = self.effect_words.undone
        changed.append((ACCOUNT + order.customer, account))
        return DONE

    def top_up(self, customer: str, amount_cents: int, key: str,
               mark: OperatorMark) -> pykka.ThreadingFuture[tuple[str, bool]]:
        """Credit the account once per key, who made it beside it; the future resolves when it
        is durable, to the answer and whether the key was new."""
        if customer not in self._accounts:
            raise KeyError(replies.no_customer(customer))
        account = self._accounts[customer]
        new = key not in account["top_ups"]
        if new:
            account["top_ups"][key] = amount_cents
            account.setdefault("topped_up_by", {})[key] = mark
            account["balance_cents"] += amount_cents
        return self._acknowledge([(ACCOUNT + customer, account)],
                                 (replies.topped_up(customer, amount_cents, account["balance_cents"]), new))

    def balances(self) -> dict[str, int]:
        """Each customer's balance now, in cents: what a retry's charge could take."""
        return {customer: account["balance_cents"] for customer, account in self._accounts.items()}

    def report(self) -> PaymentReport:
        """This service's state for the run report: copies, since reports leave this thread."""
        return payment_report(self._accounts, self._orders)


class PaymentProxy(ParticipantProxy):
    top_up = actor_method(PaymentService.top_up)
    balances = actor_method(PaymentService.balances)
    report = actor_method(PaymentService.report)
