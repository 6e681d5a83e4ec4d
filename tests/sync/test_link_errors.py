"""Why the province could not be reached, said in plain Chinese from real failed requests: never an
English class name, and never a captive portal blamed for a refused connection or a TLS failure."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest
import requests

from desktop.sync.client import NotConnected, SyncClient
from desktop.sync.link_errors import CAPTIVE_PORTAL, link_problem


def failure_of(url: str, **kwargs) -> BaseException:
    try:
        requests.get(url, timeout=kwargs.pop("timeout", 5), **kwargs)
    except requests.RequestException as error:
        return error
    raise AssertionError("the request should have failed")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_address_without_https_says_how_to_write_it():
    assert "https://" in link_problem(failure_of("guopei.example.gov.cn"))


def test_a_refused_connection_says_the_server_is_not_running():
    text = link_problem(failure_of(f"http://127.0.0.1:{closed_port()}/v1/pull"))
    assert "拒绝连接" in text and CAPTIVE_PORTAL not in text


def test_a_tls_failure_says_the_encrypted_connection_failed():
    # A listener that answers the TLS handshake with plain text: what an intercepting box looks like.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def answer() -> None:
        connection, _ = listener.accept()
        connection.recv(1024)
        connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        connection.close()

    threading.Thread(target=answer, daemon=True).start()
    try:
        text = link_problem(failure_of(f"https://127.0.0.1:{listener.getsockname()[1]}/"))
    finally:
        listener.close()
    assert "加密连接" in text


def test_an_unknown_host_says_it_cannot_be_found():
    assert "找不到省级平台" in link_problem(failure_of("https://guopei.invalid/"))


def test_ssl_errors_found_through_the_chain_of_causes():
    wrapped = requests.exceptions.ConnectionError(ssl.SSLError("handshake failure"))
    assert "加密连接" in link_problem(wrapped)


def test_the_sync_client_raises_it_in_chinese(empty_db):
    client = SyncClient(empty_db, f"http://127.0.0.1:{closed_port()}", "token")
    with pytest.raises(NotConnected) as caught:
        client.pull()
    message = str(caught.value)
    assert message.startswith("未连接到省级平台：") and "拒绝连接" in message
    assert "ConnectionError" not in message
