"""A finished trace as a Jupyter display output: the trace itself under its MIME type (drawn by the
extension, saved in the notebook), a text summary and a static SVG where the extension is absent."""

from __future__ import annotations

from typing import Any

from ..schema import TRACE_MIME
from .render import summary_text, svg_timeline


def bundle(data: dict[str, Any]) -> dict[str, Any]:
    return {TRACE_MIME: data, "text/plain": summary_text(data), "image/svg+xml": svg_timeline(data)}


def in_ipython() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None
    except Exception:  # IPython missing or broken: there is nowhere to show it
        return False


def display_trace(data: dict[str, Any]) -> None:
    """Show the trace in the running IPython; outside IPython there is nowhere to show it."""
    if not in_ipython():
        return
    from IPython.display import display

    display(bundle(data), raw=True)
