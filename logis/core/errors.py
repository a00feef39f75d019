"""Domain errors raised by services; views turn them into messages, 403 or 404 — never a 500."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.functional import Promise


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, message: str | Promise = "") -> None:
        super().__init__(str(message))
        self.message = message


class PermissionDenied(DomainError):
    """The actor's role on the property does not allow the action."""


class NotFound(DomainError):
    """The object does not exist, or belongs to a property the actor holds no role on."""


class InvalidTransition(DomainError):
    """The object's current state does not allow the action (publish a void invoice...)."""


class ValidationError(DomainError):
    """Input refused; ``errors`` maps field names (or ``"__all__"``) to messages."""

    def __init__(self, errors: Mapping[str, Sequence[str | Promise] | str | Promise]) -> None:
        normalized: dict[str, list[str | Promise]] = {}
        for field, messages in errors.items():
            if isinstance(messages, str | Promise):
                normalized[field] = [messages]
            else:
                normalized[field] = list(messages)
        first = next(iter(normalized.values()), [""])
        super().__init__(first[0] if first else "")
        self.errors = normalized
