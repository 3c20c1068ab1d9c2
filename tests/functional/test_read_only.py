"""Reading without writing: status, history, list, audit and report --no-resume read a database
that is read-only (its file, its folder, or the whole mount) or that another process holds,
as last stored: without its lock, without resuming orders in flight, and without changing a byte."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest

from bench.mixed_scenario import mixed_world, to_toml
from storage.store import DocumentStore

Cli = Callable[..., tuple[int, str, str]]
Results = list[tuple[int, str, str]]
ROOT = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "app"]
READING = [("list",), ("status", "o-1"), ("history", "o-1"), ("audit",), ("report", "--no-resume")]
WRITING = [("report",), ("retry", "o-1")]

# Runs `ordersaga ARGS` for each ARGS in one interpreter, so a case pays for one start-up;
# anything main() does not turn into a message escapes as a traceback and fails the run.
RUN_EACH = """
import contextlib, io, json, sys
from app.cli import main
results = []
for args in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(args)
    results.append((status, out.getvalue(), err.getvalue()))
print(json.dumps(results))
"""

# The other process: an engine that resumes the database, reports it once settled, and
# keeps it open (its lock held) until its stdin closes.
HOLD = """
import json, sys
from actors import Engine
from app.report import build_report
with Engine.open(sys.argv[1]) as engine:
    engine.wait_until_settled(timeout_s=60)
    print(json.dumps(build_report(engine.snapshot())), flush=True)
    sys.stdin.read()
"""

# Root's capabilities override permission bits. In a new user namespace (no uid mapped)
# root's files belong to a user the namespace does not know, so its capabilities there do
# not apply to them and the kernel checks their bits as for any owner: 0444 binds.
UNDER_PERMISSIONS = ["unshare", "--user"] if os.geteuid() == 0 else []
# A read-only bind mount of the folder refuses writes with EROFS, to root as well.
ON_READ_ONLY_MOUNT = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                      'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"',
                      "sh"]


@cache
def _unavailable(prefix: tuple[str, ...]) -> str:
    """Why commands cannot run under prefix on this machine ('' when they can): user
    namespaces may be turned off, or unshare missing."""
    if not prefix:
        return ""
    try:
        done = subprocess.run([*prefix, "true"], capture_output=True, text=True, timeout=30)
    except OSError as error:
        return str(error)
    return (done.stderr.strip() or f"exit status {done.returncode}") if done.returncode else ""


def _run_each(commands: list[tuple[str, ...]], db: Path, prefix: list[str]) -> Results:
    reason = _unavailable(tuple(prefix))
    if reason:
        pytest.skip(f"cannot run as this test needs ({' '.join(prefix[:4])}): {reason}")
    argv = json.dumps([[*command, "--db", str(db)] for command in commands])
    done = subprocess.run([*prefix, sys.executable, "-c", RUN_EACH, argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [tuple(result) for result in json.loads(done.stdout)]  # type: ignore[misc]


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A database with o-1 in flight: the run was killed as o-1's payment arrived."""
    db = tmp_path_factory.mktemp("crashed") / "s.db"
    run = subprocess.run([*COMMAND, "run", "crash_recovery", "--db", str(db)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == -signal.SIGKILL, run.stderr
    return db.read_bytes()


@pytest.fixture
def db(crashed: bytes, tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "backup"
    folder.mkdir()
    path = folder / "s.db"
    path.write_bytes(crashed)
    yield path
    folder.chmod(0o755)  # so pytest can remove it


def _state(db: Path) -> tuple[bytes, int, list[str]]:
    """What a write would change: the file's bytes and mtime, and the folder's names."""
    return db.read_bytes(), db.stat().st_mtime_ns, sorted(os.listdir(db.parent))


def _no_resume(command: tuple[str, ...]) -> tuple[str, ...]:
    return command if "--no-resume" in command else (*command, "--no-resume")


def _notice(db: Path, why: str) -> str:
    return f"ordersaga: {db}: {why}, so 1 order in flight is shown as last stored, not resumed: o-1.\n"


def test_no_resume_shows_the_orders_in_flight_as_stored(cli: Cli, db: Path) -> None:
    before = _state(db)
    results = [cli(*_no_resume(command), "--db", db) for command in READING]
    assert _state(db) == before
    assert [err for _, _, err in results] == [_notice(db, "read with --no-resume")] * len(READING)
    assert [status for status, _, _ in results] == [0] * len(READING)
    listed, status, history, audited, report = (out for _, out, _ in results)
    assert "o-1" in listed and "running      attempts 1  at payment" in listed
    assert "payment    running  <- now" in status
    assert history.startswith("Order o-1: 3 events") and "payment    execute    started" in history
    assert audited == "1 order audited (1 in flight, checked for saga order only), 0 findings\n"
    assert "Orders: 1 (1 running)" in report and "Stock: PRINTER 1 available, 1 reserved" in report
    # Without the flag, the same database is resumed: o-1 finishes.
    assert "completed" in cli("status", "o-1", "--db", db)[1]


def test_the_audit_json_names_the_orders_left_in_flight(cli: Cli, db: Path) -> None:
    status, out, _ = cli("audit", "--no-resume", "--json", "--db", db)
    assert (status, json.loads(out)) == (0, {"orders_audited": 1, "in_flight": ["o-1"], "findings": []})
    status, out, _ = cli("audit", "--json", "--db", db)
    assert (status, json.loads(out)) == (0, {"orders_audited": 1, "in_flight": [], "findings": []})


@pytest.mark.parametrize("made_read_only", ["file 0444", "folder 0555", "read-only mount"])
def test_a_read_only_database_is_read_and_left_untouched(cli: Cli, db: Path, made_read_only: str) -> None:
    expected = [cli(*_no_resume(command), "--db", db) for command in READING]
    prefix = UNDER_PERMISSIONS
    if made_read_only == "file 0444":
        db.chmod(0o444)
    elif made_read_only == "folder 0555":
        db.parent.chmod(0o555)
    else:
        prefix = [*ON_READ_ONLY_MOUNT, str(db.parent)]
    before = _state(db)
    results = _run_each([*READING, *WRITING], db, prefix)
    assert _state(db) == before

    read_only = _notice(db, "the database is read-only")
    assert results[:len(READING)] == [
        (status, out, read_only if command[0] != "report" else err)
        for (status, out, err), command in zip(expected, READING, strict=True)]
    what = "its folder" if made_read_only != "file 0444" else "its file"
    refusal = (f"ordersaga: {db}: the database is read-only (this process cannot write {what}); "
               "`ordersaga report --no-resume` and the other commands that only read it still work.\n")
    assert results[len(READING):] == [(2, "", refusal)] * len(WRITING)


def test_a_database_another_process_holds_is_read_as_it_shows_it(cli: Cli, db: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert holder.stdout is not None
        shown = json.loads(holder.stdout.readline() or "null")
        assert shown is not None, holder.communicate(timeout=60)[1]
        before = _state(db)
        results = {command[0]: cli(*command, "--db", db) for command in READING}
        listed = cli("list", "--json", "--db", db)
        reported = cli("report", "--no-resume", "--json", "--db", db)
        assert _state(db) == before
        assert cli("report", "--db", db)[0] == 2  # resuming it needs the lock
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
    assert holder.returncode == 0
    assert {name: (status, err) for name, (status, _, err) in results.items()} == {
        name: (0, "") for name in results}  # the holder settled o-1: nothing is left in flight
    assert json.loads(listed[1]) == shown["orders"]
    assert json.loads(reported[1]) == shown
    assert "Order o-1 (judy, $159.00): completed, attempt 1" in results["status"][1]
    assert results["audit"][1] == "1 order audited, 0 findings\n"


def test_a_database_held_with_orders_in_flight_says_they_were_not_resumed(cli: Cli, db: Path) -> None:
    holder = DocumentStore(db, create=False)  # another process, as far as the lock can tell
    try:
        before = _state(db)
        results = [cli(*command, "--db", db) for command in READING[:-1]]
    finally:
        holder.close()
    assert _state(db) == before
    held = _notice(db, "another ordersaga process has the database open")
    assert [(status, err) for status, _, err in results] == [(0, held)] * len(results)
    assert "payment    running  <- now" in results[1][1]




def test_a_reader_racing_a_writer_sees_whole_states_only(cli: Cli, tmp_path: Path) -> None:
    """Reads while 200 orders run in another process: every one succeeds (a line still being
    written is not damage), and the last shows what the writer reported."""
    db, scenario = tmp_path / "mixed.db", tmp_path / "mixed.toml"
    # mixed_200 with services slow enough that the run, not the CPU, sets its length: over a
    # third of a second on any machine, while a read takes a fraction of that.
    scenario.write_text(to_toml(mixed_world(200, latency_ms={"inventory": 20, "payment": 40, "shipping": 30})))
    with open(tmp_path / "written.json", "w+") as written:
        writer = subprocess.Popen([*COMMAND, "run", str(scenario), "--db", str(db), "--json"], cwd=ROOT,
                                  stdout=written, stderr=subprocess.STDOUT)
        while not db.exists() and writer.poll() is None:
            time.sleep(0.005)  # it is created in one step: until then there is nothing to read
        reads = 0
        while writer.poll() is None:
            status, out, err = cli("list", "--no-resume", "--json", "--db", db)
            assert (status, err.count("\n")) == (0, err.count(" not resumed: ")), err
            assert len(json.loads(out)) == 200
            reads += 1
        written.seek(0)
        assert writer.returncode == 0, written.read()
        assert reads > 0, "the writer finished before the first read"
        by_id = {order["id"]: order for order in json.loads(cli("list", "--no-resume", "--json", "--db", db)[1])}
        assert by_id == {order["id"]: order for order in json.load(written)["orders"]}
