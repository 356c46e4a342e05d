"""The room bench's harness works: real learner terminals in ptys, through the learner server, log in and type.

A smoke test with tiny sizes (no figures are judged: speed targets live in bench/, not in tests).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


@pytest.mark.slow
def test_two_learners_through_the_learner_server_type_and_lose_no_save(tmp_path):
    import bench_room

    rooms = bench_room.build_database(tmp_path / "room.db", (2,), 1)
    result = bench_room.type_room(tmp_path / "room.db", "learner", 2, 3.0, rooms["ROOM2"], served=True)
    assert result["keys"] > 0, "no key typed reached a learner's screen"
    # Not result["timeouts"] (a key's echo slower than the harness's 5 s): that is a speed figure,
    # for bench/, and on a loaded 2-core CI machine it is a fact about the machine.
    assert result["saves_lost"] == 0, "what the learners typed is not all on disk"


def test_a_learners_sit_goes_to_the_server_only_for_sit():
    from marker_tui.interfaces.cli.entry import _sit_arguments, socket_path

    assert _sit_arguments(["--db", "x.db", "sit", "304-DEMO", "--candidate", "1001"]) == (
        "x.db", ["304-DEMO", "--candidate", "1001"])
    assert _sit_arguments(["sit"]) == (None, [])
    assert _sit_arguments(["sit", "--help"]) is None
    assert _sit_arguments(["invigilate", "304-DEMO"]) is None
    assert socket_path("/srv/m/centre.db") == "/srv/m/centre-learners.sock"
