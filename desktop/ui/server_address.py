"""How the province's address is shown to a person: the plain address, and, when the registration QR
pinned the province's certificate (`#sha256=…` in the stored address, guopei_common.protocol), a short
note with the start and end of its fingerprint instead of 64 hex digits in the middle of a sentence."""

from __future__ import annotations

from guopei_common.protocol import MalformedPin, split_pin


def pin_note(fingerprint: str) -> str:
    """已固定证书（SHA-256 3f9a…c41d）."""
    return f"已固定证书（SHA-256 {fingerprint[:4]}…{fingerprint[-4:]}）"


def split_address(url: str) -> tuple[str, str | None]:
    """(plain address, pinned fingerprint or None); a malformed pin shows as no pin (the client refuses
    to connect with it anyway, and says why)."""
    try:
        return split_pin(url)
    except MalformedPin:
        return url.strip().partition("#")[0], None


def address_text(url: str) -> str:
    """https://guopei.example.gov.cn，已固定证书（SHA-256 3f9a…c41d）, or the plain address alone."""
    address, fingerprint = split_address(url)
    return f"{address}，{pin_note(fingerprint)}" if fingerprint else address
