"""Grading a class: ``planning`` (students, who is graded and why, seeds,
jobs), ``submissions`` (what each student handed in), ``digests`` (what
grades depend on), ``workers`` (one student graded and written, in a
worker process), ``gradebook`` (the SQLite record only the main process
writes), ``grades`` (the final grade: written answers, late penalty,
override), ``nbgrader_link`` and ``nbgrader_export`` (nbgrader's
gradebook and export plugins), ``lms`` (Canvas and Moodle files) and
``run`` (the pipeline that ties them together)."""
