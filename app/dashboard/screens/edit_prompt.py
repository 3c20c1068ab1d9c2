"""Correcting a failed or held order: its address and the quantity of each item (0 removes
it), checked as typed by the saga rules themselves, with what the retry will then do.
Enter saves the correction; `r` then retries the order."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from actors import QUANTITY, BadValue, Correction, OrderRecord, Refused, correction, preview_edit


class EditPrompt(ModalScreen[Correction | None]):
    """Dismisses with the correction to save, or None when Escape is pressed."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel", show=False)]

    def __init__(self, record: OrderRecord) -> None:
        super().__init__()
        self._record = record
        self._units = record.order.units_by_sku()

    def compose(self) -> ComposeResult:
        order = self._record.order
        with Vertical(id="dialog") as dialog:
            dialog.border_title = f"Correct {order.id} (version {self._record.version})"
            dialog.border_subtitle = "Enter saves · Esc cancels"
            yield Label("Ship to", markup=False)
            yield Input(order.ship_to, id="ship-to")
            for index, (sku, units) in enumerate(self._units.items()):
                yield Label(f"Quantity of {sku} (0 takes it off the order)", markup=False)
                yield Input(str(units), id=f"quantity-{index}")
            yield Static(id="verdict", markup=False)

    def on_mount(self) -> None:
        self._check()

    @on(Input.Changed)
    def _changed(self) -> None:
        self._check()

    @on(Input.Submitted)
    def _save(self) -> None:
        change = self._check()
        if change is not None:
            self.dismiss(change)

    def _correction(self) -> Correction:
        """The correction the fields ask for; Refused says what is wrong with them."""
        order = self._record.order
        ship_to = self.query_one("#ship-to", Input).value
        quantity: dict[str, int] = {}
        remove: list[str] = []
        for index, (sku, units) in enumerate(self._units.items()):
            try:  # 0 takes it off, so only its form is the quantity rule's here; the rest is correction's
                typed = QUANTITY.read(self.query_one(f"#quantity-{index}", Input).value)
            except BadValue as bad:
                raise Refused(str(bad)) from None
            if typed == 0:
                remove.append(sku)
            elif typed != units:
                quantity[sku] = typed
        return correction(order.id, None if ship_to == order.ship_to else ship_to, quantity, remove)

    def _check(self) -> Correction | None:
        """Show what saving does, or why it cannot; the correction when it can."""
        verdict = self.query_one("#verdict", Static)
        try:
            change = self._correction()
            said = preview_edit(self._record, change)
        except Refused as refusal:
            verdict.update(str(refusal))
            verdict.set_class(True, "problem")
            return None
        verdict.update(said)
        verdict.set_class(False, "problem")
        return change
