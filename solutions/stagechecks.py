"""The student kit's ``stagechecks``, for the instructor's notebooks.

The last cell of every stage notebook imports ``stagechecks`` from the
folder above the notebook's: in the release that is the kit itself
(``assignments/stagechecks.py``, copied by ``mlpkit release``); here in
``solutions/`` it is this file, which takes the kit from the installed
``mlpkit``.  It is no stage's file, so nbgrader never releases it.
"""
from autograder.student_kit.stagechecks import check_stage  # noqa: F401
