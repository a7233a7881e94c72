"""The output cap, installed in each grading kernel before the guard (outputCap.ts sends this text,
then calls `_threadline_output_cap`).

A cell that prints 200 MB would have it serialized, signed and sent, and the grader would receive
and parse it: seconds, where the cell itself took milliseconds. Here the kernel keeps at most
`cell_limit` characters of output per cell and `notebook_limit` per notebook, cuts the rest
before it is serialized, and says so once in the cell's output. Everything a cell shows leaves
through the session's send (streams, displays, results), so the cap sits there: an attribute of
the session the guard's snapshot, taken after this, puts back before each test cell. A student
who gets around it only slows their own grading: the grader keeps caps of its own.
"""


def _threadline_output_cap(cell_limit, notebook_limit):
    import json

    ip = get_ipython()  # noqa: F821 - run inside IPython
    session = ip.kernel.session
    used = {"cell": None, "in_cell": 0, "total": 0, "marked": None}
    # a test cell's result is its score (partial credit): a short one always goes through
    always = 1024

    def room(cell):
        if cell != used["cell"]:
            used.update(cell=cell, in_cell=0)
        return max(0, min(cell_limit - used["in_cell"], notebook_limit - used["total"]))

    def spend(size):
        used["in_cell"] += size
        used["total"] += size

    def note(cell):
        """The truncation, said once per cell."""
        if used["marked"] == cell:
            return ""
        used["marked"] = cell
        scope, limit = ("cell", cell_limit) if used["in_cell"] >= cell_limit else ("notebook", notebook_limit)
        return (
            f"\n[output truncated: the {scope}'s output limit of {limit} characters was reached;"
            " the rest is not kept]\n"
        )

    def bundle_size(data):
        return sum(len(v) if isinstance(v, str) else len(json.dumps(v, default=str)) for v in data.values())

    def cap_stream(cell, content):
        text = content.get("text")
        if not isinstance(text, str):
            return
        size, allowed = len(text), room(cell)
        spend(min(size, allowed))
        if size > allowed:
            said = note(cell)  # within the limit: the grader's own cap must not cut it
            content["text"] = text[: max(0, allowed - len(said))] + said

    def cap_display(cell, msg_type, content):
        data = content.get("data")
        if not isinstance(data, dict):
            return
        size, allowed = bundle_size(data), room(cell)
        if size <= allowed or (msg_type == "execute_result" and size <= always):
            spend(size)
        else:
            spend(allowed)
            content["data"] = {"text/plain": note(cell) or "[output truncated]"}

    send = type(session).send

    def capped_send(stream, msg_or_type, content=None, parent=None, *rest, **options):
        msg = msg_or_type if isinstance(msg_or_type, dict) else None
        msg_type = msg["header"]["msg_type"] if msg else msg_or_type
        body = msg["content"] if msg else content
        if isinstance(body, dict) and msg_type in ("stream", "display_data", "update_display_data", "execute_result"):
            header = (msg or {}).get("parent_header") or parent or {}
            cell = (header.get("header") or header).get("msg_id")
            if msg_type == "stream":
                cap_stream(cell, body)
            else:
                cap_display(cell, msg_type, body)
        return send(session, stream, msg_or_type, content, parent, *rest, **options)

    session.send = capped_send
