"""Sextant's production topology, started by the test: its own PostgreSQL cluster,
its own redis-server, gunicorn web instances, a Celery worker — real processes
on free loopback ports, each of which a fault test may kill and start again.

Nothing here touches the machine's shared PostgreSQL (5432) or Redis (6379):
every process is started from a temporary directory and killed at teardown.
Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
PG_BIN = Path(os.environ.get("SEXTANT_PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
SECRET_KEY = "reliability-suite-" + "k" * 40  # not a real secret: a throwaway stack's signing key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float, proc: subprocess.Popen | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode} before listening on {port}") from None
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout}s")


def _kill(proc: subprocess.Popen | None, sig=signal.SIGTERM, timeout: float = 10) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class Postgres:
    """A throwaway PostgreSQL 15 cluster owned by the `postgres` user (it refuses to run as root)."""

    def __init__(self, base: Path):
        self.dir = base / "pg"
        self.data = self.dir / "data"
        self.port = free_port()
        self.log = self.dir / "postgres.log"
        self.dir.mkdir(parents=True)
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
            self.dir.chmod(0o700)
            # The temp folders above must be traversable by the postgres user.
            for parent in self.dir.parents:
                if str(parent).startswith(tempfile.gettempdir()) and parent != Path(tempfile.gettempdir()):
                    parent.chmod(parent.stat().st_mode | 0o711)
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        (self.data / "postgresql.auto.conf").write_text(
            f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.dir}'\n"
            "fsync = on\nmax_connections = 200\nshared_buffers = 64MB\n"
        )
        self.start()
        self._run(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "sextant")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/sextant"

    def _run(self, *cmd, check: bool = True) -> subprocess.CompletedProcess:
        argv = [str(c) for c in cmd]
        if self._as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd="/")
        if check and result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{log}"
            )
        return result

    def start(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """mode=immediate is a crash: no checkpoint, clients cut off mid-transaction."""
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self, mode: str = "immediate", down_seconds: float = 0) -> None:
        self.stop(mode)
        time.sleep(down_seconds)
        self.start()

    def query(self, sql: str, *params):
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self.stop("immediate")


class Redis:
    def __init__(self, base: Path):
        self.dir = base / "redis"
        self.dir.mkdir()
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = open(self.dir / "redis.log", "a")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_port(self.port, 20, self.proc, "redis-server")

    def kill(self) -> None:
        _kill(self.proc, signal.SIGKILL)

    def restart(self, down_seconds: float = 0) -> None:
        self.kill()
        time.sleep(down_seconds)
        self.start()

    def close(self) -> None:
        _kill(self.proc, signal.SIGKILL)


class Process:
    """A Python subprocess of the project (gunicorn, celery) with its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path):
        self.name, self.argv, self.env, self.log_path = name, argv, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "a")
        # A new session: SIGKILL of the group takes gunicorn's workers down with the arbiter.
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)  # fmt: skip
        log.close()

    def kill(self) -> None:
        """SIGKILL to the whole process group: no graceful shutdown, requests cut mid-flight."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(15)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                self.kill()

    def rss_bytes(self) -> int:
        """Resident memory of the process and its children (gunicorn's workers)."""
        if not self.proc or self.proc.poll() is not None:
            return 0
        total = 0
        pids = [self.proc.pid]
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            pids += [int(p) for p in children]
        except OSError:
            pass
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Stack:
    """PostgreSQL + Redis + N gunicorn instances + optional Celery worker."""

    def __init__(self, base: Path | None = None, **settings_env: str):
        self.base = Path(base or tempfile.mkdtemp(prefix="sextant-rel-"))
        self.base.mkdir(parents=True, exist_ok=True)
        self.processes: list[Process] = []
        self.pg = Postgres(self.base)
        self.redis = Redis(self.base)
        self.files_dir = self.base / "files"
        self.files_dir.mkdir()
        self.settings_env = settings_env
        self.manage("migrate", "--noinput")

    def env(self, **extra: str) -> dict:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "DJANGO", "DATABASE_URL", "REDIS_URL"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=self.pg.url,
            REDIS_URL=self.redis.url,
            SECRET_KEY=SECRET_KEY,
            SEXTANT_DATA_DIR=str(self.base / "data"),
            SEXTANT_FILES_DIR=str(self.files_dir),
            PYTHONUNBUFFERED="1",
            DB_CONN_MAX_AGE="60",
        )
        env.update(self.settings_env)
        env.update(extra)
        return env

    def manage(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([PYTHON, "manage.py", *args], env=self.env(), cwd=ROOT, input=stdin,
                                capture_output=True, text=True, timeout=300)  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def django(self, code: str) -> dict:
        """Runs `code` in a Django shell on this stack; it sets `out` (a dict) which comes back as JSON."""
        wrapped = "import json, sys\nout = {}\n" + code + "\nsys.stdout.write('\\n@@' + json.dumps(out))\n"
        text = self.manage("shell", "-c", wrapped)
        return json.loads(text.rsplit("@@", 1)[1])

    def web(self, workers: int = 2, threads: int = 8, **extra: str) -> WebInstance:
        port = free_port()
        env = self.env(WEB_CONCURRENCY=str(workers), GUNICORN_THREADS=str(threads), **extra)
        argv = [str(Path(PYTHON).parent / "gunicorn"), "config.wsgi", "-c", "config/gunicorn.conf.py",
                "--bind", f"127.0.0.1:{port}", "--no-control-socket"]  # fmt: skip
        web = WebInstance(f"web-{port}", argv, env, self.base / f"web-{port}.log", port)
        self.processes.append(web)
        web.start()
        return web

    def celery(self, kind: str = "worker", **extra: str) -> Process:
        if kind == "worker":
            argv = [PYTHON, "-m", "celery", "-A", "config", "worker", "-P", "solo", "--loglevel", "INFO",
                    "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"rel-{time.monotonic_ns()}@%h"]  # fmt: skip
        else:
            argv = [PYTHON, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
                    "-s", str(self.base / "celerybeat-schedule")]  # fmt: skip
        proc = Process(
            f"celery-{kind}", argv, self.env(**extra), self.base / f"celery-{kind}-{len(self.processes)}.log"
        )
        self.processes.append(proc)
        proc.start()
        return proc

    def logs(self) -> dict[str, str]:
        """Every log this stack's processes wrote (for the secrets guard)."""
        found = {}
        for path in sorted(self.base.rglob("*.log")):
            found[str(path.relative_to(self.base))] = path.read_text(errors="replace")
        return found

    def close(self) -> None:
        for proc in reversed(self.processes):
            proc.kill()
        self.redis.close()
        self.pg.close()


class WebInstance(Process):
    def __init__(self, name, argv, env, log, port: int):
        super().__init__(name, argv, env, log)
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()
        wait_port(self.port, 60, self.proc, "gunicorn")

    def restart(self) -> None:
        self.kill()
        self.start()
