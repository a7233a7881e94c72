"""200,000 short asyncio tasks (gather of 1,000 at a time), traced or not; prints the max RSS in kB
and, traced, the trace's event count and what it dropped (used by test_transparency.py)."""

from __future__ import annotations

import asyncio
import json
import resource
import sys

TASKS = 200_000
BATCH = 1_000


async def short(i: int) -> int:
    await asyncio.sleep(0)
    return i


async def main() -> None:
    for start in range(0, TASKS, BATCH):
        await asyncio.gather(*(short(i) for i in range(start, start + BATCH)))


if __name__ == "__main__":
    out: dict[str, object] = {}
    if "--trace" in sys.argv:
        import threadline

        with threadline.trace(display=False) as t:
            asyncio.run(main())
        rec = t.recorder
        assert rec is not None
        out.update(events=rec.events, dropped=rec.dropped, lanes=len(rec.lane_names))
    else:
        asyncio.run(main())
    out["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(out))
