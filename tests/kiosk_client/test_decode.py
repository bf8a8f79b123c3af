"""Decoding degraded camera frames: every kind of trouble the kiosk's camera sees still reads."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.decode import Decoder, Zbar, code_regions
from kiosk.samples import DEGRADATIONS, ean13_check_digit, empty_frame, make_frame, render_code, sample_texts

LABEL = "HTTP://127.0.0.1:5000/Q/ABCD2345"
BARCODE = "6901234567892"


@pytest.fixture(scope="module")
def decoder() -> Decoder:
    return Decoder()


@pytest.mark.parametrize("degradation", DEGRADATIONS)
@pytest.mark.parametrize("text", [LABEL, BARCODE], ids=["qr", "ean13"])
def test_every_degraded_set_reads_exactly_with_the_default_decoder(decoder, text, degradation):
    for seed in (1, 2):
        found = decoder.decode(make_frame(text, degradation, seed))
        assert [code.text for code in found] == [text], f"{degradation}, seed {seed}: {found}"
        assert found[0].symbology == ("EAN13" if text == BARCODE else "QRCODE")


@pytest.mark.parametrize("backend", ["pyzbar", "zxing", "both"])
def test_an_inverted_and_a_noisy_qr_code_read_with_every_backend(backend):
    decoder = Decoder(backend)
    for degradation in ("inverted", "noisy"):
        assert [(c.text, c.symbology) for c in decoder.decode(make_frame(LABEL, degradation, 7))] == [(LABEL, "QRCODE")]


def test_plain_zbar_misses_an_inverted_code_that_pre_processing_reads():
    frame = make_frame(BARCODE, "inverted", 3)
    assert Decoder("pyzbar", raw=True).decode(frame) == []
    assert [c.text for c in Decoder("pyzbar").decode(frame)] == [BARCODE]


# Frames on which zxing-cpp, taken as it reads, also reports a "ghost": a second EAN/UPC made of
# halves read on different lines, with a valid check digit (found by bench/bench_decode.py).
GHOSTS = [("rotated", 1), ("rotated", 7), ("clean", 68), ("jpeg", 12)]


@pytest.mark.parametrize(("degradation", "seed"), GHOSTS)
def test_a_barcode_frame_never_gives_a_code_that_is_not_in_it(degradation, seed):
    text = sample_texts(400, 0)[1::2][seed]
    frame = make_frame(text, degradation, seed)
    assert len({c.text for c in Decoder("zxing", raw=True).decode(frame)}) == 2
    assert [c.text for c in Decoder().decode(frame)] == [text]
    assert [c.text for c in Decoder("zxing").decode(frame)] in ([text], [])


def test_zbar_forgets_one_image_before_the_next():
    # Scanned right after frame 68, frame 69 once showed frame 68's right half in a made-up code.
    texts = sample_texts(400, 0)[1::2]
    zbar = Zbar(("EAN13", "EAN8", "UPCA", "UPCE"), density=2)
    zbar(cv2.cvtColor(make_frame(texts[68], "perspective", 68), cv2.COLOR_BGR2GRAY))
    after = zbar(cv2.cvtColor(make_frame(texts[69], "perspective", 69), cv2.COLOR_BGR2GRAY))
    assert {c.text for c in after} == {texts[69]}


def test_a_upc_a_barcode_reads_as_upc_a_or_as_ean13_with_a_leading_zero(decoder):
    upc = "03600029145"
    upc += ean13_check_digit("0" + upc)
    found = decoder.decode(make_frame("0" + upc, "clean", 1))
    assert (found[0].symbology, found[0].text) in {("UPCA", upc), ("EAN13", "0" + upc)}


def test_a_frame_without_a_code_gives_nothing(decoder):
    for seed in range(5):
        assert decoder.decode(empty_frame(seed)) == []


def test_code_regions_find_the_code_and_not_the_boxes_around_it():
    frame = cv2.cvtColor(make_frame(LABEL, "small", 2), cv2.COLOR_BGR2GRAY)
    [(x, y, w, h)] = code_regions(frame)
    assert 100 <= w <= 260 and 100 <= h <= 260


def test_a_small_greyscale_webcam_frame_reads_too(decoder):
    frame = cv2.cvtColor(make_frame(LABEL, "clean", 4), cv2.COLOR_BGR2GRAY)
    small = cv2.resize(frame, (640, 360), interpolation=cv2.INTER_AREA)
    assert [c.text for c in decoder.decode(small)] == [LABEL]


def test_two_labels_in_one_frame_both_read(decoder):
    canvas = np.full((720, 1280), 200, np.uint8)
    other = LABEL.replace("ABCD2345", "WXYZ6789")
    for x, text in ((80, LABEL), (700, other)):
        code = render_code(text, 8)
        canvas[100 : 100 + code.shape[0], x : x + code.shape[1]] = code
    assert {c.text for c in decoder.decode(canvas)} == {LABEL, other}


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown decoder"):
        Decoder("opencv")
