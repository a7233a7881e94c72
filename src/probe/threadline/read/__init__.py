"""Read: what a finished trace answers (queries, assertions), how it looks (text, SVG, display) and
its export to Chrome Trace Event JSON. Works on the trace dict alone."""
