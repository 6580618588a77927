"""Prefect's API for one `reconcile run`: a server the user configured, else a temporary one
started at the command's first instant (issue 13).

Prefect starts its own temporary server (``SubprocessASGIServer``) only when the flow makes its
first client: after our imports and checks, and importing that class costs ~1.5 s in the calling
process. Written by hand because Prefect has no way to start it earlier: this runs the same
uvicorn command Prefect runs, at once, so its ~2.5 s start-up overlaps our imports and the inbox
checks on the machine's other core. It runs in a session of its own, so a Ctrl-C in the terminal
reaches the run and not the API the run reports its failure to.

This module imports nothing heavy: it is imported before pandas and Prefect.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PORT_IN_USE = 3   # uvicorn's exit status when the port was taken between our check and its bind


class TemporaryAPI:
    """A Prefect API server process for the length of one command.

    ``started``/``ready`` are ``time.perf_counter()`` instants (seconds), for the bench's split.
    """

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.started = 0.0
        self.ready = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> "TemporaryAPI":
        self.port = _free_port()
        server_dir = Path(importlib.util.find_spec("prefect").origin).parent.parent
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
               # The run uses no blocks: registering every installed collection's block types at
               # start-up (importing prefect-dask, dask and distributed) costs ~0.4 s.
               "PREFECT_API_BLOCKS_REGISTER_ON_START": "false", "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false"}
        env.pop("PREFECT_API_URL", None)
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(server_dir), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "error", "--lifespan", "on"],
            env=env, stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with(os.getpid()))
        atexit.register(self.stop)
        return self

    def wait(self, timeout: float) -> str:
        """Block until the server answers ``/health``; return its API URL.

        Raises ``RuntimeError`` when it exits or does not answer within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            if code == PORT_IN_USE:
                self.stop()
                self.start()
                continue
            if code is not None:
                raise RuntimeError(f"Prefect's temporary API server exited with status {code}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        self.ready = self.ready or time.perf_counter()
                        return self.url
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Prefect's temporary API server did not answer within {timeout:.0f} s")
            time.sleep(0.05)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _die_with(parent: int):
    """In the child before exec: on Linux, SIGTERM when the command dies, even by SIGKILL, so a
    killed run never leaves its temporary API behind (it is in a session of its own)."""
    if not sys.platform.startswith("linux"):
        return None

    def arrange() -> None:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent:   # the command died before the line above
            os.kill(os.getpid(), signal.SIGTERM)
    return arrange


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_early() -> TemporaryAPI | None:
    """Start a temporary API unless ``$PREFECT_API_URL`` names a server (then Prefect uses it)."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    return TemporaryAPI().start()


@contextlib.contextmanager
def connected(api: TemporaryAPI | None, timeout: float):
    """Prefect settings for the flow run: the server configured in Prefect's settings (environment,
    profile, prefect.toml) if any, else ``api`` once it answers. On leaving, the log and event
    workers are drained while the server still listens, then the temporary server stops."""
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, PREFECT_UI_URL, temporary_settings

    if PREFECT_API_URL.value() or api is None:
        if api is not None:
            api.stop()
        yield None
        return
    url = api.wait(timeout)
    try:
        # No UI is served and the server ends with the command: no "View at <link>" to a dead page,
        # and no heartbeats nobody can watch (Prefect's heartbeat thread sleeps in whole seconds:
        # stopping it cost ~1 s per run).
        with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_UI_URL: "",
                                         PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            try:
                yield url
            finally:
                _drain()
    finally:
        api.stop()


def _drain() -> None:
    """What Prefect's own test harness does before stopping its server: send the logs and events
    still queued, so none is lost and no 'connection refused' is printed at exit."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    with contextlib.suppress(Exception):
        APILogWorker.drain_all(timeout=5)
    with contextlib.suppress(Exception):
        EventsWorker.drain_all(timeout=5)
