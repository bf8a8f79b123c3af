"""``python -m kiosk`` against the real server: every scan recorded exactly once, in order.

Through a server stopped (or killed) and started again mid-run, and through the kiosk program being killed
mid-send and started again on the same outbox.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.outbox import Outbox
from kiosk.samples import DEGRADATIONS, write_frames
from tests.kiosk_client.conftest import ROOT, Store, kiosk_command, run_kiosk, wait_for
from tests.live_server import free_port

pytestmark = pytest.mark.slow


def kiosk_args(store: Store, images: Path, outbox: Path, *extra: str, token: str | None = None) -> list[str]:
    token = token or store.token
    return ["--server", store.url, "--token", token, "--images", str(images), "--outbox", str(outbox), *extra]


def shelf(store: Store, count: int) -> list[tuple[str, str]]:
    """(code, sku) of distinct shelf labels, then old barcodes, ``count`` in all."""
    codes = [(label["url"], label["sku"]) for label in store.labels]
    codes += [(product["barcode"], product["sku"]) for product in store.products if product["barcode"]]
    return codes[:count]


def outbox_rows(path: Path) -> list[tuple[str, str, str, int]]:
    """(code, client id, status, attempts) of every row, read as another program would."""
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute(
            "SELECT json_extract(payload, '$.code'), client_id, status, attempts FROM outbox ORDER BY seq"
        )
        return list(rows)


def waiting(path: Path) -> int:
    return sum(status == "waiting" for _, _, status, _ in outbox_rows(path))


def test_degraded_images_are_recorded_once_each_with_their_product(live_store, tmp_path, since):
    labels = [(label["url"], label["sku"]) for label in live_store.labels[: len(DEGRADATIONS)]]
    barcodes = [(p["barcode"], p["sku"]) for p in live_store.products[20:26]]
    barcode_sets = ["clean", "small", "rotated", "blurred", "noisy", "jpeg"]
    items = [(code, d) for (code, _), d in zip(labels, DEGRADATIONS, strict=True)]
    items += [(code, d) for (code, _), d in zip(barcodes, barcode_sets, strict=True)]
    write_frames(tmp_path / "images", items)

    done = run_kiosk(*kiosk_args(live_store, tmp_path / "images", tmp_path / "outbox.sqlite3", "--once"))

    assert done.returncode == 0, done.stderr
    recorded = live_store.recorded(since)
    assert [(s["code"], s["sku"]) for s in recorded] == labels + barcodes
    assert {s["outcome"] for s in recorded} == {"product"}
    assert [s["symbology"] for s in recorded] == ["QRCODE"] * len(labels) + ["EAN13"] * len(barcodes)
    assert all(s["seen_at"] and s["client_id"] for s in recorded)
    assert "outbox: 0 waiting, 15 sent" in done.stderr


@pytest.mark.parametrize("how", ["stopped", "killed"])
def test_a_server_restart_mid_run_loses_and_doubles_nothing(live_store, tmp_path, since, how):
    codes = [code for code, _ in shelf(live_store, 24)]
    write_frames(tmp_path / "images", [(code, "clean") for code in codes])
    outbox = tmp_path / "outbox.sqlite3"
    args = kiosk_args(live_store, tmp_path / "images", outbox, "--once", "--interval", "0.1", "--wait-timeout", "60")
    log_path = tmp_path / "kiosk.log"
    with log_path.open("w") as log_file:
        kiosk = subprocess.Popen(kiosk_command(*args), cwd=ROOT, stderr=log_file)
    try:
        wait_for(lambda: len(live_store.recorded(since)) >= 4, what="the first scans", log=log_path)
        if how == "stopped":
            live_store.stop()
        else:
            live_store.kill()
        # The kiosk goes on reading images while the server is away.
        wait_for(lambda: waiting(outbox) >= 3, what="scans to pile up", log=log_path)
        assert kiosk.poll() is None
        live_store.start()
        kiosk.wait(timeout=60)
    finally:
        kiosk.kill()
    log = log_path.read_text()
    assert kiosk.returncode == 0, log
    assert [s["code"] for s in live_store.recorded(since)] == codes
    assert "the server answers again" in log


def test_a_kiosk_killed_mid_send_sends_each_scan_once_after_a_restart(live_store, tmp_path, since):
    codes = [code for code, _ in shelf(live_store, 30)]
    write_frames(tmp_path / "images", [(code, "clean") for code in codes])
    outbox = tmp_path / "outbox.sqlite3"
    args = kiosk_args(live_store, tmp_path / "images", outbox, "--interval", "0.02")
    kiosk = subprocess.Popen(kiosk_command(*args), cwd=ROOT, stderr=subprocess.DEVNULL)

    def mid_send() -> bool:
        try:
            rows = outbox_rows(outbox)
        except sqlite3.OperationalError:  # the kiosk has not made the file yet
            return False
        in_flight = any(status == "waiting" and attempts > 0 for _, _, status, attempts in rows)
        return sum(status == "sent" for _, _, status, _ in rows) >= 3 and in_flight

    try:
        wait_for(mid_send, what="a scan being sent")
        kiosk.send_signal(signal.SIGKILL)
        kiosk.wait(timeout=10)
    finally:
        kiosk.kill()
    before = outbox_rows(outbox)
    assert any(status == "waiting" for _, _, status, _ in before)

    (tmp_path / "nothing-new").mkdir()
    done = run_kiosk(*kiosk_args(live_store, tmp_path / "nothing-new", outbox, "--once"))

    assert done.returncode == 0, done.stderr
    after = outbox_rows(outbox)
    assert [(code, client_id) for code, client_id, _, _ in after] == [(code, cid) for code, cid, _, _ in before]
    assert {status for _, _, status, _ in after} == {"sent"}
    recorded = live_store.recorded(since)
    assert [(s["code"], s["client_id"]) for s in recorded] == [(code, cid) for code, cid, _, _ in after]
    assert [s["code"] for s in recorded] == codes[: len(recorded)]


def test_a_scan_the_server_refuses_is_set_aside_and_the_rest_go_on(live_store, tmp_path, since, capsys):
    (good, _), (other, _) = shelf(live_store, 2)
    outbox = tmp_path / "outbox.sqlite3"
    with Outbox(outbox) as box:
        box.add({"code": good, "symbology": "QRCODE"})
        box.add({"code": "X" * 600, "symbology": "QRCODE"})
        box.add({"code": other, "symbology": "QRCODE"})
    (tmp_path / "images").mkdir()

    done = run_kiosk(*kiosk_args(live_store, tmp_path / "images", outbox, "--once"))

    assert done.returncode == 0, done.stderr
    assert [row[2] for row in outbox_rows(outbox)] == ["sent", "rejected", "sent"]
    assert [s["code"] for s in live_store.recorded(since)] == [good, other]
    assert "rejected #2" in done.stderr
    assert main(["status", "--outbox", str(outbox)]) == 0
    printed = capsys.readouterr().out
    assert "0 waiting, 2 sent, 1 rejected" in printed and "rejected: #2" in printed and "invalid_scan" in printed


def test_a_scan_sent_again_after_a_lost_answer_is_recorded_once(live_store, tmp_path, since):
    [(code, sku)] = shelf(live_store, 1)
    outbox = tmp_path / "outbox.sqlite3"
    with Outbox(outbox) as box:
        box.add({"code": code, "symbology": "QRCODE"})
    (tmp_path / "images").mkdir()
    args = kiosk_args(live_store, tmp_path / "images", outbox, "--once")
    assert run_kiosk(*args).returncode == 0
    # As if the answer had been lost on the way: the row is waiting again, with the same id.
    with closing(sqlite3.connect(outbox)) as db, db:
        db.execute("UPDATE outbox SET status = 'waiting'")

    again = run_kiosk(*args)

    assert again.returncode == 0, again.stderr
    assert "(already recorded)" in again.stderr
    assert [(s["code"], s["sku"]) for s in live_store.recorded(since)] == [(code, sku)]
    assert [row[2] for row in outbox_rows(outbox)] == ["sent"]


def test_a_revoked_kiosk_stops_with_status_3_and_keeps_its_scans(live_store, tmp_path, since):
    token, prefix = live_store.revoked
    write_frames(tmp_path / "images", [(code, "clean") for code, _ in shelf(live_store, 2)])
    outbox = tmp_path / "outbox.sqlite3"
    # Two scans read while the server was out of reach wait in the outbox...
    offline = run_kiosk(
        *["--server", f"http://127.0.0.1:{free_port()}", "--token", token, "--images", str(tmp_path / "images")],
        *["--outbox", str(outbox), "--once", "--wait-timeout", "1.5"],
    )
    assert offline.returncode == 4, offline.stderr
    waiting = outbox_rows(outbox)
    assert [row[2] for row in waiting] == ["waiting", "waiting"]
    (tmp_path / "nothing-new").mkdir()

    # ...and stay there when the server refuses the kiosk's token.
    done = run_kiosk(*kiosk_args(live_store, tmp_path / "nothing-new", outbox, "--once", token=token))

    assert done.returncode == 3
    assert "refused this kiosk's token (invalid_token" in done.stderr
    assert outbox_rows(outbox) == waiting
    assert live_store.recorded(since, prefix) == []


def test_a_keyboard_wedge_scanner_sends_each_line(live_store, tmp_path, since):
    (label, sku), *_ = shelf(live_store, 1)
    barcode, barcode_sku = live_store.products[5]["barcode"], live_store.products[5]["sku"]
    args = [
        "--server",
        live_store.url,
        "--token",
        live_store.token,
        "--hid",
        "--outbox",
        str(tmp_path / "outbox.sqlite3"),
    ]

    done = run_kiosk(*args, stdin=f"{label}\n{barcode}\n{barcode}\n")

    assert done.returncode == 0, done.stderr
    assert [(s["code"], s["sku"], s["symbology"]) for s in live_store.recorded(since)] == [
        (label, sku, "QRCODE"),
        (barcode, barcode_sku, "EAN13"),  # the repeat within 2 s counts once
    ]


def test_an_unreachable_server_makes_it_give_up_after_the_wait_timeout(tmp_path):
    write_frames(tmp_path / "images", [("HTTP://X/Q/ABCD2345", "clean")])
    outbox = tmp_path / "outbox.sqlite3"
    started = time.monotonic()

    done = run_kiosk(
        *["--server", f"http://127.0.0.1:{free_port()}", "--token", "osd_x_y", "--images", str(tmp_path / "images")],
        *["--outbox", str(outbox), "--once", "--wait-timeout", "1.5"],
    )

    assert done.returncode == 4
    assert time.monotonic() - started < 15
    assert "gave up after waiting 1.5 s" in done.stderr and "1 scan(s) still waiting" in done.stderr
    assert [row[2] for row in outbox_rows(outbox)] == ["waiting"]
