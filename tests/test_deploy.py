"""Deployment: gunicorn workers serve the app configured from the environment alone."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from app.db import db
from config import DEV_SECRET_KEY

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  (http on loopback)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until_serving(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Poll the URL until the server answers; fail at once if the server died."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}:\n{log.read_text()}")
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"gunicorn did not answer:\n{log.read_text()}")


def test_gunicorn_serves_the_health_check_from_two_workers(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "APP_CONFIG": "production",
        "SECRET_KEY": "deploy-test-key",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "WEB_CONCURRENCY": "2",
        "PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("BIND", None)
    subprocess.run(
        [BIN / "flask", "--app", "app", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [BIN / "gunicorn", "-c", "python:app.gunicorn_conf", "app.wsgi:app"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, f"{base}/sante", log)
        # A half-sent request holds the sync worker that accepts it (connections are accepted
        # in order), so the next request can only be served by the other worker.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as held:
            held.sendall(b"GET /sante HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            status, body = get(f"{base}/sante")
            held.sendall(b"\r\n")
            reply = b""
            while chunk := held.recv(65536):
                reply += chunk
    finally:
        server.send_signal(signal.SIGTERM)
        returncode = server.wait(timeout=60)

    assert status == 200
    assert b'"status":"ok"' in body
    assert reply.startswith(b"HTTP/1.1 200 ")
    assert reply.endswith(body)
    assert returncode == 0, log.read_text()
    # The access log ends each line with the pid of the worker that served it.
    pids = re.findall(r'"GET /sante HTTP/1\.1" 200 .* <(\d+)>$', log.read_text(), re.MULTILINE)
    assert len(set(pids[-2:])) == 2, log.read_text()
    assert str(server.pid) not in pids


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_health_answers_503_when_the_database_is_unreachable(tmp_path: Path, engine: str) -> None:
    url = {
        "sqlite": f"sqlite:///{tmp_path / 'missing-folder' / 'app.sqlite3'}",
        "postgresql": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/absent",
    }[engine]
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=tmp_path)
    response = app.test_client().get("/sante")
    with app.app_context():
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json() == {"status": "indisponible", "database": False}


@pytest.mark.parametrize("key", [DEV_SECRET_KEY, ""])
def test_production_refuses_the_development_secret_key(key: Any) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=key)
