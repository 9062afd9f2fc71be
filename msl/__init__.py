"""The ``msl`` command line: a thin layer over ``theory``, ``proofs_check`` and ``empirical``.

Each sub-command lives in its own module of :mod:`msl.commands`; it parses and validates
its arguments and calls the packages' public functions.  No science lives here.
"""
