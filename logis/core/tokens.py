"""Secret links and API tokens are stored as their SHA-256 only: the secret itself exists in one email or
one page shown once. One function, so invitations (residents, staff) and API tokens hash alike."""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    """The hex SHA-256 of the secret, as stored in a ``token_hash`` column and looked up by it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
