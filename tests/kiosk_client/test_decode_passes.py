"""The order of the decoder's passes and what each of the newer ones reads, and the guards that stay.

The frames are the benchmark's own (``bench/bench_decode.py``: seed 0, frame ``n`` drawn with seed ``n``).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.decode import Decoded, Decoder
from kiosk.engines import LINEAR, Zxing
from kiosk.images import squash
from kiosk.samples import make_frame, sample_texts

LABELS = sample_texts(400, 0)[0::2]
BARCODES = sample_texts(400, 0)[1::2]


@pytest.fixture(scope="module")
def decoder() -> Decoder:
    return Decoder()


def bench_frame(kind: str, degradation: str, number: int) -> tuple[str, np.ndarray]:
    """Frame ``number`` of a benchmark set, and the code it shows."""
    text = (LABELS if kind == "qr" else BARCODES)[number]
    return text, make_frame(text, degradation, number)


def grey(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


@pytest.mark.parametrize("degradation", ["clean", "rotated", "noisy", "jpeg", "blurred"])
def test_a_label_is_read_by_the_first_pass_and_a_barcode_by_the_second(decoder, degradation):
    for number in (3, 4):
        label, frame = bench_frame("qr", degradation, number)
        assert [c.text for c in decoder.decode(frame)] == [label]
        assert (decoder.last_pass, decoder.passes_run) == ("zxing-half", 1)
        barcode, frame = bench_frame("ean13", degradation, number)
        assert [c.text for c in decoder.decode(frame)] == [barcode]
        assert (decoder.last_pass, decoder.passes_run) == ("zbar-lines", 2)


def test_averaging_rows_keeps_the_bars_and_quarters_the_rows():
    _, frame = bench_frame("ean13", "noisy", 5)
    squashed = squash(grey(frame))
    assert squashed.shape == (180, 1280)
    assert squash(np.zeros((480, 640), np.uint8)).shape == (160, 640)


def test_a_barcode_squeezed_by_perspective_that_no_pass_read_is_read_now(decoder):
    # Frame 178: the right half of the bars is about a pixel each; zxing-cpp reads it along the rows.
    barcode, frame = bench_frame("ean13", "perspective", 178)
    assert [(c.text, c.symbology) for c in decoder.decode(frame)] == [(barcode, "EAN13")]
    assert decoder.last_pass == "zxing-lines"


def test_a_light_on_dark_barcode_is_read_by_the_inverted_row_scan(decoder):
    barcode, frame = bench_frame("ean13", "inverted", 9)
    assert [c.text for c in decoder.decode(frame)] == [barcode]
    assert decoder.last_pass == "zbar-lines-inverted"


@pytest.mark.parametrize("number", [47, 63, 101])
def test_a_strong_motion_blur_the_quick_passes_miss_is_read_in_the_unsmeared_region(decoder, number):
    label, frame = bench_frame("qr", "motion_blur", number)
    assert [c.text for c in decoder.decode(frame)] == [label]
    assert decoder.last_pass == "zxing-region-unsmear"


@pytest.mark.parametrize("number", [70, 114, 8, 56])
def test_far_labels_that_used_to_be_missed_are_read(decoder, number):
    # 70 and 114 read with a stronger sharpening of the enlarged spot, 8 and 56 enlarged four times.
    label, frame = bench_frame("qr", "far_label", number)
    assert [(c.text, c.symbology) for c in decoder.decode(frame)] == [(label, "QRCODE")]
    assert decoder.last_pass == "zxing-small"


@pytest.mark.parametrize("number", [7, 17, 18])
def test_a_ghost_read_along_the_averaged_rows_is_refused(decoder, number):
    barcode, frame = bench_frame("ean13", "rotated", number)
    squashed = squash(grey(frame))
    found = Zxing(LINEAR, rotate=False)(squashed)
    # zxing-cpp pairs halves read on different rows into a second code with a valid check digit ...
    assert len({code.text for code in found}) == 2 and barcode in {code.text for code in found}
    # ... which the second opinion (zbar on the same image) leaves out.
    assert [c.text for c in decoder._checked(found, squashed, "zxing-lines")] == [barcode]
    assert [c.text for c in decoder.decode(frame)] == [barcode]


def test_a_barcode_seen_on_two_rows_only_needs_the_other_engine_to_agree(decoder):
    barcode, frame = bench_frame("ean13", "clean", 2)
    squashed = squash(grey(frame))
    # A made-up read on two rows, of a code that is not there: zxing-cpp does not read it, so it goes.
    other = BARCODES[3]
    assert decoder._checked([Decoded(other, "EAN13", 2)], squashed, "zbar-lines") == []
    # The real code on as few rows is confirmed by zxing-cpp and kept; on one row it is not taken at all.
    assert decoder._checked([Decoded(barcode, "EAN13", 2)], squashed, "zbar-lines") == [Decoded(barcode, "EAN13")]
    assert decoder._checked([Decoded(barcode, "EAN13", 1)], squashed, "zbar-lines") == []


def test_without_zxing_the_zbar_passes_still_read_labels_and_barcodes():
    decoder = Decoder("pyzbar")
    for kind, degradation in (("qr", "clean"), ("ean13", "noisy"), ("ean13", "inverted"), ("qr", "low_contrast")):
        text, frame = bench_frame(kind, degradation, 11)
        assert [c.text for c in decoder.decode(frame)] == [text], (kind, degradation)
        assert not decoder.last_pass.startswith("zxing")


def test_a_pass_that_once_took_long_is_tried_again_a_few_frames_later():
    # As if the machine had paused the process in the middle of the barcode scan of one frame.
    decoder = Decoder(budget_ms=40)
    barcode, frame = bench_frame("ean13", "clean", 6)
    decoder.decode(frame)
    assert decoder.last_pass == "zbar-lines"
    scan = (1, frame.shape[:2])
    decoder._cost[scan] = 500.0
    passes = []
    for _ in range(15):
        assert [c.text for c in decoder.decode(frame)] == [barcode]
        passes.append(decoder.last_pass)
    assert passes[0] != "zbar-lines"
    assert passes[-3:] == ["zbar-lines"] * 3


def test_one_slow_frame_does_not_make_a_pass_look_slow():
    decoder = Decoder(budget_ms=40)
    _, frame = bench_frame("ean13", "clean", 6)
    decoder.decode(frame)
    scan = (1, frame.shape[:2])
    usual = decoder._cost[scan]
    decoder._learn(scan, 1000.0)
    assert decoder._cost[scan] < usual + 0.2 * (3 * usual + 1) + 0.01
