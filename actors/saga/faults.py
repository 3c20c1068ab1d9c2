"""Injected faults of one service, with how many times each may still fire."""

from __future__ import annotations

from typing import Any

from actors.saga.domain import IdempotencyKey, Service
from actors.saga.scenario import Fault, FaultKind


def fault_document(service: Service) -> str:
    """The stored document counting the firings of a service's faults."""
    return f"faults/{service.value}"


class FaultBook:
    """The faults aimed at one service; each firing is persisted so a restart
    does not fire it again (a crash fault would otherwise crash forever)."""

    def __init__(self, service: Service, faults: tuple[Fault, ...], remaining: list[int] | None) -> None:
        self.service = service
        self.doc_name = fault_document(service)
        self._faults = tuple(f for f in faults if f.service == service)
        self._remaining = list(remaining) if remaining is not None else [f.times for f in self._faults]

    def take(self, key: IdempotencyKey, transport_only: bool = False) -> Fault | None:
        """The fault that fires on this call, if any, counting the firing.

        transport_only limits it to faults of the call itself (lost, timed out,
        crash), for a repeated call whose operation is already decided.
        """
        for index, fault in enumerate(self._faults):
            if transport_only and fault.kind == FaultKind.ERROR:
                continue
            if self._remaining[index] > 0 and fault.matches(self.service, key):
                self._remaining[index] -= 1
                return fault
        return None

    def doc(self) -> dict[str, Any]:
        return {"remaining": list(self._remaining)}
