"""A real Neo4j 5.26 Community server for development and CI, without Docker.

Neo4j Community is published on Maven Central as plain jars.  ``tools/neo4j``
holds a tiny Maven project whose ``DevServer`` class embeds it and switches on
the Bolt connector, so the Python driver talks to it exactly as it would to a
packaged server: same storage engine, transaction log and crash recovery.  It
also runs APOC core (from a plugins directory, as a packaged server does) and
the HTTP connector, which serves Neo4j Browser at ``/browser/``.

This module builds that project when needed, launches the JVM in its own
process group, waits until Bolt answers a real ``RETURN 1``, and stops or
kills it.  Authentication is disabled (any credentials work) and Bolt and HTTP
listen on 127.0.0.1 only.

In tests::

    with DevNeo4j(home=tmp_path / "neo4j") as neo:
        driver = GraphDatabase.driver(neo.uri, auth=("neo4j", "any"))

From a shell::

    python -m tools.neo4j.neo4j_dev start [--port 7687] [--http-port 7474] [--home .milcoop/neo4j-dev]
    python -m tools.neo4j.neo4j_dev status
    python -m tools.neo4j.neo4j_dev stop
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import neo4j
import neo4j.exceptions

from milcoop.graph.neo4j.offline import ADMIN_ARGUMENTS_FILE
from milcoop.graph.neo4j.procedures import SERVER_ALLOWLIST, SERVER_UNRESTRICTED

__all__ = [
    "JVM_FLAGS",
    "DevNeo4j",
    "Neo4jBuildError",
    "Neo4jDevError",
    "Neo4jStartError",
    "free_port",
    "main",
]

#: The repository root: this file lives in ``<root>/milcoop/``.
REPO_ROOT = Path(__file__).resolve().parent.parent.parent

#: The Maven project; ``MILCOOP_NEO4J_TOOL_DIR`` overrides it for the case
#: where ``milcoop`` is installed as a package outside the work tree.
DEFAULT_TOOL_DIR = Path(os.environ.get("MILCOOP_NEO4J_TOOL_DIR", REPO_ROOT / "tools" / "neo4j"))

MAIN_CLASS = "org.milcoop.neo4j.DevServer"

#: neo4j-admin's entry point, on the same class path as the server (org.neo4j:neo4j-command-line).
ADMIN_CLASS = "org.neo4j.cli.AdminTool"


#: Printed by DevServer once Bolt is bound (see DevServer.READY_PREFIX).
READY_MARKER = "milcoop-neo4j: bolt ready on "

#: Name of the pid file written into the home directory.
PID_FILE_NAME = "neo4j-dev.pid"

#: Name of the JVM's stdout/stderr log in the home directory (Neo4j's own
#: ``debug.log`` is under ``<home>/logs/``).
LOG_FILE_NAME = "neo4j-dev.log"

DEFAULT_PORT = 7687
#: Neo4j's own default HTTP port: Neo4j Browser is then at http://127.0.0.1:7474/browser/.
DEFAULT_HTTP_PORT = 7474
DEFAULT_HOME = Path(".milcoop/neo4j-dev")
DEFAULT_HEAP = "768m"
DEFAULT_PAGECACHE = "256m"

#: JVM flags beyond -Xms/-Xmx.  They follow the ``server.jvm.additional``
#: lines of Neo4j 5's stock neo4j.conf, minus the ones that only matter for
#: production diagnostics (JFR stack depth, DebugNonSafepoints) or cost
#: start-up time and resident memory on a small CI box (AlwaysPreTouch).
JVM_FLAGS: tuple[str, ...] = (
    # Neo4j is tuned for G1; also the JDK default, but be explicit since the
    # JVM silently picks SerialGC on a machine it deems "small".
    "-XX:+UseG1GC",
    # Keep full stack traces for hot exceptions: dev logs are for reading.
    "-XX:-OmitStackTraceInFastThrow",
    # Lets the JIT trust final fields; Neo4j's kernel relies on it for speed.
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    # Stray System.gc() calls (e.g. from libraries) must not stall queries.
    "-XX:+DisableExplicitGC",
    # Bound the JDK's per-thread cache of temporary direct buffers.
    "-Djdk.nio.maxCachedBufferSize=1024",
    # Netty (Bolt) wants reflective access to direct buffers and cleaners.
    "-Dio.netty.tryReflectionSetAccessible=true",
    # Neo4j's page cache and Netty poke into JDK internals; on Java 17 these
    # otherwise fail (or fall back to slower paths) under strong encapsulation.
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    # Native (e.g. io_uring / memory) access without a warning on newer JDKs.
    "--enable-native-access=ALL-UNNAMED",
    # No JMX MBeans for log4j: nothing reads them, and they cost start-up.
    "-Dlog4j2.disable.jmx=true",
    # A heap-exhausted server that limps on makes tests hang; die loudly
    # instead, so start()/is_running() notice and the log says why.
    "-XX:+ExitOnOutOfMemoryError",
)

#: Bolt ignores credentials while auth is disabled, but the driver still
#: needs *some* auth token to send.
_ANY_AUTH = ("neo4j", "milcoop-dev")

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Neo4jDevError(RuntimeError):
    """Base class for errors of the development server helper."""


class Neo4jBuildError(Neo4jDevError):
    """The Maven build of ``tools/neo4j`` failed; the message holds its output."""


class Neo4jStartError(Neo4jDevError):
    """The server died or did not answer in time; the message holds the log tail."""


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that is free right now.

    The OS picks it (bind to port 0).  Another process could grab it before
    Neo4j binds; start() then fails with a clear "address in use" in the log,
    which is rare enough for tests.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something already accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _tail(path: Path, lines: int = 60) -> str:
    """Return the last ``lines`` lines of a text file, or why it is unreadable."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read()
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` names a live (not zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        # Exists, but belongs to someone else: certainly not our server.
        return True
    # A zombie still answers kill(0); in a container whose PID 1 does not
    # reap, a stopped detached server would look alive forever.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    # The state letter follows the parenthesised command name.
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _cmdline(pid: int) -> str:
    """Return the command line of ``pid``, arguments joined by spaces."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        pass
    # No /proc (e.g. macOS): ask ps.
    result = subprocess.run(
        ["ps", "-o", "command=", "-p", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip()


def _bolt_answers(uri: str, timeout: float = 5.0) -> bool:
    """Whether a Bolt server at ``uri`` runs ``RETURN 1`` successfully.

    A plain session is used rather than ``execute_query``: the latter retries
    "service unavailable" for up to 30 s, which would swamp our own polling.
    """
    try:
        with (
            neo4j.GraphDatabase.driver(
                uri,
                auth=_ANY_AUTH,
                connection_timeout=timeout,
                connection_acquisition_timeout=timeout,
            ) as driver,
            driver.session() as session,
        ):
            record = session.run("RETURN 1 AS ok").single(strict=True)
            return bool(record["ok"] == 1)
    except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError):
        return False


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing).

    Parallel test workers may all call build() at once; concurrent Maven runs
    writing the same target/ directory corrupt each other.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class DevNeo4j:
    """One development Neo4j server: a JVM running ``DevServer`` on a home dir.

    ``home`` holds Neo4j's ``data/`` and ``logs/``, plus the JVM's stdout log
    and, while running, a pid file.  Reusing a home dir after stop() or kill()
    reopens the same databases; after kill() Neo4j runs crash recovery from
    its transaction log, so every transaction committed before the kill is
    there and nothing uncommitted is.
    """

    def __init__(
        self,
        home: str | os.PathLike[str] = DEFAULT_HOME,
        port: int | None = None,
        *,
        http_port: int | None = None,
        heap: str = DEFAULT_HEAP,
        pagecache: str = DEFAULT_PAGECACHE,
        log_file: str | os.PathLike[str] | None = None,
        tool_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        """Describe a server; nothing starts until start().

        ``port`` None picks a free port now (handy for parallel tests); so
        does ``http_port``, the HTTP connector's port (Neo4j Browser).
        ``heap`` is used for both -Xms and -Xmx; ``pagecache`` is Neo4j's
        off-heap page cache.  Both take JVM-style sizes such as ``512m``.
        """
        self.home = Path(home).absolute()
        self.port = free_port() if port is None else port
        self.http_port = free_port() if http_port is None else http_port
        self.heap = heap
        self.pagecache = pagecache
        self.log_file = Path(log_file).absolute() if log_file is not None else self.home / LOG_FILE_NAME
        self.tool_dir = Path(tool_dir).absolute() if tool_dir is not None else DEFAULT_TOOL_DIR
        self._proc: subprocess.Popen[bytes] | None = None
        # Set when we manage a server started by another process (CLI stop).
        self._foreign_pid: int | None = None
        #: Seconds the last start() took from launch to a successful RETURN 1.
        self.start_seconds: float | None = None

    # -- paths -----------------------------------------------------------

    @property
    def uri(self) -> str:
        """The Bolt URI of this server."""
        return f"bolt://127.0.0.1:{self.port}"

    @property
    def http_uri(self) -> str:
        """The base URL of the HTTP connector; Neo4j Browser is at ``<http_uri>/browser/``."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def pid_file(self) -> Path:
        """Where the running server's pid (and port) is recorded."""
        return self.home / PID_FILE_NAME

    @property
    def debug_log(self) -> Path:
        """Neo4j's own log, more detailed than the JVM output in log_file."""
        return self.home / "logs" / "debug.log"

    @property
    def _classpath_file(self) -> Path:
        return self.tool_dir / "target" / "classpath.txt"

    @property
    def _classes_dir(self) -> Path:
        return self.tool_dir / "target" / "classes"

    @property
    def plugins_dir(self) -> Path:
        """The plugin jars (APOC core) the build copies for Neo4j to load procedures from."""
        return self.tool_dir / "target" / "plugins"

    @property
    def pid(self) -> int | None:
        """The server JVM's pid, or None if not started (or already reaped)."""
        if self._proc is not None:
            return self._proc.pid if self._proc.poll() is None else None
        return self._foreign_pid

    # -- build -----------------------------------------------------------

    @property
    def _build_stamp(self) -> Path:
        return self.tool_dir / "target" / ".milcoop-build-stamp"

    def _build_outputs_exist(self) -> bool:
        """Whether target/ holds the classpath file, the class, the plugins and every jar."""
        main_class = self._classes_dir / "org" / "milcoop" / "neo4j" / "DevServer.class"
        if not (self._classpath_file.is_file() and main_class.is_file()):
            return False
        if not any(self.plugins_dir.glob("apoc-core-*.jar")):
            return False
        # target/ may outlive ~/.m2 (a cleaned cache); a missing jar would
        # otherwise surface as a baffling NoClassDefFoundError at start.
        return all(Path(jar).exists() for jar in self._read_classpath())

    def _build_is_fresh(self) -> bool:
        """Whether the last successful build is newer than the pom and sources.

        A stamp written after each successful build is compared, not the
        outputs themselves: Maven leaves an unchanged classpath.txt (and
        up-to-date classes) untouched, so their mtimes can stay older than an
        edited input forever and would trigger a rebuild on every start.
        """
        if not (self._build_stamp.is_file() and self._build_outputs_exist()):
            return False
        inputs = [self.tool_dir / "pom.xml", *(self.tool_dir / "src").rglob("*.java")]
        newest_input = max(p.stat().st_mtime for p in inputs)
        return self._build_stamp.stat().st_mtime >= newest_input

    def _read_classpath(self) -> list[str]:
        return [p for p in self._classpath_file.read_text().strip().split(os.pathsep) if p]

    def build(self, *, force: bool = False) -> None:
        """Compile DevServer and resolve Neo4j's jars with Maven, if stale.

        The first run downloads about 140 MB of jars into ~/.m2 (about 30 s on
        a CI machine); later runs are a few mtime checks.
        """
        if not (self.tool_dir / "pom.xml").is_file():
            raise Neo4jBuildError(f"no Maven project at {self.tool_dir} (set MILCOOP_NEO4J_TOOL_DIR?)")
        with _file_lock(self.tool_dir / "target" / ".build.lock"):
            # Checked under the lock: another worker may just have built it.
            if not force and self._build_is_fresh():
                return
            mvn = shutil.which("mvn")
            if mvn is None:
                raise Neo4jBuildError("Maven (mvn) not found on PATH; install it (apt-get install maven)")
            cmd = [
                mvn,
                "-q",
                "-B",
                "-f",
                str(self.tool_dir / "pom.xml"),
                "package",
                "dependency:build-classpath",
                "-Dmdep.outputFile=target/classpath.txt",
                "-DskipTests",
                # -B alone still leaves ANSI resets in the captured output.
                "-Dstyle.color=never",
            ]
            result = subprocess.run(
                cmd,
                cwd=self.tool_dir,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0 or not self._build_outputs_exist():
                # Maven 3.8 still emits ANSI resets even with -B and no colour.
                output = _ANSI.sub("", result.stdout + result.stderr).strip()
                raise Neo4jBuildError(
                    f"Maven build of {self.tool_dir} failed"
                    f" (exit {result.returncode}).\n"
                    f"Command: {' '.join(cmd)}\n"
                    f"--- Maven output ---\n{output or '(no output)'}"
                )
            self._build_stamp.touch()

    # -- lifecycle -------------------------------------------------------

    def command(self) -> list[str]:
        """Return the full java command line that start() runs."""
        classpath = os.pathsep.join([str(self._classes_dir), *self._read_classpath()])
        return [
            _java_executable(),
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            *JVM_FLAGS,
            "-cp",
            classpath,
            MAIN_CLASS,
            "--port",
            str(self.port),
            "--http-port",
            str(self.http_port),
            "--plugins",
            str(self.plugins_dir),
            "--home",
            str(self.home),
            "--pagecache",
            self.pagecache,
            # The procedure allow-list milcoop defines once (graph/neo4j/procedures.py): no
            # plugin procedure or function outside it is loaded, none may leave the sandbox.
            "--procedures-allowlist",
            SERVER_ALLOWLIST,
            "--procedures-unrestricted",
            SERVER_UNRESTRICTED,
        ]

    def start(self, timeout: float = 180.0) -> None:
        """Build if needed, launch the server and wait until Bolt answers.

        ``timeout`` covers the server start only, not a (cold) Maven build.
        Raises Neo4jStartError, with the tail of the log, if the JVM exits
        or Bolt does not run ``RETURN 1`` within ``timeout`` seconds.
        """
        if self.is_running():
            raise Neo4jStartError(f"Neo4j dev server already running (pid {self.pid}) on {self.uri}")
        other = self._read_pid_file()
        if other is not None and self._is_live_server(other[0]):
            raise Neo4jStartError(f"another Neo4j dev server (pid {other[0]}, port {other[1]}) is using {self.home}")
        self.build()
        self.finish_import_swap()
        # If something else answers on the port, the readiness probe below
        # would happily talk to *it*; refuse up front.
        for taken in (self.port, self.http_port):
            if _port_in_use(taken):
                raise Neo4jStartError(f"port {taken} on 127.0.0.1 is already in use")

        self.home.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        # Append, so the log of a killed run survives its restart; remember
        # where this run begins to look only at its own output.
        with self.log_file.open("ab") as log:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log.write(f"\n=== tools.neo4j.neo4j_dev start {stamp} ===\n".encode())
            log.flush()
            log_offset = log.tell()
            started = time.monotonic()
            self._foreign_pid = None
            self._proc = subprocess.Popen(
                self.command(),
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own session and process group: Ctrl-C in a terminal or a
                # test runner's signal must not hit the JVM half-way, and
                # kill() can take down the whole group.
                start_new_session=True,
            )
        self._write_pid_file(self._proc.pid)
        # The JVM sits in its own session, so nothing stops it when this
        # Python process ends; a test run that forgets stop() (or dies on an
        # exception) must not leave a server behind on the machine.
        atexit.register(self._stop_at_exit)

        deadline = started + timeout
        while True:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._reap()
                self._remove_pid_file()
                raise Neo4jStartError(self._failure(f"Neo4j dev server exited with code {code} during start"))
            # The ready line is printed only after *our* JVM bound the port.
            if self._log_has_ready(log_offset) and _bolt_answers(self.uri):
                self.start_seconds = time.monotonic() - started
                return
            if time.monotonic() > deadline:
                self.kill()
                raise Neo4jStartError(
                    self._failure(f"Neo4j dev server did not answer on {self.uri} within {timeout:.0f} s")
                )
            time.sleep(0.25)

    def stop(self, timeout: float = 60.0) -> None:
        """Shut down cleanly (SIGTERM), escalating to SIGKILL after ``timeout``.

        SIGTERM runs DevServer's shutdown hook, which checkpoints the stores
        so the next start needs no recovery.  A no-op if not running.
        """
        pid = self.pid
        if pid is None or not self.is_running():
            self._reap()
            self._remove_pid_file()
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not self._wait_gone(timeout):
            self.kill()
            return
        self._reap()
        self._remove_pid_file()

    def kill(self) -> None:
        """SIGKILL the server's process group: no shutdown hook, no checkpoint.

        This simulates a crash (power loss, OOM killer); the next start() on
        the same home dir runs Neo4j's recovery.
        """
        pid = self.pid
        if pid is not None:
            # The group id equals the pid thanks to start_new_session.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self._wait_gone(30.0)
        self._reap()
        self._remove_pid_file()

    def is_running(self) -> bool:
        """Whether the server JVM is alive (not whether Bolt answers)."""
        if self._proc is not None:
            return self._proc.poll() is None
        if self._foreign_pid is not None:
            return _pid_alive(self._foreign_pid)
        return False

    def bolt_answers(self) -> bool:
        """Whether Bolt at uri runs ``RETURN 1`` right now."""
        return _bolt_answers(self.uri)

    def attach(self) -> bool:
        """Adopt a server started on this home dir by another process.

        Reads the pid file; if it names a live DevServer for this home, this
        object then reports and controls it (port included).  Used by the
        CLI's ``stop`` and ``status``.  Returns whether one was found.
        """
        info = self._read_pid_file()
        if info is None:
            return False
        pid, port = info
        if not self._is_live_server(pid):
            # Stale: the server died (or the machine rebooted) without cleanup.
            self._remove_pid_file()
            return False
        self._proc = None
        self._foreign_pid = pid
        self.port = port
        # The rest of how it was launched, so that a restart (offline_import) launches it alike.
        launched = self._read_launch()
        http_port, heap, pagecache = launched.get("http_port"), launched.get("heap"), launched.get("pagecache")
        self.http_port = http_port if isinstance(http_port, int) and http_port else self.http_port
        self.heap = heap if isinstance(heap, str) and heap else self.heap
        self.pagecache = pagecache if isinstance(pagecache, str) and pagecache else self.pagecache
        return True

    def detach(self) -> None:
        """Forget the process without stopping it (the CLI leaves it running)."""
        if self._proc is not None:
            self._foreign_pid = self._proc.pid
            # Keep Popen from warning that its child outlives it.
            self._proc.returncode = 0
            self._proc = None
            atexit.unregister(self._stop_at_exit)

    # -- offline import ---------------------------------------------------

    @property
    def _staging(self) -> Path:
        return self.home / "import-staging"

    @property
    def _swap_journal(self) -> Path:
        return self.home / "import-swap.json"

    def offline_import(
        self,
        folder: str | os.PathLike[str],
        *,
        import_heap: str = "1g",
        import_memory: str = "2g",
        timeout: float = 3600.0,
    ) -> float:
        """Run ``neo4j-admin database import full`` with the arguments in ``folder/neo4j-admin.args``.

        The import writes into a staging home; only when it succeeded is the database swapped in
        (the server stopped meanwhile) and the server started again with its options. If the
        importer fails or is killed, the live database is untouched and the server is started
        again as it was; a swap cut short is finished by the next start (a journal says what
        was being moved). Returns the importer's own seconds. Raises Neo4jDevError on failure.
        """
        arguments = [line for line in (Path(folder) / ADMIN_ARGUMENTS_FILE).read_text().splitlines() if line]
        if arguments[:3] != ["database", "import", "full"]:
            raise Neo4jDevError(f"{folder}/{ADMIN_ARGUMENTS_FILE} does not start with 'database import full'")
        database = arguments[-1]
        if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]*", database):
            raise Neo4jDevError(f"{database!r} is not a database name")
        was_running = self.is_running() or self.attach()
        if was_running:
            self.stop()
        self.build()
        self.finish_import_swap()
        shutil.rmtree(self._staging, ignore_errors=True)
        (self._staging / "conf").mkdir(parents=True)
        (self._staging / "conf" / "neo4j.conf").write_text(
            f"server.directories.data={self._staging / 'data'}\n"
            f"server.directories.logs={self._staging / 'logs'}\n"
        )
        log = self._staging / "import.log"
        env = {**os.environ, "NEO4J_HOME": str(self._staging), "NEO4J_CONF": str(self._staging / "conf")}
        command = [
            _java_executable(),
            f"-Xmx{import_heap}",
            *JVM_FLAGS,
            "-cp",
            os.pathsep.join(self._read_classpath()),
            ADMIN_CLASS,
            *arguments[:-1],
            # Its caches, off the heap; by default the importer takes up to 90 % of the machine's RAM.
            f"--max-off-heap-memory={import_memory}",
            arguments[-1],
        ]
        started = time.monotonic()
        try:
            with log.open("wb") as out:
                done = subprocess.run(
                    command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                    timeout=timeout, check=False,
                )
            failed = None if done.returncode == 0 else f"neo4j-admin exited with code {done.returncode}"
        except subprocess.TimeoutExpired:
            failed = f"neo4j-admin did not end within {timeout:.0f} s"
        seconds = time.monotonic() - started
        if failed is not None:
            shutil.rmtree(self._staging / "data", ignore_errors=True)
            if was_running:
                self.start()
            raise Neo4jDevError(f"{failed}; the database is as it was\n--- last lines of {log} ---\n{_tail(log, 30)}")
        self._swap_journal.write_text(json.dumps({"database": database}) + "\n")
        self.finish_import_swap()
        # For benchmarks: the importer's own time, apart from stopping and starting the server.
        (self.home / "last-import.json").write_text(json.dumps({"importer_seconds": seconds}) + "\n")
        self.start()
        return seconds

    def finish_import_swap(self) -> None:
        """Put a completed import's database in place, if a journal says one was being moved.

        Each step can be cut short and done again: the live store goes aside only while the
        staged one still waits, and the journal goes last.
        """
        try:
            database = str(json.loads(self._swap_journal.read_text())["database"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        replaced = self.home / "import-replaced"
        for part in ("databases", "transactions"):
            staged = self._staging / "data" / part / database
            live = self.home / "data" / part / database
            if not staged.exists():
                continue
            if live.exists():
                aside = replaced / part
                shutil.rmtree(aside, ignore_errors=True)
                aside.parent.mkdir(parents=True, exist_ok=True)
                live.rename(aside)
            live.parent.mkdir(parents=True, exist_ok=True)
            staged.rename(live)
        self._swap_journal.unlink()
        shutil.rmtree(replaced, ignore_errors=True)
        shutil.rmtree(self._staging, ignore_errors=True)

    # -- context manager --------------------------------------------------

    def __enter__(self) -> Self:
        """Start (if not running) and return self."""
        if not self.is_running():
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop cleanly; exceptions propagate."""
        self.stop()

    def __repr__(self) -> str:
        """Show the URI, home and state, for test failure messages."""
        state = f"pid {self.pid}" if self.is_running() else "stopped"
        return f"DevNeo4j({self.uri}, home={str(self.home)!r}, {state})"

    # -- internals -------------------------------------------------------

    def _wait_gone(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the process to exit; True if it did."""
        deadline = time.monotonic() + timeout
        if self._proc is not None:
            try:
                self._proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        while self.is_running():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def _reap(self) -> None:
        """Collect our child's exit status and forget the process."""
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
        self._proc = None
        self._foreign_pid = None
        atexit.unregister(self._stop_at_exit)

    def _stop_at_exit(self) -> None:
        """Stop a server we launched and still own when the interpreter exits."""
        if self._proc is not None and self._proc.poll() is None:
            self.stop(timeout=30)

    def _is_live_server(self, pid: int) -> bool:
        """Whether ``pid`` is alive *and* a DevServer for this home dir.

        The second half guards against pid reuse: a pid file left behind by
        a crash or reboot may name some unrelated process by now.
        """
        if not _pid_alive(pid):
            return False
        cmdline = _cmdline(pid)
        return MAIN_CLASS in cmdline and str(self.home) in cmdline

    def _write_pid_file(self, pid: int) -> None:
        record = {
            "pid": pid,
            "port": self.port,
            "uri": self.uri,
            "http_port": self.http_port,
            "heap": self.heap,
            "pagecache": self.pagecache,
        }
        self.pid_file.write_text(json.dumps(record) + "\n")

    def _read_pid_file(self) -> tuple[int, int] | None:
        """(pid, port) from the pid file, or None if absent or unreadable."""
        try:
            data = json.loads(self.pid_file.read_text())
            return int(data["pid"]), int(data["port"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _read_launch(self) -> dict[str, object]:
        """The pid file's record (pid, ports, heap, page cache), or {} if absent or unreadable."""
        try:
            record = json.loads(self.pid_file.read_text())
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def _remove_pid_file(self) -> None:
        self.pid_file.unlink(missing_ok=True)

    def _log_has_ready(self, offset: int) -> bool:
        try:
            with self.log_file.open("rb") as fh:
                fh.seek(offset)
                return READY_MARKER.encode() in fh.read()
        except OSError:
            return False

    def _failure(self, headline: str) -> str:
        return (
            f"{headline}\n"
            f"--- last lines of {self.log_file} ---\n{_tail(self.log_file)}\n"
            f"--- (Neo4j's own log: {self.debug_log}) ---"
        )


def _java_executable() -> str:
    """``$JAVA_HOME/bin/java`` if set, else ``java`` from PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise Neo4jStartError("java not found (need Java 17+): set JAVA_HOME or put java on PATH")
    return found


# -- command line ------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.neo4j.neo4j_dev",
        description=(
            "Run a Neo4j 5.26 Community server with APOC core (Bolt and HTTP with Neo4j Browser on 127.0.0.1,"
            " auth disabled) for development and CI."
        ),
    )
    parser.add_argument("action", choices=("start", "stop", "status", "import"))
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        help="import: a folder milcoop wrote for an offline import (its neo4j-admin.args); the server is stopped, "
        "the import staged and swapped in, and the server started again",
    )
    parser.add_argument("--import-heap", default="1g", help="import: the importer's JVM heap (default %(default)s)")
    parser.add_argument(
        "--import-memory", default="2g", help="import: the importer's off-heap memory (default %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="Bolt port on 127.0.0.1 (default %(default)s)",
    )
    parser.add_argument(
        "--http-port",
        type=int,
        default=DEFAULT_HTTP_PORT,
        help="HTTP port on 127.0.0.1, Neo4j Browser at /browser/ (default %(default)s)",
    )
    parser.add_argument(
        "--home",
        type=Path,
        default=DEFAULT_HOME,
        help="data, logs and pid file (default %(default)s)",
    )
    parser.add_argument(
        "--heap",
        default=DEFAULT_HEAP,
        help="JVM heap, -Xms and -Xmx (default %(default)s)",
    )
    parser.add_argument(
        "--pagecache",
        default=DEFAULT_PAGECACHE,
        help="Neo4j page cache, off-heap (default %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        help="seconds to wait for start or stop (default %(default)s)",
    )
    return parser


def _out(message: str, stream: IO[str] = sys.stdout) -> None:
    print(message, file=stream, flush=True)


def _cmd_start(server: DevNeo4j, args: argparse.Namespace) -> int:
    if server.attach():
        # Idempotent, so scripts can call start unconditionally.
        _out(f"already running (pid {server.pid}): {server.uri}", sys.stderr)
        _out(server.uri)
        return 0
    try:
        server.start(timeout=args.timeout)
    except Neo4jDevError as exc:
        _out(f"neo4j-dev: {exc}", sys.stderr)
        return 1
    server.detach()
    _out(
        f"started (pid {server.pid}) in {server.start_seconds or 0:.1f} s;"
        f" Neo4j Browser at {server.http_uri}/browser/;"
        f" log {server.log_file};"
        f" stop with: python -m tools.neo4j.neo4j_dev stop --home {args.home}",
        sys.stderr,
    )
    # The URI alone on stdout, so `URI=$(... start)` works in scripts.
    _out(server.uri)
    return 0


def _cmd_stop(server: DevNeo4j, args: argparse.Namespace) -> int:
    if not server.attach():
        _out(f"not running (home {server.home})", sys.stderr)
        return 0
    pid = server.pid
    server.stop(timeout=args.timeout)
    _out(f"stopped (pid {pid})", sys.stderr)
    return 0


def _cmd_status(server: DevNeo4j, _args: argparse.Namespace) -> int:
    if not server.attach():
        _out(f"not running (home {server.home})")
        return 3
    answering = server.bolt_answers()
    bolt = "answers" if answering else "does NOT answer"
    _out(f"running (pid {server.pid}) on {server.uri}; bolt {bolt}; Neo4j Browser at {server.http_uri}/browser/")
    return 0 if answering else 1


def _cmd_import(server: DevNeo4j, args: argparse.Namespace) -> int:
    if args.folder is None:
        _out("neo4j-dev: import needs the folder of an offline import", sys.stderr)
        return 2
    try:
        seconds = server.offline_import(
            args.folder,
            import_heap=args.import_heap,
            import_memory=args.import_memory,
            timeout=max(args.timeout, 600.0),
        )
    except (Neo4jDevError, OSError) as exc:
        _out(f"neo4j-dev: {exc}", sys.stderr)
        return 1
    server.detach()
    _out(f"imported {args.folder} in {seconds:.1f} s; running again (pid {server.pid}) on {server.uri}", sys.stderr)
    _out(server.uri)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m tools.neo4j.neo4j_dev``; return the exit code.

    Exit codes: 0 success (``status``: running and answering), 1 failure,
    3 ``status`` found no server (the LSB convention for "not running").
    """
    args = _parser().parse_intermixed_args(argv)
    server = DevNeo4j(
        home=args.home, port=args.port, http_port=args.http_port, heap=args.heap, pagecache=args.pagecache
    )
    commands = {"start": _cmd_start, "stop": _cmd_stop, "status": _cmd_status, "import": _cmd_import}
    return commands[args.action](server, args)


if __name__ == "__main__":
    sys.exit(main())
