"""Choosing a scenario to load: one from the library, or any file by path."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from actors import Scenario
from app.scenario import ScenarioError, library, load_scenario


def read(name: str | Path) -> Scenario | ScenarioError:
    try:
        return load_scenario(name)
    except ScenarioError as error:
        return error


class ScenarioPicker(ModalScreen[Scenario | None]):
    """Dismisses with a valid scenario; a bad file shows its problems and changes nothing."""

    BINDINGS = [Binding("escape", "dismiss", "Close", show=False)]

    def __init__(self, db: str) -> None:
        super().__init__()
        self._db = db
        self._library = {path.stem: read(path) for path in library()}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Load a scenario"
            dialog.border_subtitle = "Enter loads · Esc closes"
            yield OptionList(*(self._option(stem, entry) for stem, entry in self._library.items()),
                             id="library")
            yield Static(id="description")
            yield Input(placeholder="…or type the path of a scenario file, then Enter", compact=True,
                        select_on_focus=False, id="path")  # the first key typed is in it already
            yield Static(id="problems")
            yield Static(Text(f"Loading replaces everything in {self._db}; its orders start at once.",
                              style="dim"), id="warning")

    @staticmethod
    def _option(stem: str, entry: Scenario | ScenarioError) -> Option:
        title = (entry.name, "") if isinstance(entry, Scenario) else ("cannot be loaded", "red")
        return Option(Text.assemble((stem, "bold"), "  ", title), id=stem)

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    @on(OptionList.OptionHighlighted)
    def describe(self, event: OptionList.OptionHighlighted) -> None:
        entry = self._library[str(event.option.id)]
        text = entry.description if isinstance(entry, Scenario) else "\n".join(entry.problems)
        self.query_one("#description", Static).update(Text(text, style="italic"))

    @on(OptionList.OptionSelected)
    def load_chosen(self, event: OptionList.OptionSelected) -> None:
        self._choose(self._library[str(event.option.id)])

    def on_key(self, event: events.Key) -> None:
        """A path typed while the list has the keys goes to the path field (Enter then loads it).
        Keys queued before the field took the focus reach the screen, not the field: they are the
        path's too (the filter bar does the same)."""
        path = self.query_one("#path", Input)
        if event.is_printable and event.character and (self.focused is path or event.character != " "):
            event.stop()
            event.prevent_default()
            self.set_focus(path)
            path.insert_text_at_cursor(event.character)

    @on(Input.Submitted, "#path")
    def load_typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self._choose(read(event.value.strip()))

    def _choose(self, entry: Scenario | ScenarioError) -> None:
        if isinstance(entry, ScenarioError):
            self.query_one("#problems", Static).update(Text("\n".join(entry.problems), style="red"))
            return
        self.dismiss(entry)
