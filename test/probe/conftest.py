"""Shared helpers for the probe tests: schema validation and small trace accessors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from threadline.schema import TABLE_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "src" / "protocol" / "traceSchema.json").read_text())


def validate(doc: dict[str, Any]) -> None:
    """Validate a Trace or TraceChunk against the schema, plus the equal-length-columns rule."""
    jsonschema.validate(doc, SCHEMA)
    for table in TABLE_COLUMNS:
        lengths = {len(col) for col in doc[table].values()}
        assert len(lengths) <= 1, f"columns of {table} differ in length: {lengths}"


def s(trace: dict[str, Any], index: int) -> str:
    return trace["strings"][index] if index >= 0 else ""


def lanes_named(trace: dict[str, Any], name: str) -> list[int]:
    return [i for i, n in enumerate(trace["lanes"]["name"]) if s(trace, n) == name]


def rows(trace: dict[str, Any], table: str) -> list[dict[str, Any]]:
    cols = trace[table]
    keys = list(cols)
    return [dict(zip(keys, values, strict=True)) for values in zip(*(cols[k] for k in keys), strict=True)]


@pytest.fixture
def schema() -> dict[str, Any]:
    return SCHEMA
