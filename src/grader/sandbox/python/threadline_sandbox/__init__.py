"""What runs inside a grading kernel, or starts it: the grader's own Python.

- `launcher`: sets a kernel's OS limits, isolates it from the machine, then becomes the kernel;
- `guard`: installed in each grading kernel before any student code, it keeps tests honest.

The grader (src/grader/sandbox/pythonPackage.ts) sends each module's text to Python (`python -c`,
an execute request): a kernel never imports them from disk, where a submission could stand in for
them. So each module needs only the standard library, and nothing of the other.
"""
