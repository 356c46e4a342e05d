"""A learner's terminal is handed only to a learner server the centre started, never to a socket
someone else left beside the database (it would read every keycode typed)."""

from __future__ import annotations

import os
import socket

from marker_tui.interfaces.cli.entry import _trusted_socket, socket_path


def _listening(path: str, mode: int) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    os.chmod(path, mode)
    server.listen()
    return server


def test_only_a_socket_of_this_account_that_no_one_else_can_write_is_trusted(tmp_path):
    db = tmp_path / "centre.db"
    db.write_bytes(b"")
    path = socket_path(db)
    assert path == str(tmp_path / "centre-learners.sock")
    assert not _trusted_socket(path)  # no server: run the terminal here
    server = _listening(path, 0o660)
    try:
        assert _trusted_socket(path)
        os.chmod(path, 0o666)  # anyone could have made or replaced it
        assert not _trusted_socket(path)
    finally:
        server.close()
        os.unlink(path)
    with open(path, "w") as f:  # not a socket at all
        f.write("x")
    assert not _trusted_socket(path)
