"""A pinned address that is not one is the user's to fix, said in words; the 同步 page still shows it."""

from __future__ import annotations

import pytest

from desktop.sync.client import server_address
from desktop.ui.server_address import address_text
from guopei_common.errors import UserError
from guopei_common.protocol import MalformedPin, pinned_url, split_pin

FINGERPRINT = "3f9a" + "0" * 56 + "c41d"


def test_a_pin_comes_apart_from_its_address() -> None:
    url = pinned_url("https://guopei.example.gov.cn", FINGERPRINT)
    assert split_pin(url) == ("https://guopei.example.gov.cn", FINGERPRINT)
    assert address_text(url) == "https://guopei.example.gov.cn，已固定证书（SHA-256 3f9a…c41d）"


def test_a_malformed_pin_is_a_user_error_and_shows_as_no_pin() -> None:
    url = "https://guopei.example.gov.cn#sha256=123"
    with pytest.raises(MalformedPin, match="证书指纹格式不对") as refused:
        server_address(url)
    assert isinstance(refused.value, UserError)
    assert address_text(url) == "https://guopei.example.gov.cn"
