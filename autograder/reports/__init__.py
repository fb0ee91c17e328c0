"""Everything a ``GradeReport`` is rendered into, one module each: the
terminal ``table``, Gradescope's ``results_json``, ``junit`` XML, the
students' ``feedback`` pages (with the ``curves`` they plot) and the GitHub
``classroom`` reporter's runner result.  Each is a function of the report's
fields; none reads another's output."""
