"""The errors an engine of either runtime raises to a front end: each is one sentence for
the operator, so a front end catches these and never a runtime's own (Pykka's, DBOS's)."""

from __future__ import annotations


class Refused(Exception):
    """An operator asked for something the order's state does not allow; the
    message is one sentence for the operator."""


class EngineRestarting(Refused):
    """The engine could not answer: it is restarting (a crash fault, or the operator's
    restart) or closing. Asking again in a moment finds it back."""

    def __init__(self, message: str = "The engine is restarting; try again in a moment.") -> None:
        super().__init__(message)
