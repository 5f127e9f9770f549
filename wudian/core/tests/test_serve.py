"""`wudian serve`: it announces its address only once the web server accepts connections,
and a port already taken is told in the user's language, with a non-zero exit and no
traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path


def serve(tmp_path: Path, bind: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WUDIAN_", "PYTEST"))}
    env.update(WUDIAN_DEBUG="1", WUDIAN_DATA_DIR=str(tmp_path))
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "wudian.manage",
            "serve",
            "--bind",
            bind,
            "--web-workers",
            "1",
            "--task-workers",
            "1",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_a_taken_port_is_told_in_the_users_language(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = serve(tmp_path, f"127.0.0.1:{port}")
        stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 1
    assert f"127.0.0.1 上的端口 {port} 已被其他程序占用" in stderr
    assert "Traceback" not in stderr
    assert "物电正在" not in stdout


def test_the_address_is_announced_once_the_server_listens(tmp_path: Path) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    process = serve(tmp_path, f"127.0.0.1:{port}")
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        # The moment it is announced, the address answers.
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        assert f"物电正在 http://127.0.0.1:{port}/ 上提供服务" in line
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
