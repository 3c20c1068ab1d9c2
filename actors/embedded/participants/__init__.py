"""The participant actors: one per service of the plan, each carrying its rules (actors/saga)
to its own documents."""

from __future__ import annotations

from actors.embedded.participants.base import Participant
from actors.embedded.participants.inventory import InventoryService
from actors.embedded.participants.payment import PaymentService
from actors.embedded.participants.shipping import ShippingService
from actors.saga.domain import Service

PARTICIPANTS: dict[Service, type[Participant]] = {
    Service.INVENTORY: InventoryService,
    Service.PAYMENT: PaymentService,
    Service.SHIPPING: ShippingService,
}
