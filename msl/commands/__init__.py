"""One module per ``msl`` sub-command; see :mod:`msl.cli`."""
