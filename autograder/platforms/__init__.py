"""Grading where a platform runs it: Gradescope's autograder bundle and its
runtime.  (GitHub Classroom needs no code of its own beyond the
``mlpkit classroom`` verb and ``reports/classroom.py``.)"""
