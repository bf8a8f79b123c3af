"""Socket.IO over a real connection to the server that `make run` starts."""

from __future__ import annotations

import socketio


def test_websocket_connects_to_the_running_server(live_server):
    client = socketio.Client(reconnection=False)
    connected = []
    client.on("connect", lambda: connected.append(True), namespace="/live")
    client.connect(live_server.base_url, namespaces=["/live"], transports=["websocket"], wait_timeout=10)
    try:
        assert client.transport() == "websocket"
        assert connected == [True]
        assert client.connected
    finally:
        client.disconnect()


def test_long_polling_fallback_works_too(live_server):
    client = socketio.Client(reconnection=False)
    client.connect(live_server.base_url, namespaces=["/live"], transports=["polling"], wait_timeout=10)
    try:
        assert client.transport() == "polling" and client.connected
    finally:
        client.disconnect()
