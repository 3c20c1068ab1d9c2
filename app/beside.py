"""The CLI beside a process that holds an embedded database.

An embedded database is held by one process (the file's lock). While a dashboard, or any
process, holds it, a command that changes the database (retry, cancel, edit, top-up,
restock, bulk) is carried out by that process: it listens on a Unix socket beside the
database, which only the database's owner may use (mode 0600, and the peer's uid is checked
too), runs the command on its own engine and answers with what the command would have
written and its exit status. The client writes those as its own, so a script cannot tell
the difference.

One request per connection, as one JSON line each way: {"argv": [...]} and
{"status": N, "stdout": "...", "stderr": "..."}.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import struct
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from actors import is_database_url

# An AF_UNIX address is at most 108 bytes: a longer path is reached through its directory's
# descriptor (Linux's /proc/self/fd), which is as private as the path itself.
_LONGEST_ADDRESS = 100
_ANSWER_TIMEOUT_S = 3600.0  # a bulk action over many orders takes minutes; never forever
_MOST_BYTES = 1 << 20  # a request is a command line


@dataclass(frozen=True)
class Answer:
    """What the command wrote and how it ended."""

    status: int
    stdout: str
    stderr: str


Handler = Callable[[list[str]], Answer]


def socket_path(db: Path) -> Path:
    """Where the process holding db listens: beside it, named after it."""
    return db.with_name(f".{db.name}.sock")


@contextlib.contextmanager
def _address(path: Path) -> Iterator[str]:
    if len(os.fsencode(path)) <= _LONGEST_ADDRESS:
        yield str(path)
        return
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{directory}/{path.name}"
    finally:
        os.close(directory)


def listen(db: Path | str, handle: Handler) -> Listener | None:
    """A Listener for the database file this process holds. None for a PostgreSQL database,
    which every process opens itself, and where no socket can be made (a folder we may not
    write in): the database's lock then refuses other processes as before."""
    if is_database_url(db):
        return None
    try:
        return Listener(Path(db), handle)
    except OSError:
        return None


class Listener:
    """Serves commands for the database this process holds, one at a time, on a thread."""

    def __init__(self, db: Path, handle: Handler) -> None:
        self.path = socket_path(db)
        self._handle = handle
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.path.unlink(missing_ok=True)  # a crashed holder's: this process holds the lock now
        mask = os.umask(0o177)  # created owner-only, not widened after
        try:
            with _address(self.path) as address:
                self._socket.bind(address)
        finally:
            os.umask(mask)
        os.chmod(self.path, 0o600)
        self._socket.listen(8)
        self._thread = threading.Thread(target=self._serve, name="ordersaga-beside", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:  # closed
                return
            with connection:
                try:
                    self._answer(connection)
                except (OSError, ValueError):
                    continue  # a client gone or garbled: the next one is served

    def _answer(self, connection: socket.socket) -> None:
        uid = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                        struct.calcsize("3i")))[1]
        if uid != os.getuid():
            return
        request = json.loads(_read_line(connection))
        argv = request.get("argv") if isinstance(request, dict) else None
        if not isinstance(argv, list) or not all(isinstance(word, str) for word in argv):
            raise ValueError("not a request")
        answer = self._handle(argv)
        connection.sendall(json.dumps(answer.__dict__).encode() + b"\n")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)  # wakes the accept waiting on it
        self._socket.close()
        self.path.unlink(missing_ok=True)
        self._thread.join(timeout=5)


def _read_line(connection: socket.socket) -> bytes:
    received = b""
    while not received.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
        if len(received) > _MOST_BYTES:
            raise ValueError("too long")
    return received


def ask(db: Path, argv: list[str]) -> Answer | None:
    """The answer of the process holding db to the command, or None when none listens."""
    path = socket_path(db)
    if not path.is_socket():
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        try:
            with _address(path) as address:
                client.connect(address)
        except (ConnectionRefusedError, FileNotFoundError):  # a holder that is gone
            return None
        client.settimeout(_ANSWER_TIMEOUT_S)
        client.sendall(json.dumps({"argv": argv}).encode() + b"\n")
        reply: dict[str, Any] = json.loads(_read_line(client) or b"null") or {}
    if not isinstance(reply.get("status"), int):
        return None
    return Answer(reply["status"], str(reply.get("stdout", "")), str(reply.get("stderr", "")))


class _PerThread(io.TextIOBase):
    """sys.stdout or sys.stderr, written to a thread's own buffer while it serves a command,
    and to the stream it replaced everywhere else."""

    def __init__(self, replaced: TextIO) -> None:
        self.replaced = replaced
        self.local = threading.local()

    def _target(self) -> TextIO:
        buffer: TextIO | None = getattr(self.local, "buffer", None)
        return buffer if buffer is not None else self.replaced

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        return self._target().isatty()

    def fileno(self) -> int:
        return self._target().fileno()


@contextlib.contextmanager
def captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """What this thread prints, kept apart from every other thread's output."""
    streams = []
    for name in ("stdout", "stderr"):
        current = getattr(sys, name)
        if not isinstance(current, _PerThread):
            current = _PerThread(current)
            setattr(sys, name, current)
        streams.append(current)
    out, err = io.StringIO(), io.StringIO()
    for stream, buffer in zip(streams, (out, err), strict=True):
        stream.local.buffer = buffer
    try:
        yield out, err
    finally:
        for stream in streams:
            stream.local.buffer = None
