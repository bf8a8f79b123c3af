"""Small and hard codes (far shelf labels, member codes on a phone), the time budget per frame, and
a camera loop that always decodes the newest frame."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from kiosk.cli import budget_ms, build_parser
from kiosk.decode import DEFAULT_BUDGET_MS, Decoder, small_code_regions
from kiosk.samples import CAMERA_SCENES, empty_frame, make_frame, sample_member_codes, write_frames
from kiosk.sources import LatestFrame, camera_sightings
from tests.kiosk_client.conftest import run_kiosk

LABEL = "HTTP://127.0.0.1:5000/Q/ABCD2345"
MEMBER = sample_member_codes(1, 3)[0]


@pytest.fixture(scope="module")
def decoder() -> Decoder:
    return Decoder()


def test_a_far_label_of_56_pixels_is_found_and_read(decoder):
    for seed in range(1, 6):
        frame = make_frame(LABEL, "far_label", seed)
        [(x, y, w, h)] = small_code_regions(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
        assert 56 <= w <= 120 and 56 <= h <= 120
        assert [(c.text, c.symbology) for c in decoder.decode(frame)] == [(LABEL, "QRCODE")]
        assert decoder.last_pass in ("zxing-small", "zbar-small")


@pytest.mark.parametrize("scene", CAMERA_SCENES)
def test_every_camera_scene_reads_exactly(decoder, scene):
    text = MEMBER if scene == "phone_screen" else LABEL
    for seed in (1, 2):
        found = decoder.decode(make_frame(text, scene, seed))
        assert [c.text for c in found] == [text], f"{scene}, seed {seed}: {found}"


def test_a_webcam_frame_is_640_by_480():
    assert make_frame(LABEL, "webcam_jpeg", 1).shape == (480, 640, 3)


def test_frames_without_a_code_give_nothing_from_the_small_code_passes_either(decoder):
    for seed in range(5):
        assert decoder.decode(empty_frame(seed)) == []
        assert decoder.passes_run > 1


def test_with_a_tiny_budget_the_decoder_stops_after_the_first_pass():
    frame = empty_frame(1)
    unbounded = Decoder()
    unbounded.decode(frame)
    assert unbounded.passes_run > 10 and unbounded.passes_skipped == 0

    hurried = Decoder(budget_ms=0.001)
    for _ in range(3):
        assert hurried.decode(frame) == []
        assert hurried.passes_run == 1
        assert hurried.passes_skipped > 10


def test_a_budget_of_zero_means_no_budget():
    decoder = Decoder(budget_ms=0)
    decoder.decode(empty_frame(2))
    assert decoder.passes_skipped == 0


def test_the_budget_option_defaults_to_the_camera_budget_and_none_for_images():
    parser = build_parser()
    common = ["--server", "http://x", "--token", "t"]
    assert budget_ms(parser.parse_args([*common, "--camera", "0"])) == DEFAULT_BUDGET_MS
    assert budget_ms(parser.parse_args([*common, "--images", "d"])) is None
    assert budget_ms(parser.parse_args([*common, "--camera", "0", "--budget-ms", "25"])) == 25
    assert budget_ms(parser.parse_args([*common, "--camera", "0", "--budget-ms", "0"])) is None


def test_while_the_decoder_is_busy_the_newest_frame_replaces_one_not_yet_taken():
    latest, stop = LatestFrame(), threading.Event()
    frames = [np.full((4, 4), value, np.uint8) for value in (1, 2, 3, 4)]
    latest.put(frames[0], stop)
    assert latest.take(stop) is frames[0]
    # Busy with frame 1: frames 2 and 3 are replaced as they go stale.
    for frame in frames[1:]:
        latest.put(frame, stop)
    assert latest.take(stop) is frames[3]
    assert latest.dropped == 2
    latest.end()
    assert latest.take(stop) is None


class PacedCamera:
    """Frames as fast as they are asked for; ``emptied`` is set once all have been read."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = list(frames)
        self.emptied = threading.Event()

    def read(self):
        if self.frames:
            return True, self.frames.pop(0)
        self.emptied.set()
        return False, None

    def release(self) -> None:
        pass


class SlowFirstFrame(Decoder):
    """The real decoder, but the first frame takes until the camera has given every other frame."""

    def __init__(self, camera: PacedCamera) -> None:
        super().__init__()
        self.camera, self.frames = camera, 0

    def decode(self, frame):
        self.frames += 1
        if self.frames == 1:
            assert self.camera.emptied.wait(10)
        return super().decode(frame)


def test_after_a_slow_frame_the_camera_loop_decodes_the_newest_frame_not_the_stale_ones(monkeypatch):
    monkeypatch.setattr("kiosk.sources.CAMERA_RETRY_SECONDS", 0.01)
    texts = [f"HTTP://X/Q/FRAME{n}" for n in range(1, 5)]
    camera = PacedCamera([make_frame(text, "clean", n) for n, text in enumerate(texts)])
    decoder = SlowFirstFrame(camera)
    stop = threading.Event()
    found = []
    for sighting in camera_sightings(0, decoder, stop, opener=lambda _index: camera):
        found.append(sighting.text)
        if len(found) == 2:
            stop.set()
    # Frames 2 and 3 came while frame 1 was decoded: the loop went on with frame 4.
    assert found == [texts[0], texts[3]]
    assert decoder.frames == 2


@pytest.mark.slow
def test_a_far_label_and_a_member_code_on_a_phone_are_read_end_to_end(live_store, tmp_path, since):
    label = live_store.labels[0]
    write_frames(tmp_path / "images", [(label["url"], "far_label"), (MEMBER, "phone_screen")])
    args = ["--server", live_store.url, "--token", live_store.token, "--images", str(tmp_path / "images")]
    done = run_kiosk(*args, "--outbox", str(tmp_path / "outbox.sqlite3"), "--once")

    assert done.returncode == 0, done.stderr
    recorded = live_store.recorded(since)
    # The made-up member code is read and sent; the server refuses it (no such member) and keeps
    # only whose code it claimed to be.
    assert [(s["code"], s["outcome"]) for s in recorded] == [
        (label["url"], "product"),
        (MEMBER.rsplit("-", 1)[0], "refused"),
    ]
    assert recorded[0]["sku"] == label["sku"]
    assert [s["symbology"] for s in recorded] == ["QRCODE", "QRCODE"]
