"""Task fates and who awaits whom (trace schema v2): outcomes with reasons, the awaits table, and
the API on top of them."""

from __future__ import annotations

import asyncio
import json

import pytest
from conftest import validate

import threadline
from threadline.read.upgrade import TraceVersionError
from threadline.schema import TRACE_SCHEMA_VERSION


def test_a_v1_trace_is_read_as_v2():
    with threadline.trace(display=False) as t:
        asyncio.run(asyncio.sleep(0))
    saved = json.loads(t.to_json())
    v1 = {**saved, "version": 1, "ends": {k: v for k, v in saved["ends"].items() if k not in ("reason", "by")}}
    del v1["awaits"]
    upgraded = threadline.Trace(v1).data
    validate(upgraded)
    assert upgraded["version"] == TRACE_SCHEMA_VERSION
    assert upgraded["ends"]["lane"], "the task's end"
    assert upgraded["ends"]["reason"] == upgraded["ends"]["by"] == [-1] * len(upgraded["ends"]["lane"])
    assert upgraded["awaits"] == {"lane": [], "target": [], "start": [], "end": []}


def test_a_trace_from_a_newer_threadline_is_refused_with_what_to_do():
    with pytest.raises(TraceVersionError, match="upgrade threadline"):
        threadline.Trace({"version": TRACE_SCHEMA_VERSION + 1})
