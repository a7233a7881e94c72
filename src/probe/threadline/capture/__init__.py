"""Capture: the hooks that see tasks, threads, locks and processes while a trace runs, the sampler
thread, and the C hot paths (with their pure-Python twins). They append raw values to a recorder."""
