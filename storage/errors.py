"""Domain errors. Messages are English gettext msgids, translated by the chat layer."""

from typing import Any


def N_(message: str) -> str:
    """Marks a string for the translation catalog without translating it here."""
    return message


class CrmError(Exception):
    """An error whose message is safe and useful to show to the user."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return self.message.format(**self.params)


class ValidationFailed(CrmError):
    """The user's input cannot be stored as it is.

    Messages may say `{label}`: the chat layer fills in the field's name in the user's
    language.
    """

    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message, **params)
        self.field = field


class NotFound(CrmError):
    pass


class AccessDenied(CrmError):
    pass


class Conflict(CrmError):
    pass
