"""The kit's tooling: the ``mlpkit`` command line, the nbgrader release,
the sandboxed grading engine and class-wide batch grading.

See docs/grading.md for the engine and docs/batch-grading.md for batches.
"""
