"""`watcher daemon` as a real subprocess against a local server, with intervals of seconds."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Project, source_entry
from tests.documents import policy_html
from tests.receiver import Receiver
from tests.server import DocServer
from tests.test_alerts import webhook_channel
from tests.test_outcome3 import V1
from watcher.lock import DataLock

FAST = """
[fetch]
delay_per_host = "0s"
retries = 0
connect_timeout = "2s"
read_timeout = "2s"
total_timeout = "5s"

[daemon]
startup_spread = "1s"
deliver_every = "1s"
reevaluate_every = "5s"
jitter = 0
stop_timeout = "5s"
"""


class Daemon:
    """`watcher daemon --log-format json` in a subprocess, its log in a file."""

    def __init__(self, project: Project, *options: str) -> None:
        self.project = project
        self.log_path = project.root / f"daemon-{time.monotonic_ns()}.log"
        self.log_file = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "watcher", "--config", str(project.config), "daemon",
             "--log-format", "json", *options], stdout=subprocess.DEVNULL, stderr=self.log_file)

    def events(self, kind: str | None = None) -> list[dict]:
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        records = [json.loads(line) for line in lines if line.startswith("{")]
        return [r for r in records if kind is None or r.get("event") == kind]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            assert self.process.poll() is None, self.log_path.read_text()
            time.sleep(0.05)
        raise AssertionError(f"timed out; daemon log:\n{self.log_path.read_text()}")

    def checks(self, source_id: str) -> int:
        return sum(1 for e in self.events("check") if e["source"] == source_id)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        self.log_file.close()
        return code


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait()
        daemon.log_file.close()


def start(project: Project, daemons: list[Daemon], *options: str) -> Daemon:
    daemon = Daemon(project, *options)
    daemons.append(daemon)
    return daemon


def two_sources(server: DocServer, interval: str = "1s") -> str:
    server.set("/a", policy_html(V1, noise="a"))
    server.set("/b", policy_html(V1[:6], noise="b"))
    return (source_entry("lab-a", server.url("/a"), interval=interval, allow_private=True)
            + source_entry("lab-b", server.url("/b"), interval=interval, allow_private=True))


def test_sources_are_checked_on_their_schedule_with_one_log_line_each(
        server: DocServer, project: Project, daemons: list[Daemon]) -> None:
    project.write_config(two_sources(server), extra=FAST)
    daemon = start(project, daemons)

    daemon.wait_for(lambda: daemon.checks("lab-a") >= 3 and daemon.checks("lab-b") >= 3)
    code = daemon.stop()

    assert code == 0
    checks = [e for e in daemon.events("check") if e["source"] == "lab-a"]
    assert checks[0]["outcome"] == "new_version" and checks[0]["change"] == "first_seen"
    assert all(e["status"] == "ok" and e["duration_s"] >= 0 for e in checks)
    assert {"time", "level", "message"} <= set(checks[0]) and checks[0]["message"].startswith("check lab-a ok")
    starts = [t for t, path in server.started if path == "/a"]
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(0.7 < gap < 2.5 for gap in gaps[:3]), gaps  # every second, not all at once nor piled up
    assert daemon.events("stopped")


def test_a_second_daemon_and_a_manual_check_are_refused_naming_the_pid(
        server: DocServer, project: Project, daemons: list[Daemon]) -> None:
    project.write_config(two_sources(server, "1h"), extra=FAST)
    daemon = start(project, daemons)
    daemon.wait_for(lambda: daemon.checks("lab-a") >= 1)

    second = subprocess.run([sys.executable, "-m", "watcher", "--config", str(project.config), "daemon"],
                            capture_output=True, text=True, timeout=30)
    manual = project.run("check")

    assert second.returncode == 1
    assert f"pid {daemon.process.pid}" in second.stderr and "already running" in second.stderr
    assert manual.exit_code == 1 and f"watcher daemon (pid {daemon.process.pid}) is running" in manual.output
    status = project.run("status")
    assert f"daemon: running (pid {daemon.process.pid})" in status.output
    assert "lab-a" in status.output and "first_seen" in status.output
    [row] = [r for r in json.loads(project.run("status", "--json").stdout)["sources"] if r["id"] == "lab-a"]
    assert row["next_run_at"] > row["last_check_at"]  # an hour later
    assert daemon.stop() == 0
    assert project.run("check").exit_code == 0  # the lock went with the daemon


def test_sighup_reloads_and_a_broken_file_keeps_the_running_configuration(
        server: DocServer, project: Project, daemons: list[Daemon]) -> None:
    sources = two_sources(server)
    project.write_config(sources, extra=FAST)
    daemon = start(project, daemons)
    daemon.wait_for(lambda: daemon.checks("lab-a") >= 1)

    server.set("/c", policy_html(V1[:4], noise="c"))
    project.write_config(sources + source_entry("lab-c", server.url("/c"), interval="1s", allow_private=True),
                         extra=FAST)
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_for(lambda: daemon.checks("lab-c") >= 1)

    project.config.write_text(project.config.read_text() + "\n[[source]\nbroken", encoding="utf-8")
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_for(lambda: bool(daemon.events("reload_refused")))
    before = daemon.checks("lab-c")
    daemon.wait_for(lambda: daemon.checks("lab-c") >= before + 2)  # still running the previous configuration

    [refused] = daemon.events("reload_refused")
    assert "sources.toml" in refused["error"] and "invalid TOML" in refused["error"]
    assert daemon.stop() == 0


def test_sigterm_lets_an_in_flight_check_finish(server: DocServer, project: Project,
                                                daemons: list[Daemon]) -> None:
    server.set("/slow", policy_html(V1, noise="s"), delay=1.5)
    project.write_config(source_entry("lab-slow", server.url("/slow"), interval="1h", allow_private=True),
                         extra=FAST)
    daemon = start(project, daemons)
    daemon.wait_for(lambda: server.hits("/slow") >= 1)

    code = daemon.stop(signal.SIGTERM)

    assert code == 0
    assert [e["outcome"] for e in daemon.events("check")] == ["new_version"]
    assert [e["in_flight"] for e in daemon.events("stopping")] == [1]
    assert [c["kind"] for c in project.changes()] == ["first_seen"]


def test_one_host_stays_polite_across_all_jobs(server: DocServer, project: Project,
                                               daemons: list[Daemon]) -> None:
    polite = FAST.replace('delay_per_host = "0s"', 'delay_per_host = "0.5s"\nconcurrency_per_host = 1')
    project.write_config(two_sources(server), extra=polite)
    daemon = start(project, daemons)
    daemon.wait_for(lambda: len(server.started) >= 6)
    daemon.stop()

    starts = sorted(t for t, _ in server.started)
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 0.45  # two jobs, one host, spaced


def _changing_documents(server: DocServer, stop: threading.Event) -> None:
    """Every 0.3 s one of the documents gets a new sentence (the 'publisher' at work)."""
    version = 0
    while not stop.is_set():
        version += 1
        path = random.choice(["/a", "/b"])
        server.set(path, policy_html(V1 + [f"Revision {version}: we will publish results within {version} days."],
                                     noise=str(version)))
        time.sleep(0.3)


def test_kill_9_at_arbitrary_points_loses_and_doubles_nothing(
        server: DocServer, project: Project, daemons: list[Daemon], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "secret")
    receiver = Receiver()
    kills = 6
    try:
        project.write_config(two_sources(server, "0.2s") + webhook_channel(receiver.url, min_severity="info"),
                             extra=FAST)
        stop_publishing = threading.Event()
        publisher = threading.Thread(target=_changing_documents, args=(server, stop_publishing), daemon=True)
        publisher.start()
        rng = random.Random(1)
        for _ in range(kills):
            daemon = start(project, daemons)
            daemon.wait_for(lambda d=daemon: bool(d.events("started")))
            time.sleep(rng.uniform(0.2, 1.5))
            daemon.process.send_signal(signal.SIGKILL)
            daemon.process.wait()
        stop_publishing.set()
        publisher.join()
        final = start(project, daemons)
        final.wait_for(lambda: _all_alerted(project) and len(receiver.accepted()) >= _change_count(project))
        time.sleep(1.5)  # a few more quiet cycles
        assert final.stop() == 0
        _assert_consistent(project, receiver, kills)
    finally:
        receiver.close()


def _db(project: Project) -> sqlite3.Connection:
    return sqlite3.connect(project.root / "watcher.db")


def _change_count(project: Project) -> int:
    with _db(project) as db:
        return db.execute("SELECT COUNT(*) FROM changes").fetchone()[0]


def _all_alerted(project: Project) -> bool:
    with _db(project) as db:
        return db.execute("SELECT COUNT(*) FROM changes WHERE alerted_at IS NULL").fetchone()[0] == 0


def _assert_consistent(project: Project, receiver: Receiver, kills: int) -> None:
    with _db(project) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        for source_id in ("lab-a", "lab-b"):
            texts = [r[0] for r in db.execute(
                "SELECT text_sha256 FROM versions WHERE source_id = ? ORDER BY number", [source_id])]
            assert len(texts) >= 2
            assert all(a != b for a, b in zip(texts, texts[1:], strict=False)), "a version stored twice"
        change_keys = {f"change:{r[0]}" for r in db.execute("SELECT id FROM changes")}
        undelivered = db.execute("SELECT COUNT(*) FROM deliveries WHERE status != 'delivered'").fetchone()[0]
    received = Counter(r.json()["delivery_id"] for r in receiver.accepted())
    keys = {r.json()["key"] for r in receiver.accepted()}
    assert change_keys <= keys, "an alert was lost"
    assert undelivered == 0
    repeats = sum(count - 1 for count in received.values())
    assert repeats <= kills, f"{repeats} repeated deliveries for {kills} kills"
    assert all(count <= 2 for count in received.values())
    assert not any(p.name.startswith(".tmp-") for p in Path(project.root, "alerts").iterdir())
    assert os.path.exists(project.root / "watcher.lock")


def test_a_manual_check_waits_for_another_one(server: DocServer, project: Project) -> None:
    project.write_config(two_sources(server, "1h"), extra=FAST)
    other = DataLock(project.root, "check")
    other.acquire()  # another `watcher check` is writing
    threading.Timer(1.0, other.release).start()
    started = time.monotonic()

    result = project.run("check")

    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 0.9
    assert f"waiting for `watcher check` (pid {os.getpid()}) to finish" in result.output
    status = project.run("status")
    assert status.output.startswith("daemon: not running")


def test_daemon_web_serves_the_ui_from_the_same_process(server: DocServer, project: Project,
                                                        daemons: list[Daemon]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    project.write_config(two_sources(server, "1h"), extra=FAST)
    daemon = start(project, daemons, "--web", "--port", str(port))
    daemon.wait_for(lambda: daemon.checks("lab-a") >= 1 and bool(daemon.events("web")))

    def get(path: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)

    daemon.wait_for(lambda: _answers(get))
    overview = get("/")
    assert overview.status_code == 200 and "lab-a" in overview.text
    [change] = [c for c in project.changes() if c["source"] == "lab-a"]
    assert get(f"/changes/{change['id']}").status_code == 200
    assert daemon.stop() == 0
    with pytest.raises(httpx.ConnectError):
        get("/")


def _answers(get: Callable[[str], httpx.Response]) -> bool:
    try:
        return get("/").status_code == 200
    except httpx.HTTPError:
        return False
