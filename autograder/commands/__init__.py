"""One module per ``mlpkit`` verb (see ``autograder/cli.py``): its one-line
``HELP``, ``add_arguments(parser)`` and ``run(args, course) -> int``.  A
command turns arguments into a library call and its result into output;
the work itself lives in the subsystems."""
