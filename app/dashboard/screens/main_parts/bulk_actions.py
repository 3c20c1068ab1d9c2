"""Many orders at once: space marks orders, R and C retry or cancel the marked ones (or every
order the filter matches), each as its single key would, one bulk action at a time."""

from __future__ import annotations

from functools import partial

from textual.message import Message

from actors import order_sort_key
from app.bulk import CANCEL, RETRY, BulkOutcome, Verb, act_on_each, id_list, orders, summary_line
from app.dashboard.screens.main_parts.actions import OperatorActions
from app.dashboard.screens.main_parts.events import Events
from app.dashboard.screens.main_parts.host import PartsHost
from app.dashboard.screens.main_parts.selection import Selection
from app.dashboard.screens.confirm import ConfirmScreen



class BulkActions:
    class BulkProgress(Message):
        """How far a bulk action got (a newer one replaces one not shown yet)."""

        def __init__(self, verb: Verb, done: int, total: int) -> None:
            super().__init__()
            self.verb = verb
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, BulkActions.BulkProgress)

    class BulkDone(Message):
        """What became of every order of a bulk action."""

        def __init__(self, verb: Verb, outcome: BulkOutcome) -> None:
            super().__init__()
            self.verb = verb
            self.outcome = outcome

    def __init__(self, screen: PartsHost, selection: Selection, actions: OperatorActions, events: Events) -> None:
        self._screen = screen
        self._selection = selection
        self._actions = actions
        self._events = events
        self._running: Verb | None = None  # one bulk action at a time

    def mark(self) -> None:
        """Mark the selected order (or unmark it) and go to the next row."""
        screen = self._screen
        order_id = screen.orders.selected_id
        if order_id is None:
            self._events.say("Select an order first.", "warning")
            return
        marked = screen.orders.marked
        if order_id in marked:
            marked.discard(order_id)
        else:
            marked.add(order_id)
        screen.orders.refresh_marks({order_id})
        screen.orders.action_cursor_down()
        screen.update_keys()
        self._events.say(f"{orders(len(marked))} marked: R retries them, C cancels them (space unmarks)."
                          if marked else "No order marked: R and C act on every order the filter matches.")

    def retry(self) -> None:
        self._ask(RETRY)

    def cancel(self) -> None:
        self._ask(CANCEL)

    def _ask(self, verb: Verb) -> None:
        """Say how many orders and which, then act on each as its single key would."""
        screen = self._screen
        if self._running is not None:
            self._events.say(f"Still {self._running.doing} the orders of the last {self._running.name}; "
                              "its summary comes here once it is done.", "warning")
            return
        marked = screen.orders.marked & set(screen.board.summaries)
        query = screen.orders.filter_query
        if marked:
            ids, which = sorted(marked, key=order_sort_key), "marked"
        elif query:
            ids, which = sorted(screen.board.matching(query), key=order_sort_key), f"matching “{query.text}”"
        else:
            self._events.say(f"Mark orders with space, or filter them with /: {verb.name[0].upper()} acts on "
                              "those.", "warning")
            return
        if not ids:
            self._events.say(f"No order matches “{query.text}”; nothing to {verb.name}.", "warning")
            return
        check = " (one whose shortfall is not resolved yet is left as it is)" if verb is RETRY else ""
        question = (f"{verb.name.capitalize()} the {orders(len(ids))} {which}: {id_list(ids)}? Each "
                    f"is {verb.past} as {verb.name[0]} would {verb.name} it{check}; the line above the "
                    "keys shows how far it got, then what became of them.")
        self._actions.confirm(ConfirmScreen(f"{verb.name.capitalize()} {orders(len(ids))}?", question,
                                             f"{verb.name.capitalize()} {len(ids):,}", "Not now"),
                               lambda: self._start(verb, ids))

    def _start(self, verb: Verb, ids: list[str]) -> None:
        screen = self._screen
        self._running = verb
        screen.orders.marked.clear()
        screen.orders.refresh_marks(set(ids))
        screen.update_keys()
        self._events.say(f"{verb.doing.capitalize()} {orders(len(ids))}…")
        screen.run_worker(partial(self._run, verb, ids), thread=True, group="bulk")

    def _run(self, verb: Verb, ids: list[str]) -> None:
        """Act on each order in turn, off the UI thread; the event line follows."""
        screen = self._screen

        def act(order_id: str) -> str:
            if verb is RETRY:
                return screen.session.call(lambda engine: engine.retry(order_id))
            return screen.session.call(lambda engine: engine.cancel(order_id))

        outcome = act_on_each(ids, act, lambda done, total: screen.post_message(self.BulkProgress(verb, done, total)))
        screen.post_message(self.BulkDone(verb, outcome))

    def progress(self, message: BulkProgress) -> None:
        if self._running is not None:
            self._events.say(f"{message.verb.doing.capitalize()} {message.done:,}/{message.total:,} orders…")

    def done(self, message: BulkDone) -> None:
        self._running = None
        self._events.say(summary_line(message.verb, message.outcome),
                                "information" if message.outcome.clean else "warning")
        self._selection.read_supplies_in_worker()
