"""What the audit reports: one finding per thing that is wrong, each a sentence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """The kinds of wrong the audit can find; each has a tampering test."""

    UNSETTLED = "unsettled"                # an order still running or compensating
    STUCK = "stuck"                        # an order in flight that nothing has moved for too long
    SAGA_ORDER = "saga_order"              # a timeline breaks T1..Tn / T1..Tj Cj..C1
    STATUS_MISMATCH = "status_mismatch"    # the status claims what the timeline does not show
    APPLIED_TWICE = "applied_twice"        # a participant holds two live effects of one step
    ORPHANED_EFFECT = "orphaned_effect"    # an order holds an effect its status forbids
    MISSING_EFFECT = "missing_effect"      # an order lacks an effect its status requires
    RECORD_MISMATCH = "record_mismatch"    # a participant's records disagree: timeline, order, ledger
    STOCK_NOT_CONSERVED = "stock_not_conserved"
    MONEY_NOT_CONSERVED = "money_not_conserved"
    CONFIRMATION = "confirmation"          # a completed order without exactly one confirmation
    FAILURE_NOTICE = "failure_notice"      # a failed attempt without one notice giving its reason
    HOLD_NOTICE = "hold_notice"            # a held attempt without one on-hold notice
    VERSION_MISMATCH = "version_mismatch"  # versions, their edits and notices, attempts' versions disagree
    CANCELLATION_NOTICE = "cancellation_notice"  # a cancelled order without one notice giving its reason
    OPERATOR_RECORD = "operator_record"    # an operator's recorded action and its effect disagree


@dataclass(frozen=True)
class Finding:
    kind: Kind
    subject: str  # the order id, sku or customer it is about
    message: str  # one sentence that names the subject

    def line(self) -> str:
        return f"{self.kind.value}: {self.message}"

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind.value, "subject": self.subject, "message": self.message}


def summary(orders: int, findings: int, in_flight: int = 0) -> str:
    """The audit's last line, e.g. '200 orders audited, 0 findings', saying how many
    orders were in flight (read without resuming) and so checked for saga order only."""
    left = f" ({in_flight} in flight, checked for saga order only)" if in_flight else ""
    return (f"{orders} order{'' if orders == 1 else 's'} audited{left}, "
            f"{findings} finding{'' if findings == 1 else 's'}")
