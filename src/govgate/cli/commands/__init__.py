"""One module per command: ``cmd_<command>(args, out, err) -> exit code``.

Each builds the use case's settings from the options (:mod:`govgate.cli.options`), calls the
use case, and prints its outcome. No decision, no file format and no exit-code rule lives here.
"""
