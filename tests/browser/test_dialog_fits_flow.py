"""Issue 14: the « Créer une facture » dialog keeps its buttons in view on a laptop screen.

At 1366×768 the warning for a unit without a primary resident, or the errors after « Créer une facture »,
made the form taller than the window: the dialog clipped it and the buttons could not be reached. The
dialog's body now scrolls and its footer stays visible, whatever the window's height.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from logis.core.permissions import Role
from tests.browser.helpers import axe_violations, open_dialog
from tests.factories import OccupancyFactory, PropertyFactory, ResidentFactory, UnitFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"  # tests.factories.UserFactory's password


def _reachable(page: Page, button: Locator) -> None:
    """In the window, not clipped by the dialog, and what a click at its centre lands on."""
    expect(button).to_be_in_viewport(ratio=1)
    box = button.bounding_box()
    assert box is not None
    viewport = page.viewport_size
    assert viewport is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (box, viewport)
    hit = button.evaluate(
        """(el) => { const r = el.getBoundingClientRect();
        const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return top === el || el.contains(top); }"""
    )
    assert hit, "another element covers the button"


@pytest.mark.parametrize("size", [(1366, 768), (1280, 720)], ids=["1366x768", "1280x720"])
def test_create_dialog_buttons_stay_in_view_with_the_warning_and_the_errors(
    page: Page, login: Callable[[Page, str, str], None], size: tuple[int, int]
) -> None:
    prop = PropertyFactory(name="Les Jardins du Parc", timezone="America/Toronto")
    OccupancyFactory(
        unit=UnitFactory(property=prop, number="101"),
        resident=ResidentFactory(property=prop, name="Marie Tremblay"),
        is_primary=True,
    )
    UnitFactory(property=prop, number="112")
    member(prop, Role.MANAGER, email="gestionnaire@example.com", language="fr")
    page.set_viewport_size({"width": size[0], "height": size[1]})
    login(page, "gestionnaire@example.com", PASSWORD)
    page.goto(f"/p/{prop.pk}/invoices/")

    dialog = open_dialog(page, page.get_by_role("button", name="Créer une facture", exact=True).click)
    expect(dialog).to_have_accessible_name("Créer une facture")
    dialog.get_by_label("Unité", exact=True).select_option(label="112")
    expect(dialog.get_by_role("alert")).to_contain_text("pas de résident principal")
    submit = dialog.get_by_role("button", name="Créer une facture", exact=True)
    close = dialog.get_by_role("button", name="Fermer", exact=True)
    _reachable(page, submit)
    _reachable(page, close)
    assert axe_violations(page) == []  # the open dialog, warning shown, passes axe-core (WCAG 2.1 AA)

    # Sent empty: an error beside every field, the warning still there, the buttons still in reach.
    submit.click()
    expect(dialog.get_by_text(re.compile("obligatoire|requis", re.IGNORECASE)).first).to_be_visible()
    expect(dialog.get_by_role("alert").first).to_be_visible()
    _reachable(page, dialog.get_by_role("button", name="Créer une facture", exact=True))
    _reachable(page, dialog.get_by_role("button", name="Fermer", exact=True))
    # The body scrolls to the last field, and the footer does not move.
    notify = dialog.get_by_label(re.compile("Envoyer une notification par courriel"))
    notify.scroll_into_view_if_needed()
    expect(notify).to_be_in_viewport()
    _reachable(page, dialog.get_by_role("button", name="Créer une facture", exact=True))
