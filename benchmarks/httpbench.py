"""What the HTTP benchmarks share: a database of their own, the environment of a production
server (debug off) and of the demo seeding (debug on), gunicorn as a child process, a small
keep-alive load generator, percentiles, and what the machine was doing meanwhile.

Not a test. The scripts that use it (workorders_submit.py, workorders_list.py) say how to run
them; their figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import itertools
import os
import pstats
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


# Environment and database -----------------------------------------------------------------


def bench_environment(*, database: str, redis: str, name: str, data_dir: Path) -> dict[str, str]:
    """The environment of a production web process (debug off) with a database, a task queue
    and a cache key space of the benchmark's own."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="wudian.settings",
        WUDIAN_DEBUG="0",
        WUDIAN_SECRET_KEY="bench-" + secrets.token_urlsafe(32),
        WUDIAN_ALLOWED_HOSTS="127.0.0.1,localhost",
        WUDIAN_DATABASE_URL=database,
        WUDIAN_REDIS_URL=redis,
        WUDIAN_HUEY_NAME=name,
        WUDIAN_CACHE_PREFIX=name,
        WUDIAN_DATA_DIR=str(data_dir),
        WUDIAN_LOG_LEVEL="WARNING",
    )
    # Whatever the calling shell had for the other knobs must not leak in.
    for key in ("WUDIAN_NOTIFY_URLS", "WUDIAN_SMS_GATEWAY_URL", "WUDIAN_EMAIL_URL"):
        env.pop(key, None)
    return env


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("wudian_bench"):
        # A guard for a mistyped --database: this drops the database.
        raise SystemExit(f"refusing to drop {name!r}: a bench database's name starts wudian_bench")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wudian(env: dict[str, str], *args: str, debug: bool = False) -> None:
    """Run a `wudian` management command in a child process (seed_demo needs debug on)."""
    child = dict(env, WUDIAN_DEBUG="1" if debug else "0")
    subprocess.run(
        [str(VENV_BIN / "wudian"), *args], env=child, check=True, stdout=subprocess.DEVNULL
    )


def django_setup(env: dict[str, str]) -> None:
    """Configure Django in this process exactly like the web server (debug off)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def new_data_dir(prefix: str) -> Path:
    """WUDIAN_DATA_DIR of the run: collected static files, media; not the checkout's var/."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def server_options(parser: argparse.ArgumentParser, *, name: str, concurrency: int) -> None:
    """The options of a benchmark that serves the demo city through gunicorn: its own
    database (dropped and created again), Redis, the server's shape, runs, a profile. The
    server's default is what `wudian serve` runs, 2 sync workers; on 2 cores 4 workers and
    gthread did worse (docs/benchmarks.md)."""
    parser.add_argument(
        "--database",
        default=f"postgres://postgres@127.0.0.1:5432/{name.replace('-', '_')}",
        help="dropped!",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--name", default=name, help="Huey queue and cache prefix")
    parser.add_argument("--concurrency", type=int, default=concurrency, help="client threads")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--profile", type=int, default=0, help="cProfile this many in process")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")


def demo_server(args: argparse.Namespace, *, static: bool = False) -> Gunicorn:
    """A new database with the demo city (and the collected static files when pages are
    measured), Django set up on it in this process, and gunicorn ready to start on it."""
    data_dir = new_data_dir(f"{args.name}-")
    env = bench_environment(
        database=args.database, redis=args.redis, name=args.name, data_dir=data_dir
    )
    print(machine_description(), flush=True)
    recreate_database(args.database)
    wudian(env, "migrate", "-v0")
    wudian(env, "seed_demo", debug=True)
    if static:
        wudian(env, "collectstatic", "--noinput", "-v0")
    django_setup(env)
    return Gunicorn(
        env=env,
        workers=args.workers,
        threads=args.threads,
        worker_class=args.worker_class,
        log=data_dir / "gunicorn.log",
    )


# gunicorn -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Gunicorn:
    """`gunicorn wudian.wsgi` as a child process, stopped by `stop()` (and on exit)."""

    env: dict[str, str]
    workers: int
    threads: int
    worker_class: str
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def argv(self) -> list[str]:
        argv = [
            str(VENV_BIN / "gunicorn"),
            "wudian.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--backlog",
            "2048",
            "--keep-alive",
            "5",
            "--log-level",
            "warning",
        ]
        if self.worker_class == "gthread":
            argv += ["--threads", str(self.threads)]
        return argv

    @property
    def config(self) -> str:
        threads = f" × {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"gunicorn {self.worker_class}, {self.workers} workers{threads}"

    def start(self) -> None:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            self.argv, env=self.env, cwd=ROOT, stdout=handle, stderr=handle
        )
        handle.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}; see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            self.stop()
            raise SystemExit(f"gunicorn did not answer /healthz within 60 s; see {self.log}")
        # Every worker imports the project and opens its connection on its first request;
        # the warm-up then reaches all of them.
        time.sleep(1)

    def pids(self) -> list[int]:
        if self.process is None:
            return []
        master = self.process.pid
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            children = []
        return [master, *map(int, children)]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _cpu_of(pid: int | str) -> int:
    """User + system CPU ticks of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def postgres_backends(database: str) -> list[int]:
    """The PostgreSQL backends connected to one database (their process title names it)."""
    name = f" {urlsplit(database).path.lstrip('/')} ".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres: ") and name in title:
            found.append(int(entry.name))
    return found


class CpuMeter:
    """CPU used by the web server's processes and by the database's backends while it runs,
    sampled every 0.2 s so a process that ends meanwhile (a connection closed after
    CONN_MAX_AGE) loses at most its last 0.2 s."""

    def __init__(self, server: Gunicorn, database: str) -> None:
        self.server = server
        self.database = database
        self.first: dict[tuple[str, int], int] = {}
        self.last: dict[tuple[str, int], int] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        pids = [("web", pid) for pid in self.server.pids()]
        pids += [("db", pid) for pid in postgres_backends(self.database)]
        for key in pids:
            ticks = _cpu_of(key[1])
            if ticks:
                self.last[key] = ticks

    def _run(self) -> None:
        while not self.stopped.wait(0.2):
            self._sample()

    def __enter__(self) -> CpuMeter:
        self._sample()
        # A process first seen later was born during the run: all its CPU counts.
        self.first = dict(self.last)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()
        self._sample()

    def seconds(self, kind: str) -> float:
        ticks = sum(self.last[key] - self.first.get(key, 0) for key in self.last if key[0] == kind)
        return ticks / os.sysconf("SC_CLK_TCK")


# The load generator ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None
    expect: int = 200


@dataclass
class Outcome:
    latencies: list[float]
    statuses: Counter[int]
    failures: list[str]
    seconds: float
    client_cpu: float
    machine: MachineSample

    @property
    def errors(self) -> int:
        return len(self.failures)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def fire(port: int, calls: Sequence[Call], *, concurrency: int) -> Outcome:
    """Send the calls from `concurrency` threads, each with its own keep-alive connection
    (http.client reconnects by itself when the server closes one). A call whose status is not
    the expected one, or that fails on the wire, is an error."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    order = itertools.count()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        seen: Counter[int] = Counter()
        bad: list[str] = []
        while (i := next(order)) < len(calls):
            call = calls[i]
            began = time.perf_counter()
            try:
                conn.request(call.method, call.path, body=call.body, headers=call.headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                bad.append(f"{call.method} {call.path}: {type(error).__name__}: {error}")
                continue
            mine.append(time.perf_counter() - began)
            seen[response.status] += 1
            if response.status != call.expect:
                bad.append(
                    f"{call.method} {call.path}: {response.status} "
                    f"{data[:300].decode(errors='replace')}"
                )
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(seen)
            failures.extend(bad)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    before = MachineSample.now()
    cpu = time.process_time()
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return Outcome(
        latencies=latencies,
        statuses=statuses,
        failures=failures,
        seconds=seconds,
        client_cpu=time.process_time() - cpu,
        machine=before.until_now(),
    )


# Figures ---------------------------------------------------------------------------------------


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max in milliseconds."""
    if len(values) < 2:
        only = values[0] * 1000 if values else float("nan")
        return {"p50": only, "p95": only, "p99": only, "max": only}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50": cuts[49] * 1000,
        "p95": cuts[94] * 1000,
        "p99": cuts[98] * 1000,
        "max": max(values) * 1000,
    }


def spread(values: Sequence[float]) -> str:
    """Median of the runs, with their range."""
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


@dataclass
class MachineSample:
    """CPU use of the whole machine between two reads of /proc/stat, and the load average."""

    busy: int
    total: int
    load: str
    busy_share: float = 0.0
    load_after: str = ""

    @staticmethod
    def now() -> MachineSample:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = ticks[3] + ticks[4]  # idle + iowait
        total = sum(ticks[:8])
        return MachineSample(busy=total - idle, total=total, load=load_average())

    def until_now(self) -> MachineSample:
        after = MachineSample.now()
        total = after.total - self.total
        share = (after.busy - self.busy) / total if total else 0.0
        return MachineSample(
            busy=after.busy,
            total=after.total,
            load=self.load,
            busy_share=share,
            load_after=after.load,
        )


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine_description() -> str:
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = line.split(":", 1)[1].strip()
            break
    return (
        f"nproc {os.cpu_count()}, CPU {model}, RAM {memory}, load average {load_average()}, "
        f"CPU probe {cpu_probe():.0f} ms"
    )


def cpu_probe() -> float:
    """Milliseconds of CPU a fixed piece of pure Python takes now. The virtual machines these
    benchmarks run on share their hosts: the same probe has taken from about 150 ms to over
    300 ms within an hour, and every figure moves with it, so each run reports it."""
    began = time.process_time()
    for _ in range(5):
        table: dict[int, str] = {}
        for i in range(300_000):
            table[i % 1000] = str(i) + "x"
    return (time.process_time() - began) * 1000


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table, to paste into docs/benchmarks.md as it is."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def print_profile(profiler: cProfile.Profile, n: int) -> None:
    """Per call of n profiled calls: the project's functions by cumulative time, the time
    in the database driver, and the functions with the most time of their own."""
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]

    def name(key: tuple[str, int, str]) -> str:
        path, line, function = key
        short = path.split("site-packages/")[-1].split("/work/main/")[-1]
        return f"{short}:{line}({function})"

    def ms(seconds: float) -> str:
        return f"{seconds / n * 1000:.2f}"

    ours = sorted(((v[3], key) for key, v in entries.items() if "/wudian/" in key[0]), reverse=True)
    print(table(["cumulative", "function"], [(ms(t), name(k)) for t, k in ours[:30]]))
    waits = [
        (v[3], key)
        for key, v in entries.items()
        if key[2] in ("_execute", "commit") and "django/db/backends" in key[0]
    ]
    print(
        "\nin the database (Django's execute and commit): "
        + ", ".join(f"{name(k)} {ms(t)}" for t, k in sorted(waits, reverse=True))
    )
    own = sorted(((v[2], key) for key, v in entries.items()), reverse=True)
    print("\nmost time of their own:")
    print(table(["own", "function"], [(ms(t), name(k)) for t, k in own[:15]]))
