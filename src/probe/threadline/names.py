"""Names shared with the extension and the grader (mirror of src/protocol/names.ts)."""

TRACE_MIME = "application/vnd.threadline.trace+json"
TRACE_COMM_TARGET = "threadline.trace"
METER_COMM_TARGET = "threadline.meter"
KERNEL_NAME = "threadline"
