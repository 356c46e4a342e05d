"""Bounded answers: the paper's limit per question, refused by the service, shown and kept to on screen."""

from __future__ import annotations

import pytest

from marker_tui.domain.paper import DEFAULT_MAX_ANSWER_CHARACTERS, QuestionPaper
from marker_tui.services.papers import PaperService
from marker_tui.services.learner import SaveRefused
from sitting_fixtures import Room, build_room, small_paper, small_scheme
from test_learner_screen import SIZE, answer_rows, learner_app, open_sitting, settle, writing

LIMIT = 40


@pytest.fixture
def limited(tmp_path) -> Room:
    """The room, on a paper whose question 1 allows LIMIT characters (the others the default)."""
    base = build_room(tmp_path / "centre.db")
    data = small_paper(version="2").model_dump()
    data["questions"][0]["max_answer_characters"] = LIMIT
    paper = PaperService(base.db, base.clock).store(QuestionPaper.model_validate(data), small_scheme(version="2"))
    room = Room(base.path, base.db, base.clock, paper)
    yield room
    room.db.close()


def test_the_limit_comes_from_the_question_then_the_paper_then_30000():
    data = small_paper().model_dump()
    assert QuestionPaper.model_validate(data).answer_limit("1") == DEFAULT_MAX_ANSWER_CHARACTERS == 30_000
    data["max_answer_characters"] = 5_000
    data["questions"][1]["max_answer_characters"] = 800
    paper = QuestionPaper.model_validate(data)
    assert (paper.answer_limit("1"), paper.answer_limit("2a")) == (5_000, 800)


def test_the_service_refuses_an_answer_over_the_limit_and_keeps_the_last_saved(limited):
    code = limited.running_sitting(["1001"])
    script = limited.script_id(code, "1001")
    limited.learners.save_answer(script, "1", "x" * LIMIT)
    with pytest.raises(SaveRefused, match=f"the limit is {LIMIT}"):
        limited.learners.save_answer(script, "1", "x" * (LIMIT + 1))
    assert answer_rows(limited, code, "1001") == {"1": "x" * LIMIT}
    # Another question keeps the default: a 3,000-word answer (~18,000 characters) is fine there.
    limited.learners.save_answer(script, "2a", "word " * 3_600)
    with pytest.raises(SaveRefused, match="30,000"):
        limited.learners.save_answer(script, "2a", "y" * 30_001)


async def test_typing_past_the_limit_is_refused_with_a_note_and_a_paste_is_cut(limited):
    code = open_sitting(limited, ["1001"])
    app = learner_app(limited, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, limited, code)
        hint = screen.query_one("#answer-hint")
        await pilot.press(*"a" * 30)
        assert str(hint.render()) == ""  # far from the limit: no counter
        await pilot.press(*"b" * 6)
        assert "4 of 40 characters left" in str(hint.render())  # the last 10%: the counter appears
        app.post_message(_paste("0123456789"))  # as the terminal sends it: to the app, on to the focused box
        await pilot.pause()
        editor = screen.query_one("#answer")
        assert editor.text == "a" * 30 + "b" * 6 + "0123"  # cut to fit; nothing typed before is lost
        assert "the rest of that paste was not added" in str(hint.render())
        await pilot.press("z")
        assert editor.text.endswith("0123")  # refused
        assert "limit of 40 characters is reached" in str(hint.render())
        await pilot.press("ctrl+n")  # moving on saves at once
        await settle(pilot)
        assert answer_rows(limited, code, "1001")["1"] == "a" * 30 + "b" * 6 + "0123"
        assert str(hint.render()) == ""  # question 2a: the default limit, far away
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert "0 of 40 characters left" in str(hint.render()) and "reached" not in str(hint.render())
        await pilot.press("end", "backspace")
        assert "1 of 40 characters left" in str(hint.render()) and "reached" not in str(hint.render())


def _paste(text: str):
    from textual.events import Paste

    return Paste(text)


async def test_a_paste_keeps_only_text_and_line_breaks(limited):
    """A paste from a web page or a terminal can carry escapes and control bytes: never stored."""
    code = open_sitting(limited, ["1001"])
    app = learner_app(limited, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, limited, code)
        await pilot.press("ctrl+n")  # question 2a: the default limit
        await pilot.pause()
        app.post_message(_paste("Isolate\x1b]0;pwned\x07 the\x01 supply\r\nLock\x9b off\rTest\tit"))
        await pilot.pause()
        editor = screen.query_one("#answer")
        assert editor.text == "Isolate]0;pwned the supply\nLock off\nTest\tit"
        await pilot.press("ctrl+b")  # moving away saves at once
        await settle(pilot)
        assert answer_rows(limited, code, "1001")["2a"] == "Isolate]0;pwned the supply\nLock off\nTest\tit"
