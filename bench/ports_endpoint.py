"""What the status bar's port polling costs the Jupyter server, against a plain listing.

The status item asks ``GET /hfwidgets/ports`` every 3 s in every open JupyterLab tab. This
starts a real jupyter_server with the extension (and a configured pty plus an extra-ports file,
as with the simulated Arduino), sends N authenticated requests, and measures per request:
wall time seen by the client, and the server process's CPU time (from /proc, so the client's
own work is not counted). The plain alternative, in the same run: calling pyserial's
``serial.tools.list_ports.comports()`` in-process, which is what the endpoint wraps.

    python bench/ports_endpoint.py [--requests 200] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from serial.tools import list_ports

POLL_S = 3.0  # labextension/src/status.ts REFRESH_SECONDS


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start_server(base: Path, pty: str) -> tuple[subprocess.Popen[bytes], str, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = secrets.token_hex(16)
    ports_file = base / "extra-ports.json"
    ports_file.write_text(json.dumps(["socket://localhost:7000"]))
    argv = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={base}",
        "--ServerApp.jpserver_extensions=hfwidgets=True",
        f"--HfwPorts.extra_ports={pty}",
        f"--HfwPorts.extra_ports_file={ports_file}",
    ]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(base), "JUPYTER_RUNTIME_DIR": str(base)}
    log = (base / "server.log").open("wb")
    proc = subprocess.Popen(
        argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(
                f"{url}/api/status", timeout=5, headers={"Authorization": f"token {token}"}
            ).ok:
                return proc, url, token
        time.sleep(0.2)
    raise RuntimeError(f"jupyter_server did not start: {(base / 'server.log').read_text()}")


def bench_endpoint(n: int) -> dict[str, float]:
    leader, follower = os.openpty()
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, token = _start_server(Path(tmp), os.ttyname(follower))
        try:
            session = requests.Session()
            session.headers["Authorization"] = f"token {token}"
            for _ in range(5):  # warm up: first-request imports and template caches
                session.get(f"{url}/hfwidgets/ports", timeout=10).raise_for_status()
            times, cpu0 = [], _cpu_seconds(proc.pid)
            for _ in range(n):
                t0 = time.perf_counter()
                reply = session.get(f"{url}/hfwidgets/ports", timeout=10)
                times.append(time.perf_counter() - t0)
                reply.raise_for_status()
            cpu = (_cpu_seconds(proc.pid) - cpu0) / n
            n_ports = len(reply.json()["ports"])
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
            os.close(leader)
            os.close(follower)
    return {
        "wall_ms_p50": 1e3 * statistics.median(times),
        "wall_ms_p95": 1e3 * statistics.quantiles(times, n=20)[18],
        "server_cpu_ms": 1e3 * cpu,
        "ports": n_ports,
    }


def bench_plain(n: int) -> dict[str, float]:
    list_ports.comports()
    times, cpu0 = [], time.process_time()
    for _ in range(n):
        t0 = time.perf_counter()
        found = list_ports.comports()
        times.append(time.perf_counter() - t0)
    cpu = (time.process_time() - cpu0) / n
    return {
        "wall_ms_p50": 1e3 * statistics.median(times),
        "wall_ms_p95": 1e3 * statistics.quantiles(times, n=20)[18],
        "server_cpu_ms": 1e3 * cpu,
        "ports": len(found),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per method")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    endpoint, plain = bench_endpoint(args.requests), bench_plain(args.requests)
    print(f"{'method':<38}{'ports':>6}{'p50 ms':>9}{'p95 ms':>9}{'CPU ms':>9}")
    for name, row in (
        ("GET /hfwidgets/ports (server process)", endpoint),
        ("plain comports() in-process", plain),
    ):
        print(
            f"{name:<38}{row['ports']:>6}{row['wall_ms_p50']:>9.2f}"
            f"{row['wall_ms_p95']:>9.2f}{row['server_cpu_ms']:>9.2f}"
        )
    ratio = endpoint["server_cpu_ms"] / max(plain["server_cpu_ms"], 1e-6)
    share = endpoint["server_cpu_ms"] / 1e3 / POLL_S
    print(
        f"endpoint/plain CPU ratio: {ratio:.1f}x; one tab polling every {POLL_S:.0f} s costs "
        f"{100 * share:.3f} % of one core"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "bench": "ports_endpoint",
                    "requests": args.requests,
                    "endpoint": endpoint,
                    "plain": plain,
                    "cpu_ratio": ratio,
                    "core_share_per_tab": share,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
