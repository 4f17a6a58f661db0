"""What govgate does, as functions: settings in, an outcome out; nothing printed, no exit.

The command line (``govgate.cli``) parses options into the settings dataclasses here, calls one
function, prints its outcome and exits with the code the outcome computes. A harness, a server
or a test calls the same functions and gets the same outcome, without a terminal.
"""
