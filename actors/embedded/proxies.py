"""Typed actor proxies: what a caller may ask of an actor, checked by mypy.

Pykka's proxies are dynamic. As `pykka.typing` suggests, each actor that others
call has a proxy class (`ActorMemberMixin` and `pykka.ActorProxy[TheActor]`) naming
its methods, and a proxy is cast to it once, where it is made. `pykka.typing`'s
`proxy_method` types only the call that returns a future; the engine sends most of
its messages with `defer` (no future: the answer comes back as a message), so
`actor_method` types both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, cast

import pykka

P = ParamSpec("P")
R = TypeVar("R")


class ProxyMethod(Protocol[P, R]):
    """An actor's method as its proxy offers it: called, it returns a future of the
    method's result; deferred, it returns nothing and the actor logs any error."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> pykka.Future[R]: ...

    def defer(self, *args: P.args, **kwargs: P.kwargs) -> None: ...


class ProxyMember(Protocol[P, R]):
    """A proxy class's attribute that reads as a ProxyMethod."""

    def __get__(self, instance: object, owner: type | None = None) -> ProxyMethod[P, R]: ...


def actor_method(method: Callable[Concatenate[Any, P], R]) -> ProxyMember[P, R]:
    """Type an actor's method on its proxy class, as pykka.typing.proxy_method does, with defer."""
    return cast("ProxyMember[P, R]", method)
