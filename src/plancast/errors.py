"""Errors a user can cause. Each carries one line that names the file, sheet, row, column or param key.

Stage scripts turn them into that one line on stderr and a non-zero exit; any other exception is our
bug and keeps its traceback.
"""


class PlancastError(Exception):
    """A problem with the user's input or params, explained in one line."""


class ParamsError(PlancastError):
    """A bad value in params.yaml; the message names the dotted key."""


class InputDataError(PlancastError):
    """A bad input file; the message names the file and, where known, sheet, row and column."""
