"""Payment: customer balances and the charges orders hold."""

from __future__ import annotations

from typing import Any

import pykka

from actors.domain import Action, Order, Service, format_cents
from actors.participants.base import EffectWords, Outcome, Participant, docs_under, ledger_of

ACCOUNT = "account/"


def account_doc(initial_cents: int) -> dict[str, Any]:
    return {"initial_cents": initial_cents, "balance_cents": initial_cents, "top_ups": {}}


class PaymentService(Participant):
    service = Service.PAYMENT
    effect_words = EffectWords(noun="charge", live="captured", undone="refunded")
    shared_prefixes = (ACCOUNT,)

    def apply(self, order: Order, effect: str) -> Outcome:
        """Charge the order's total, if the balance covers it."""
        account = self._doc(ACCOUNT + order.customer)
        total = order.total_cents
        if account["balance_cents"] < total:
            return Outcome(ok=False, reason=f"Insufficient funds: balance "
                                            f"{format_cents(account['balance_cents'])}, "
                                            f"order total {format_cents(total)}")
        account["balance_cents"] -= total
        charges = self._order_doc(order).setdefault("charges", {})
        charges[effect] = {"amount_cents": total, "status": self.effect_words.live}
        return Outcome(ok=True, changed=[ACCOUNT + order.customer])

    def undo(self, order: Order, effect: str) -> Outcome:
        charge = self._order_doc(order)["charges"][effect]
        self._doc(ACCOUNT + order.customer)["balance_cents"] += charge["amount_cents"]
        charge["status"] = self.effect_words.undone
        return Outcome(ok=True, changed=[ACCOUNT + order.customer])

    @classmethod
    def terms(cls, order: Order) -> tuple[str, int]:
        """Whose money and how much: what a charge holds."""
        return order.customer, order.total_cents

    @classmethod
    def words(cls, order: Order, action: Action) -> str:
        return f"{'charges' if action == Action.EXECUTE else 'refunds'} {format_cents(order.total_cents)}"

    def top_up(self, customer: str, amount_cents: int, key: str) -> pykka.ThreadingFuture[str]:
        """Credit the account once per key; the future resolves when it is durable."""
        if ACCOUNT + customer not in self._docs:
            raise KeyError(f"There is no customer {customer!r} in this database.")
        account = self._doc(ACCOUNT + customer)
        if key not in account["top_ups"]:
            account["top_ups"][key] = amount_cents
            account["balance_cents"] += amount_cents
        return self._acknowledge([ACCOUNT + customer], f"Topped up {customer} by "
                                 f"{format_cents(amount_cents)}; balance "
                                 f"{format_cents(account['balance_cents'])}.")

    @classmethod
    def report_of(cls, docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
        accounts = {customer: dict(account) for customer, account in docs_under(docs, ACCOUNT)}
        charges = [
            {"order": order, "effect": effect, **charge}
            for order, doc in docs_under(docs, "payment/")
            for effect, charge in doc.get("charges", {}).items()
        ]
        return {"accounts": accounts, "charges": charges, "ledger": ledger_of(cls.service, docs)}
