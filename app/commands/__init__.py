"""One module per ``nadir`` sub-command.

Each module defines ``NAME``, ``add_parser(subparsers)`` and ``run(args) -> int``.
Heavy imports stay inside ``run`` so that ``nadir --help`` is fast.
"""
