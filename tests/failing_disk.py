"""Disks that fail: a real one that fills up, and one file's writes or fsyncs failing.

`small_disk` is a directory on a 300 kB tmpfs (it needs root; the test is skipped
where mounting is not permitted). `with failing(path, "fsync", errno.EIO, after=3)`
makes every fsync of that file after its first three raise OSError(EIO). As a
command, this runs `ordersaga` with such a failure in place:

    python -m tests.failing_disk write|fsync ERRNO_NAME AFTER ARGS...
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest


class SmallDisk:
    """A directory on a tmpfs of its own, to fill up and to give room again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._filler = path / "filler"

    def resize(self, size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.path)], check=True)

    def fill(self) -> None:
        """Take every byte left, as another program would."""
        with open(self._filler, "ab", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 4096)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error

    def empty(self) -> None:
        self._filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    path = tmp_path / "small-disk"
    path.mkdir()
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "ordersaga-test", str(path)],
                                 capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("no mount command here to make a small disk; the injected failures cover the same code")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a 300 kB tmpfs here ({mounted.stderr.strip()}); "
                    "the injected failures cover the same code")
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


def _path_of(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


@contextmanager
def failing(path: Path, call: str, code: int, after: int = 0) -> Iterator[None]:
    """Make os.<call> ("write" or "fsync") on path fail with code after `after` calls succeed.

    A failing write first writes half of what it was given, as a disk that fills up does.
    Only the journal's appends use os.write; a file written whole (a compaction, a new
    database) goes through a Python file object, so fail its fsync instead.
    """
    real: Callable[..., Any] = getattr(os, call)
    target = str(path.resolve())
    lock = threading.Lock()
    calls = 0

    def fail_or_pass(fd: int, *args: Any) -> Any:
        nonlocal calls
        if _path_of(fd) != target:
            return real(fd, *args)
        with lock:
            calls += 1
            fail = calls > after
        if not fail:
            return real(fd, *args)
        if call == "write" and len(args[0]) > 1:
            real(fd, bytes(args[0][:len(args[0]) // 2]))  # part of it lands, as on a filling disk
        raise OSError(code, os.strerror(code))

    with mock.patch.object(os, call, fail_or_pass):
        yield


def run_cli(argv: list[str]) -> int:
    call, code_name, after, *args = argv
    db = Path(args[args.index("--db") + 1])
    from app.cli import main

    with failing(db, call, getattr(errno, code_name), int(after)):
        return main(args)


if __name__ == "__main__":
    sys.exit(run_cli(sys.argv[1:]))
