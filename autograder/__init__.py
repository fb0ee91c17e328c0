"""The kit's tooling: the ``mlpkit`` command line and (to come) the grading engine."""
