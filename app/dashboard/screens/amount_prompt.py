"""Asking for numbers: each field checked as it is typed, nothing sent until all are good."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Static


@dataclass(frozen=True)
class Field:
    label: str
    initial: str
    parse: Callable[[str], int]  # raises ValueError with a sentence for the operator


class Parses(Validator):
    def __init__(self, parse: Callable[[str], int]) -> None:
        super().__init__()
        self._parse = parse

    def validate(self, value: str) -> ValidationResult:
        try:
            self._parse(value)
        except ValueError as error:
            return self.failure(str(error))
        return self.success()


class AmountPrompt(ModalScreen[list[int] | None]):
    """Dismisses with one parsed number per field, or None when Escape is pressed."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel", show=False)]

    def __init__(self, title: str, fields: list[Field], verb: str) -> None:
        super().__init__()
        self._title = title
        self._fields = fields
        self._verb = verb

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = self._title
            dialog.border_subtitle = f"Enter to {self._verb} · Esc cancels"
            for index, field in enumerate(self._fields):
                yield Label(field.label, markup=False)
                yield Input(field.initial, validators=[Parses(field.parse)], id=f"field-{index}")
                yield Static(id=f"problem-{index}", classes="problem", markup=False)

    @on(Input.Changed)
    def check(self, event: Input.Changed) -> None:
        self._show_problem(event.input, event.validation_result)

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        for entry in inputs:
            result = entry.validate(entry.value)
            self._show_problem(entry, result)
            if result is not None and not result.is_valid:
                entry.focus()
                return
        self.dismiss([field.parse(entry.value) for field, entry in zip(self._fields, inputs, strict=True)])

    def _show_problem(self, entry: Input, result: ValidationResult | None) -> None:
        index = str(entry.id).removeprefix("field-")
        problem = "" if result is None or result.is_valid else result.failure_descriptions[0]
        self.query_one(f"#problem-{index}", Static).update(problem)
