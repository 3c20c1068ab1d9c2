"""Payment: customer balances and the charges orders hold."""

from __future__ import annotations

import copy
from collections.abc import Mapping

import pykka

from actors.saga.domain import Action, Order, Service, format_cents
from actors.embedded.participants.base import EffectResult, EffectWords, Participant, ParticipantProxy, ledger_of
from actors.saga.documents import (Account, ChargeStatus, OrderDocument, PaymentReport,
                                           StoredDocuments, documents_under)
from actors.embedded.proxies import actor_method

ACCOUNT = "account/"


def account_doc(initial_cents: int) -> Account:
    return {"initial_cents": initial_cents, "balance_cents": initial_cents, "top_ups": {}}


def payment_report(accounts: Mapping[str, Account], orders: Mapping[str, OrderDocument]) -> PaymentReport:
    """Copies of the accounts, every charge and the ledger, as plain data."""
    return {
        "accounts": {customer: copy.deepcopy(account) for customer, account in sorted(accounts.items())},
        "charges": [{"order": order, "effect": effect, **charge}
                    for order, doc in sorted(orders.items())
                    for effect, charge in doc.get("charges", {}).items()],
        "ledger": ledger_of(orders),
    }


class PaymentService(Participant):
    service = Service.PAYMENT
    effect_words = EffectWords[ChargeStatus](noun="charge", live="captured", undone="refunded")
    shared_prefixes = (ACCOUNT,)
    _accounts: dict[str, Account]

    def _keep_shared(self, docs: StoredDocuments) -> None:
        self._accounts = documents_under(docs, ACCOUNT, Account)

    def apply(self, order: Order, effect: str) -> EffectResult:
        """Charge the order's total, if the balance covers it."""
        account = self._accounts[order.customer]
        total = order.total_cents
        if account["balance_cents"] < total:
            return EffectResult(ok=False, reason=f"Insufficient funds: balance "
                                                 f"{format_cents(account['balance_cents'])}, "
                                                 f"order total {format_cents(total)}", shortfall=True)
        account["balance_cents"] -= total
        charges = self._order_doc(order).setdefault("charges", {})
        charges[effect] = {"amount_cents": total, "status": self.effect_words.live}
        return EffectResult(ok=True, changed=[(ACCOUNT + order.customer, account)])

    def undo(self, order: Order, effect: str) -> EffectResult:
        charge = self._order_doc(order)["charges"][effect]
        account = self._accounts[order.customer]
        account["balance_cents"] += charge["amount_cents"]
        charge["status"] = self.effect_words.undone
        return EffectResult(ok=True, changed=[(ACCOUNT + order.customer, account)])

    @classmethod
    def terms(cls, order: Order) -> tuple[str, int]:
        """Whose money and how much: what a charge holds."""
        return order.customer, order.total_cents

    @classmethod
    def words(cls, order: Order, action: Action) -> str:
        return f"{'charges' if action == Action.EXECUTE else 'refunds'} {format_cents(order.total_cents)}"

    def top_up(self, customer: str, amount_cents: int, key: str) -> pykka.ThreadingFuture[str]:
        """Credit the account once per key; the future resolves when it is durable."""
        if customer not in self._accounts:
            raise KeyError(f"There is no customer {customer!r} in this database.")
        account = self._accounts[customer]
        if key not in account["top_ups"]:
            account["top_ups"][key] = amount_cents
            account["balance_cents"] += amount_cents
        return self._acknowledge([(ACCOUNT + customer, account)], f"Topped up {customer} by "
                                 f"{format_cents(amount_cents)}; balance "
                                 f"{format_cents(account['balance_cents'])}.")

    def balances(self) -> dict[str, int]:
        """Each customer's balance now, in cents: what a retry's charge could take."""
        return {customer: account["balance_cents"] for customer, account in self._accounts.items()}

    @classmethod
    def report_of(cls, docs: StoredDocuments) -> PaymentReport:
        """The report of stored documents, so a database can be reported without actors."""
        return payment_report(documents_under(docs, ACCOUNT, Account), cls.orders_in(docs))

    def report(self) -> PaymentReport:
        """This service's state for the run report: copies, since reports leave this thread."""
        return payment_report(self._accounts, self._orders)


class PaymentProxy(ParticipantProxy):
    top_up = actor_method(PaymentService.top_up)
    balances = actor_method(PaymentService.balances)
    report = actor_method(PaymentService.report)
