from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from logis.accounts.models import Organization, User
from logis.accounts.organizations import create_organization
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    yield


@pytest.fixture
def founder(db: None) -> User:
    return UserFactory(email="helene@example.com", language="fr")


@pytest.fixture
def organization(founder: User) -> Organization:
    return create_organization(actor=founder, name="Syndicat du 1200 Principale", kind="syndicate")


def image_file(
    fmt: str = "PNG", size: tuple[int, int] = (120, 40), name: str = "logo.png"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 80, 160)).save(buffer, format=fmt)
    content_type = "image/png" if fmt == "PNG" else "image/jpeg" if fmt == "JPEG" else "image/gif"
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)
