"""Shared payload types. Free text is bounded and may not contain NUL (PostgreSQL refuses it)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import Field, StringConstraints

Text = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")]
ShortText = Annotated[str, StringConstraints(max_length=60, pattern=r"^[^\x00]*$")]
Limit = Annotated[int, Field(ge=1, le=200)]
Cursor = Annotated[str, StringConstraints(max_length=500, pattern=r"^[A-Za-z0-9_:.\-]*$")]
# Dates outside this range are almost surely typos and would overflow date arithmetic.
SaneDate = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))]


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
