"""`crebis serve`: the port is taken before any work, and a port in use is a message."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import write_result

from pipeline.cli import main
from pipeline.cli.serve import listen
from pipeline.errors import CrebisError


@pytest.fixture
def taken_port():
    """A port something else listens on (a real socket on 127.0.0.1)."""
    with socket.create_server(("127.0.0.1", 0)) as other:
        yield other.getsockname()[1]


def test_listen_gives_a_listening_socket():
    sock = listen("127.0.0.1", 0)
    try:
        with socket.create_connection(sock.getsockname(), timeout=5):
            pass  # accepted into the backlog: the socket listens before any server runs on it
    finally:
        sock.close()


def test_listen_on_a_port_in_use_says_what_to_do(taken_port: int):
    with pytest.raises(CrebisError) as caught:
        listen("127.0.0.1", taken_port)
    assert str(caught.value) == (f"port {taken_port} on 127.0.0.1 is in use: "
                                 "stop what uses it or choose another with --port")


@pytest.mark.parametrize("args", [["serve"], ["serve", "site"]])
def test_preview_on_a_port_in_use_stops_before_building(project_dir: Path, taken_port: int, args: list[str]):
    write_result(project_dir)
    result = CliRunner().invoke(main, ["-C", str(project_dir), *args, "--port", str(taken_port)])
    assert result.exit_code == 1, result.output
    assert f"Error: port {taken_port} on 127.0.0.1 is in use: stop what uses it or choose another with --port" \
        in result.output
    assert "Building" not in result.output and "Serving" not in result.output
    assert not (project_dir / ".crebis" / "preview").exists()


def test_subscriptions_on_a_port_in_use_is_a_message(project_dir: Path, taken_port: int, monkeypatch):
    monkeypatch.setenv("CREBIS_SECRET", "a-secret-of-at-least-16-characters")
    with (project_dir / "crebis.toml").open("a", encoding="utf-8") as config:
        config.write('\n[mail]\nservice_url = "https://crebis.example.org/subscriptions/"\n')
    result = CliRunner().invoke(main, ["-C", str(project_dir), "serve", "subscriptions", "--port", str(taken_port)])
    assert result.exit_code == 1, result.output
    assert f"port {taken_port} on 127.0.0.1 is in use" in result.output
    assert "Errno" not in result.output
