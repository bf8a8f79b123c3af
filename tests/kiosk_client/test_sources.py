"""Where codes come from and how repeats are dropped."""

from __future__ import annotations

import io
import threading

import cv2
import numpy as np

from kiosk.decode import Decoder
from kiosk.samples import make_frame, write_frames
from kiosk.sources import Deduper, camera_sightings, guess_symbology, hid_sightings, image_sightings


def test_the_same_code_counts_once_within_two_seconds_of_its_last_sighting():
    dedupe = Deduper(2.0)
    assert dedupe.fresh("A", now=100.0)
    assert not dedupe.fresh("A", now=101.0)
    assert dedupe.fresh("B", now=101.5)
    # Held in front of the camera: every sighting restarts the two seconds.
    assert not dedupe.fresh("A", now=102.9)
    assert not dedupe.fresh("A", now=104.5)
    assert dedupe.fresh("A", now=106.6)


def test_dedupe_seconds_zero_counts_every_sighting():
    dedupe = Deduper(0)
    assert all(dedupe.fresh("A", now=1.0) for _ in range(3))


def test_a_keyboard_wedge_scanner_gives_one_code_a_line():
    stdin = io.StringIO("6901234567892\n\n  HTTP://X/Q/ABCD2345 \r\n036000291452\n")
    found = [(s.text, s.symbology) for s in hid_sightings(stdin, threading.Event())]
    assert found == [("6901234567892", "EAN13"), ("HTTP://X/Q/ABCD2345", "QRCODE"), ("036000291452", "UPCA")]
    assert guess_symbology("96385074") == "EAN8" and guess_symbology("MC-12-ab") == "QRCODE"


def test_images_are_read_in_file_name_order_and_unreadable_files_skipped(tmp_path):
    write_frames(tmp_path, [("HTTP://X/Q/B", "clean"), ("6901234567892", "clean")])
    (tmp_path / "0000-broken.png").write_bytes(b"not a png")
    (tmp_path / "notes.txt").write_text("ignored")
    found = list(image_sightings(tmp_path, Decoder(), threading.Event()))
    assert [(s.text, s.origin) for s in found] == [
        ("HTTP://X/Q/B", "0001-clean.png"),
        ("6901234567892", "0002-clean.png"),
    ]


class FakeCamera:
    """A camera that shows a few frames, then stops giving any."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = list(frames)
        self.released = False

    def read(self):
        return (True, self.frames.pop(0)) if self.frames else (False, None)

    def release(self) -> None:
        self.released = True


def test_a_camera_is_read_frame_by_frame_and_opened_again_when_it_stops(monkeypatch):
    monkeypatch.setattr("kiosk.sources.CAMERA_RETRY_SECONDS", 0.01)
    blank = np.full((720, 1280, 3), 255, np.uint8)
    cameras = [
        FakeCamera([make_frame("HTTP://X/Q/ONE", "clean", 1), blank]),
        FakeCamera([make_frame("HTTP://X/Q/TWO", "clean", 2)]),
    ]
    opened = []

    def opener(index: int) -> FakeCamera:
        opened.append(index)
        return cameras[len(opened) - 1]

    stop = threading.Event()
    found = []
    for sighting in camera_sightings(0, Decoder(), stop, opener=opener):
        found.append(sighting.text)
        if len(found) == 2:
            stop.set()
    assert found == ["HTTP://X/Q/ONE", "HTTP://X/Q/TWO"]
    # The camera is read ahead of the decoder, which may have tried a third time by now.
    assert opened[:2] == [0, 0] and cameras[0].released


def test_a_grey_image_file_is_read_as_colour(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), cv2.cvtColor(make_frame("HTTP://X/Q/G", "clean", 3), cv2.COLOR_BGR2GRAY))
    assert [s.text for s in image_sightings(tmp_path, Decoder(), threading.Event())] == ["HTTP://X/Q/G"]
