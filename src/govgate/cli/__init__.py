"""The command line: parse -> settings -> one use case -> print -> exit code.

``main`` (in :mod:`govgate.cli.main`) is the console script. The grammar is in ``parser``,
option parsing into typed settings in ``options``, what each command prints in
``commands/<command>.py``; the work itself is in :mod:`govgate.usecases`, which never prints.
This package is the only code that prints, reads ``os.environ`` or decides an exit code.
"""

from govgate.cli.main import main

__all__ = ["main"]
