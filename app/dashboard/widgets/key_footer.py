"""The footer: the keys that apply now, with help, quit and the palette pinned at the right.

Textual's footer lets a narrow terminal cut off whatever comes last, quit
included, and a key half-drawn; here the keys that do not fit are left out
whole, last first (each is also in the help screen and the palette), and
never the ones that get a person out or to the rest.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeyFooter(Footer):
    DEFAULT_CSS = """
    KeyFooter #pinned {
        dock: right;
        width: auto;
        background: $footer-background;
        padding-left: 1;
    }
    """

    def __init__(self, pinned: tuple[str, ...]) -> None:
        super().__init__(compact=True)
        self._pinned = pinned
        self._composed_width = 0

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        shown = {binding.action: (binding, enabled) for _, binding, enabled, _ in active.values()
                 if binding.show}
        pinned = [shown[action] for action in self._pinned if action in shown]
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            pinned.append((palette.binding, palette.enabled))
        self._composed_width = self.size.width
        room = self.size.width - 1 - sum(self._width(binding) for binding, _ in pinned)
        for action, (binding, enabled) in shown.items():
            if action in self._pinned:
                continue
            room -= self._width(binding)
            if self.size.width and room < 0:
                break
            yield self._key(binding, enabled)
        with HorizontalGroup(id="pinned"):
            for binding, enabled in pinned:
                yield self._key(binding, enabled)

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._composed_width:
            self.call_after_refresh(self.recompose)

    def _width(self, binding: Binding) -> int:
        """A compact key's cells: the key, a space, the description and a margin."""
        return cell_len(self.app.get_key_display(binding)) + cell_len(binding.description) + 2

    def _key(self, binding: Binding, enabled: bool) -> FooterKey:
        return FooterKey(binding.key, self.app.get_key_display(binding), binding.description,
                         binding.action, disabled=not enabled,
                         tooltip=binding.tooltip).data_bind(compact=Footer.compact)
