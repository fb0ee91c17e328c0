"""Errors meant for the person running ``mlpkit``: a leaf module that every
layer may raise from and none needs to import anything else for.

The command line (``autograder/cli.py``) catches ``UserError`` and prints
its message as one line (``mlpkit: error: ...``), exit status 2, no
traceback.  Each subclass names the layer that found the problem, so a
library caller can catch just the ones it expects.
"""
from __future__ import annotations


class UserError(Exception):
    """A problem the caller can fix, said in one line."""


class CourseError(UserError):
    """No course folder here, or one without what a command needs
    (an instructor notebook, ``nbgrader_config.py``...)."""


class UsageError(UserError):
    """Arguments that cannot be right (an unknown stage, ``--jobs 0``...)."""


class GradingError(UserError):
    """Grading could not start at all (no such submission...)."""


class BatchError(UserError):
    """A class cannot be graded as asked (no student folders...)."""


class GradebookMismatch(BatchError):
    """A gradebook started with other settings than this run's."""


class BundleError(UserError):
    """The Gradescope autograder zip cannot be built."""


class ReleaseError(UserError):
    """The student release cannot be written."""
