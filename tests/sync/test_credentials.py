"""The device token goes to the OS keyring where one is usable, else to a file only the user can read."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from desktop.sync.credentials import FILENAME, Credentials, load_credentials, save_credentials


class MemoryKeyring(KeyringBackend):
    """A keyring backend kept in memory: the keyring API's own extension point, as Windows Credential
    Manager or the Secret Service plug in."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    original = keyring.get_keyring()
    yield
    keyring.set_keyring(original)


def test_without_a_keyring_the_token_is_in_a_file_only_the_user_reads(
    tmp_path: Path, restore_keyring: None
) -> None:
    keyring.set_keyring(fail.Keyring())
    path = save_credentials(tmp_path, Credentials("http://province:8700", "secret-token"))

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8"))["token"] == "secret-token"
    assert load_credentials(tmp_path) == Credentials("http://province:8700", "secret-token")


def test_with_a_keyring_the_file_holds_no_token(tmp_path: Path, restore_keyring: None) -> None:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    save_credentials(tmp_path, Credentials("http://province:8700", "secret-token"))

    assert "secret-token" not in (tmp_path / FILENAME).read_text(encoding="utf-8")
    assert list(memory.secrets.values()) == ["secret-token"]
    assert load_credentials(tmp_path) == Credentials("http://province:8700", "secret-token")
    # The keyring entry gone (the user cleared it): no credentials, so the app asks for a new code.
    memory.secrets.clear()
    assert load_credentials(tmp_path) is None
