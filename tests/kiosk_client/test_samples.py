"""The synthetic frames the tests, demos and benchmark use."""

from __future__ import annotations

import numpy as np
import pytest
from pyzbar.pyzbar import decode

from kiosk.samples import (
    DEGRADATIONS,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    ean13_check_digit,
    ean13_modules,
    is_ean13,
    main,
    make_frame,
    render_ean13,
    sample_texts,
    write_frames,
)


def test_ean13_check_digits_and_modules_follow_the_standard():
    assert ean13_check_digit("400638133393") == "1"
    assert ean13_check_digit("690123456789") == "2"
    assert is_ean13("4006381333931") and not is_ean13("4006381333932") and not is_ean13("HTTP://X")
    modules = ean13_modules("4006381333931")
    assert len(modules) == 95
    assert modules[:3] == "101" and modules[45:50] == "01010" and modules[-3:] == "101"
    with pytest.raises(ValueError):
        ean13_modules("4006381333932")


def test_a_drawn_ean13_is_read_back_by_zbar():
    [symbol] = decode(render_ean13("4006381333931", module_px=3))
    assert (symbol.type, symbol.data) == ("EAN13", b"4006381333931")


def test_frames_are_1280_by_720_and_the_same_for_the_same_seed():
    first = make_frame("6901234567892", "noisy", seed=5)
    assert first.shape == (FRAME_HEIGHT, FRAME_WIDTH, 3) and first.dtype == np.uint8
    assert np.array_equal(first, make_frame("6901234567892", "noisy", seed=5))
    assert not np.array_equal(first, make_frame("6901234567892", "noisy", seed=6))
    with pytest.raises(ValueError, match="unknown degradation"):
        make_frame("X", "sideways")


def test_sample_texts_are_distinct_label_urls_and_barcodes():
    texts = sample_texts(10, seed=3)
    assert len(set(texts)) == 10
    assert all(t.startswith("HTTP://127.0.0.1:5000/Q/") for t in texts[0::2])
    assert all(is_ean13(t) for t in texts[1::2])


def test_a_folder_of_frames_is_written_in_order(tmp_path):
    paths = write_frames(tmp_path, [("6901234567892", "clean"), ("HTTP://X/Q/A", "jpeg")])
    assert [p.name for p in paths] == ["0001-clean.png", "0002-jpeg.png"]
    assert main([str(tmp_path / "demo"), "--text", "HTTP://X/Q/B", "--degradation", "small"]) == 0
    assert [p.name for p in sorted((tmp_path / "demo").iterdir())] == ["0001-small.png"]
    assert len(DEGRADATIONS) == 9
