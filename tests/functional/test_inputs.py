"""Issue 21's examples, each through the door it was found at: what `edit` took that a scenario
file refuses, --db paths that are no regular file, worker ids, and salvage's target."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from actors import DatabaseError, create_database
from app.scenario import load_scenario
from storage.journal_file import write_snapshot
from tests.functional.test_cli import without_follow_ups

Cli = Callable[..., tuple[int, str, str]]
ROOT = Path(__file__).resolve().parents[2]


def not_a_file(path: Path, kind: str) -> str:
    return (f"ordersaga: {path}: {kind} is there, not a database file, so ordersaga neither reads nor "
            "writes it; it was left untouched.\n")


def folder_state(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Each entry of folder: its file type, and a regular file's bytes (nothing else is opened)."""
    state = {}
    for entry in sorted(folder.iterdir()):
        mode = entry.lstat().st_mode
        state[entry.name] = (stat.S_IFMT(mode), entry.read_bytes() if stat.S_ISREG(mode) else b"")
    return state


@pytest.fixture
def held(cli: Cli, tmp_path: Path) -> Path:
    """quantity_too_large without its follow-ups: o-1 and o-2 held, o-2 with 3 KEYBOARD."""
    db = tmp_path / "held.db"
    assert cli("run", without_follow_ups("quantity_too_large", tmp_path), "--db", db)[0] == 0
    return db


@pytest.mark.parametrize("ship_to, sentence", [
    ("1 Main\nSt", "The ship-to must not contain control or invisible characters (got '1 Main\\nSt')."),
    ("1 Main\x1b[2J\x07St", "The ship-to must not contain control or invisible characters "
                            "(got '1 Main\\x1b[2J\\x07St')."),
    ("1 Main\u200bSt", "The ship-to must not contain control or invisible characters (got '1 Main\\u200bSt')."),
    ("1 Main\u202eSt", "The ship-to must not contain control or invisible characters (got '1 Main\\u202eSt')."),
    ("  1 Main St", "The ship-to must not start or end with spaces (got '  1 Main St')."),
    ("x" * 100_000, "The ship-to must be at most 200 characters (got 100,000)."),
], ids=["newline", "control characters", "zero-width space", "right-to-left override", "leading spaces",
        "100,000 characters"])
def test_edit_refuses_a_ship_to_a_scenario_file_refuses(cli: Cli, held: Path, ship_to: str, sentence: str) -> None:
    before = folder_state(held.parent)
    assert cli("edit", "o-2", "--ship-to", ship_to, "--db", held) == (2, "", f"ordersaga: {sentence}\n")
    assert folder_state(held.parent) == before
    assert '"ship_to":"9 Cedar Ct, Capital City"' in held.read_text()  # never a correction notice


@pytest.mark.parametrize("quantity, sentence", [
    ("KEYBOARD=" + "7" * 5000, "The quantity must be from 1 to 100,000 (got a number of 5,000 digits)."),
    ("KEYBOARD= 3", "The quantity must not start or end with spaces (got ' 3')."),
], ids=["5,000 digits", "a leading space"])
def test_edit_refuses_a_quantity_in_one_sentence(cli: Cli, held: Path, quantity: str, sentence: str) -> None:
    before = folder_state(held.parent)
    assert cli("edit", "o-2", "--quantity", quantity, "--db", held) == (2, "", f"ordersaga: {sentence}\n")
    assert folder_state(held.parent) == before


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node takes root")
def test_a_device_is_never_replaced_by_a_database(cli: Cli, tmp_path: Path) -> None:
    """`run --db /dev/null` as root replaced the system's /dev/null: here a private node of the
    same device, in tmp_path, stands for it."""
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    before = folder_state(tmp_path)
    for replace in ((), ("--replace",)):
        assert cli("run", "happy_path", "--db", device, *replace) == (2, "", not_a_file(device, "a character device"))
    assert cli("report", "--db", device) == (2, "", not_a_file(device, "a character device"))
    # The storage refuses it too, should a caller forget the check at the door.
    with pytest.raises(DatabaseError, match="a character device is there"):
        create_database(device, load_scenario("happy_path"), replace=True)
    with pytest.raises(DatabaseError, match="a character device is there"):
        write_snapshot(device, {})
    assert folder_state(tmp_path) == before
    assert stat.S_ISCHR(device.stat().st_mode) and device.stat().st_rdev == os.makedev(1, 3)


def test_run_never_replaces_a_fifo(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    before = folder_state(tmp_path)
    for replace in ((), ("--replace",)):
        assert cli("run", "happy_path", "--db", fifo, *replace) == (2, "", not_a_file(fifo, "a FIFO (named pipe)"))
    assert folder_state(tmp_path) == before


FIFO_COMMANDS = [("status", "o-1"), ("list",), ("history", "o-1"), ("audit",), ("report",), ("retry", "o-1"),
                 ("edit", "o-1", "--ship-to", "2 Oak Ave"), ("top-up", "bob", "5"), ("restock", "KB", "1"),
                 ("salvage", "--to", "{folder}/new.db"), ("status", "o-1", "--no-resume")]


def test_no_command_waits_on_a_fifo(tmp_path: Path) -> None:
    """Each command, as its own process (opening a FIFO nobody writes blocks for ever), is refused
    at once; nothing is written beside the FIFO."""
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    before = folder_state(tmp_path)
    processes = [subprocess.Popen([sys.executable, "-m", "app", *(word.format(folder=tmp_path) for word in command),
                                   "--db", str(fifo)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for command in FIFO_COMMANDS]
    answers = {}
    try:
        for command, process in zip(FIFO_COMMANDS, processes, strict=True):
            answers[command[0]] = (process.wait(timeout=60), *process.communicate())
    finally:
        for process in processes:
            process.kill()
    assert answers == {command[0]: (2, "", not_a_file(fifo, "a FIFO (named pipe)")) for command in FIFO_COMMANDS}
    assert folder_state(tmp_path) == before


def test_the_storage_refuses_a_fifo_unread(tmp_path: Path) -> None:
    """Below the CLI: opening a store on a FIFO, to write or only to read, or salvaging from one."""
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    script = ("import sys\nfrom pathlib import Path\nfrom storage.store import DocumentStore\n"
              "from storage.salvage import salvage\nfrom storage.errors import DatabaseError\n"
              "path = Path(sys.argv[1])\n"
              "for open_it in (lambda: DocumentStore(path, create=False), lambda: DocumentStore(path),\n"
              "                lambda: DocumentStore(path, read_only=True),\n"
              "                lambda: salvage(path, path.with_name('new.db'))):\n"
              "    try:\n        open_it()\n    except DatabaseError as error:\n        print(error)\n")
    run = subprocess.run([sys.executable, "-c", script, str(fifo)], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout == not_a_file(fifo, "a FIFO (named pipe)").removeprefix("ordersaga: ") * 4
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pipe.db"]


def test_a_folder_is_refused_for_what_it_is(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "folder.db"
    folder.mkdir()
    for command in (("run", "happy_path"), ("run", "happy_path", "--replace"), ("top-up", "bob", "5"),
                    ("status", "o-1")):
        assert cli(*command, "--db", folder) == (2, "", not_a_file(folder, "a folder"))
    assert list(folder.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["folder.db"]


def test_a_journal_is_never_renamed_over_a_file_that_is_no_database(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    with pytest.raises(DatabaseError, match="not an ordersaga database, so it is not replaced"):
        write_snapshot(notes, {})
    assert notes.read_text() == "my notes\n" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("args, sentence", [
    (("worker", "--id", "w" * 10_000), "The worker id must be at most 64 characters (got 10,000)."),
    (("worker", "--id", " w1"), "The worker id must not start or end with spaces (got ' w1')."),
    (("worker", "--id", "-w1"), "The worker id must not start with '-', which a command line reads as an option "
                                "(got '-w1')."),
    (("worker", "--id", "w\u200b1"), "The worker id must not contain control or invisible characters "
                                     "(got 'w\\u200b1')."),
    (("recover", "--from", ""), "The worker id must not be empty or only spaces (got '')."),
    (("recover", "--from", "  "), "The worker id must not be empty or only spaces (got '  ')."),
    (("recover", "--from", "w1\x1b[2J"), "The worker id must not contain control or invisible characters "
                                         "(got 'w1\\x1b[2J')."),
    (("recover", "--from", "-w1"), "The worker id must not start with '-', which a command line reads as an "
                                   "option (got '-w1')."),
])
def test_a_worker_id_is_one_rule_for_worker_and_recover(cli: Cli, tmp_path: Path, args: tuple[str, ...],
                                                        sentence: str) -> None:
    """Checked before the database is looked at (the PostgreSQL runtime checks it again)."""
    db = tmp_path / "none.db"
    assert cli(*args, "--db", db) == (2, "", f"ordersaga: {sentence}\n")
    assert not db.exists()


def test_salvage_makes_no_folders(cli: Cli, held: Path, tmp_path: Path) -> None:
    target = tmp_path / "not" / "there" / "new.db"
    assert cli("salvage", "--db", held, "--to", target) == (
        2, "", f"ordersaga: {target}: the folder {tmp_path / 'not' / 'there'} does not exist, and salvage makes "
               "no folders; name a path in an existing folder with --to.\n")
    assert not (tmp_path / "not").exists()


def test_salvage_never_writes_over_a_fifo(cli: Cli, held: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    assert cli("salvage", "--db", held, "--to", fifo) == (2, "", not_a_file(fifo, "a FIFO (named pipe)"))
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_scenario_number_of_thousands_of_digits_is_one_sentence(cli: Cli, tmp_path: Path) -> None:
    scenario = tmp_path / "digits.toml"
    scenario.write_text(f'name = "d"\n[stock]\nKB = {"9" * 5000}\n')
    assert cli("run", scenario, "--db", tmp_path / "s.db") == (
        2, "", f"ordersaga: {scenario}: a number in it has thousands of digits, more than any value in a "
               "scenario may have\n")


@pytest.mark.parametrize("option, text, sentence", [
    ("--takeover-after", "soon", "--takeover-after must be a number of seconds from 1 to 86400 (got 'soon')."),
    ("--takeover-after", "0.5", "--takeover-after must be a number of seconds from 1 to 86400 (got '0.5')."),
    ("--takeover-after", "nan", "--takeover-after must be a number of seconds from 1 to 86400 (got 'nan')."),
    ("--grace", "-1", "--grace must be a number of seconds from 0 to 3600 (got '-1')."),
])
def test_a_workers_seconds_are_refused_in_one_sentence_before_anything_starts(cli: Cli, option: str, text: str,
                                                                              sentence: str) -> None:
    status, out, err = cli("worker", "--db", "postgresql://nobody@127.0.0.1:1/none", "--id", "w1", option, text)
    assert (status, out, err) == (2, "", f"ordersaga: {sentence}\n")
