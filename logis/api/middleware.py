from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

API_PREFIX = "/api/"


def language_of(accept_language: str) -> str:
    """The first language of ``Accept-Language`` that Logis speaks (``en-CA`` → ``en``); French otherwise."""
    for code, _quality in parse_accept_lang_header(accept_language[:1000]):
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return str(settings.LANGUAGE_CODE)


class ApiLanguageMiddleware:
    """Under /api/ the language is the request's ``Accept-Language`` alone: an integration sends no
    language cookie and has no session, and its answers must not depend on one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        language = language_of(request.headers.get("Accept-Language", ""))
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
            response.headers["Content-Language"] = language
        return response
