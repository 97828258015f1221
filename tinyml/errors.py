"""Errors a user can act on.

Every error that reaches the user names what was wrong (file, field), what was
seen, and how to fix it. The CLI prints these without a traceback.
"""


class TinymlError(Exception):
    """A problem with the user's input or environment, explained for them."""

    def __init__(self, message: str, *, fix: str | None = None):
        self.fix = fix
        super().__init__(message if fix is None else f"{message}\n  fix: {fix}")
