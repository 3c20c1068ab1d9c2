"""What a part asks of the screen that holds it, so that the parts import this and not the
screen: the screen imports its parts, never the other way round."""

from __future__ import annotations

from textual.screen import Screen

from app.dashboard.board import OrderBoard
from app.dashboard.session import DashboardSession
from app.dashboard.widgets.orders_table import OrdersTable


class PartsHost(Screen[None]):
    """A screen whose parts share its session, its board and its orders table."""

    def __init__(self, session: DashboardSession) -> None:
        super().__init__()
        self.session = session
        self.board = OrderBoard()

    @property
    def orders(self) -> OrdersTable:
        return self.query_one(OrdersTable)

    def update_keys(self) -> None:
        """Redraw the footer when what it would show has changed."""
        raise NotImplementedError
