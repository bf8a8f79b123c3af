"""The job-runner wiring: publishing enqueues a send, and the queued task delivers."""

from __future__ import annotations

from app.jobs.queue import huey
from app.webhooks import tasks


def test_publishing_enqueues_a_send_that_delivers(app, db, receiver, make_endpoint, publish):
    make_endpoint()
    huey.flush()
    uid = publish()
    queued = [t for t in huey.pending() if t.name == tasks.deliver_due_task.task_class.__name__]
    assert len(queued) == 1  # one task per publishing commit, not one per delivery
    huey.flush()
    assert huey.execute(queued[0]) == 1
    assert receiver.acknowledged() == {uid: 1}


def test_the_sweep_is_registered_with_the_runner(app):
    assert tasks.deliver_due_sweep.task_class.__name__ in huey.frequent
