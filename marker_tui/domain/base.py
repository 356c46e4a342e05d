"""Shared building blocks for the assessment-file models.

Every file that crosses a boundary is a pydantic model; these helpers keep the
models strict (unknown fields are mistakes, not extensions) while letting YAML
authors write ``unit: 304`` or ``id: 1`` without quoting.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints


def _number_to_text(value: object) -> object:
    # YAML reads `304` or `2` as numbers; identifiers are text everywhere else.
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return value


Identifier = Annotated[
    str,
    BeforeValidator(_number_to_text),
    StringConstraints(strip_whitespace=True, min_length=1),
]
"""A unit number, question id, criterion reference or version: always text."""

NonEmptyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Model(BaseModel):
    """Base for assessment-file models: unknown fields are refused, values are frozen."""

    # NaN and infinity are never a mark, a weighting or a time: refuse them where a number is expected.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
