"""How commands travel, the same on both runtimes: how long to wait for an answer, how
many times to send an execution before its outcome counts as unknown, and the backoff
between sends. Compensations are sent until they are answered."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineSettings:
    """Timing of retries. Tests shorten them; the defaults suit a person watching."""

    answer_timeout_s: float = 0.25
    max_execute_tries: int = 4
    backoff_base_s: float = 0.02
    backoff_cap_s: float = 0.5
    # Sagas the embedded coordinator runs at once: enough to fill a group commit, few
    # enough that a command's wait in the queues stays well inside the answer timeout.
    max_in_flight: int = 48

    def backoff(self, tries: int) -> float:
        return min(self.backoff_cap_s, self.backoff_base_s * 2.0 ** max(tries - 1, 0))

    def delay_before_send(self, tries: int) -> float:
        """How long to wait before the `tries`-th send of a command: none before the first."""
        return self.backoff(tries - 1) if tries > 1 else 0.0

    def answer_timeout(self, latency_s: float) -> float:
        """How long to wait for an answer from a service that takes latency_s each way."""
        return self.answer_timeout_s + 2 * latency_s
