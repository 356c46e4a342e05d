"""The glossary of command verbs: what "describe", "explain"... ask of a learner."""

from __future__ import annotations

from pydantic import Field

from .base import Model, NonEmptyText


class CommandVerb(Model):
    verb: NonEmptyText
    asks: NonEmptyText = Field(description="What the verb asks the learner to do.")
    marker_note: str | None = Field(
        default=None, description="What a marker should look for to credit an answer."
    )


class CommandVerbGlossary(Model):
    verbs: list[CommandVerb]

    def lookup(self, verb: str) -> CommandVerb | None:
        key = verb.strip().lower()
        return next((v for v in self.verbs if v.verb.lower() == key), None)
