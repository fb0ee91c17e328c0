"""Grading a class: ``planning`` (students, seeds, jobs), ``workers`` (one
student graded and written, in a worker process), ``gradebook`` (the
SQLite record only the main process writes) and ``run`` (the pipeline
that ties them together)."""
