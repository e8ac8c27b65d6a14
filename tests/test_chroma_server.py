"""Server mode: the same sync and search against a real `chroma run` on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studylog.config import Settings
from studylog.service import StudyLogService


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(chroma).exists():
        pytest.skip("the chroma command is not installed")
    port = free_port()
    process = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("chroma server did not start within 60 s")
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def test_server_mode_sync_and_search(chroma_server, fixtures_vault, fake_embedder):
    settings = Settings(chroma_mode="server", chroma_url=chroma_server)
    service = StudyLogService(settings=settings, vault=fixtures_vault, embedder=fake_embedder)
    first = service.index()
    assert first.embedded == first.chunks > 200
    assert service.store().count() == first.chunks
    again = StudyLogService(settings=settings, vault=fixtures_vault, embedder=fake_embedder).index()
    assert again.embedded == 0
    result = service.search("nginx proxy_buffering 설정", today=None)
    assert result.hits[0].date == "2026-11-19"


def test_unreachable_server_is_a_clear_error(fixtures_vault, fake_embedder):
    from studylog.index.store import IndexError_

    settings = Settings(chroma_mode="server", chroma_url=f"http://127.0.0.1:{free_port()}")
    service = StudyLogService(settings=settings, vault=fixtures_vault, embedder=fake_embedder)
    with pytest.raises(IndexError_, match="cannot reach the Chroma server"):
        service.index()
