"""What the Web Serial widget tells a person whose browser or page cannot use it.

The widget's own module (``web_serial.js``) is loaded in Chromium and its ``unsupported()`` asked
about the windows of other browsers and pages: no JupyterLab needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

MODULE = Path(__file__).resolve().parents[2] / "hfwidgets" / "widgets" / "web_serial.js"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Safari/605.1.15"
)
VSCODE = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Code/1.85.1 "
    "Chrome/114.0 Electron/25.9.7 Safari/537.36"
)

ASK = """async ([source, win]) => {
    const url = URL.createObjectURL(new Blob([source], {type: 'text/javascript'}));
    const module = await import(url);
    const fake = {isSecureContext: win.secure, location: {protocol: 'http:', host: win.host},
                  navigator: {userAgent: win.ua, serial: win.serial ? {} : undefined}};
    return module.unsupported(fake);
}"""


def _ask(
    page: Page, ua: str, *, secure: bool = True, serial: bool = False
) -> dict[str, Any] | None:
    page.goto("about:blank")
    win = {"ua": ua, "secure": secure, "serial": serial, "host": "lab.example.org:8888"}
    answer: dict[str, Any] | None = page.evaluate(ASK, [MODULE.read_text(), win])
    return answer


@pytest.mark.parametrize(
    ("ua", "named"),
    [(FIREFOX, "Firefox"), (SAFARI, "Safari"), (VSCODE, "VS Code's notebook view")],
)
def test_a_browser_without_web_serial_is_named_with_what_to_do(
    page: Page, ua: str, named: str
) -> None:
    why = _ask(page, ua)
    assert why is not None
    assert why["reason"] == f"{named} has no Web Serial (navigator.serial)."
    assert "Chrome or Edge" in why["remedy"]
    assert "pick its port in the Sensor menu" in why["remedy"]


def test_a_page_that_is_not_a_secure_context_says_how_to_reach_it_securely(page: Page) -> None:
    why = _ask(page, CHROME, secure=False, serial=True)
    assert why is not None
    assert "http://lab.example.org:8888" in why["reason"]
    assert "not a secure context" in why["reason"]
    assert "ssh -L 8888:localhost:8888" in why["remedy"]


def test_chrome_on_a_secure_page_can(page: Page) -> None:
    assert _ask(page, CHROME, secure=True, serial=True) is None
