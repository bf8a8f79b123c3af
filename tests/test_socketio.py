"""Socket.IO is wired in: events queued in a transaction reach clients after commit only."""

from __future__ import annotations

from flask_socketio import join_room

from app.extensions import socketio
from app.realtime import queue_event


def test_events_are_emitted_after_commit_and_dropped_on_rollback(app, client, db):
    @socketio.on("join", namespace="/live")
    def join(data):
        join_room(data["room"], namespace="/live")
        return {"ok": True}

    sio = socketio.test_client(app, namespace="/live", flask_test_client=client)
    assert sio.is_connected("/live")
    assert sio.emit("join", {"room": "location:1"}, namespace="/live", callback=True) == {"ok": True}

    queue_event(db.session, "test:changed", {"n": 1}, room="location:1")
    assert sio.get_received("/live") == []  # nothing before the commit
    db.session.rollback()
    queue_event(db.session, "test:changed", {"n": 2}, room="location:1")
    db.session.commit()
    received = sio.get_received("/live")
    assert [(r["name"], r["args"][0]) for r in received] == [("test:changed", {"n": 2})]
    sio.disconnect(namespace="/live")


def test_a_savepoint_neither_sends_early_nor_loses_what_came_before_it(app, client, db):
    @socketio.on("join", namespace="/live")
    def join(data):
        join_room(data["room"], namespace="/live")
        return {"ok": True}

    sio = socketio.test_client(app, namespace="/live", flask_test_client=client)
    sio.emit("join", {"room": "location:2"}, namespace="/live", callback=True)

    def names():
        return [r["args"][0]["n"] for r in sio.get_received("/live")]

    queue_event(db.session, "test:changed", {"n": "before"}, room="location:2")
    with db.session.begin_nested():
        queue_event(db.session, "test:changed", {"n": "kept"}, room="location:2")
    assert names() == []  # a released savepoint commits nothing yet
    try:
        with db.session.begin_nested():
            queue_event(db.session, "test:changed", {"n": "undone"}, room="location:2")
            raise RuntimeError("the savepoint fails")
    except RuntimeError:
        pass
    db.session.commit()
    assert names() == ["before", "kept"]
    # And when the whole transaction rolls back after a savepoint, nothing is sent.
    queue_event(db.session, "test:changed", {"n": "lost"}, room="location:2")
    with db.session.begin_nested():
        queue_event(db.session, "test:changed", {"n": "lost too"}, room="location:2")
    db.session.rollback()
    db.session.commit()
    assert names() == []
    sio.disconnect(namespace="/live")
