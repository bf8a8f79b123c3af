"""Reading QR codes and EAN/UPC barcodes from camera frames.

Two engines (``kiosk.engines``): zbar (through pyzbar's bindings) and zxing-cpp. The default
decoder ("both") tries, in the order of what each pass finds per millisecond, and stops at the
first that finds something:

1. zxing-cpp, QR codes only, on the frame at half size (under a millisecond; the averaging also
   quietens sensor noise);
2. zbar, EAN/UPC only, along the rows of the frame with every four rows averaged into one (about
   2 ms, and far less slowed down by noise than a scan of the full frame);
3. zxing-cpp, EAN/UPC only, along the same averaged rows: barcodes squeezed by perspective;
4. zxing-cpp, QR codes only, on the half-size frame sharpened along the rows: a sideways motion
   blur, and faint (low-contrast) codes;
5. zbar along the averaged rows of the inverted frame (light bars on dark);
6. zxing-cpp, QR codes only, on small likely code spots cut out, enlarged three times and
   sharpened (a far shelf label, a phone held far away: 1.7 px a module and less), then on the
   likely code regions sharpened along the rows and thresholded (a strong motion blur);
7. zxing-cpp on the whole frame; the likeliest small spot enlarged four times; zbar for QR codes
   at half size; zbar on the enlarged small spots;
8. zbar on the likely code regions, cut out and enlarged when small, then thresholded (Otsu),
   sharpened along the rows (motion blur), inverted, sharpened, contrast-stretched ...;
9. zxing-cpp on the inverted frame (it inverts QR codes itself, not barcodes).

Every view of the frame (half size, rows averaged, spots and regions, each region's clean-ups) is
made once, when a pass first needs it. With a time budget per frame (``Decoder(budget_ms=...)``,
what the camera uses) a pass runs only if it is expected to fit in what is left of the budget.

EAN/UPC barcodes carry one check digit, and both engines now and then pair the halves of a barcode
read on different lines into a wrong code; ``Decoder._checked`` keeps such reads out.

``bench/bench_decode.py`` measures each engine and the default on degraded frames.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from functools import cached_property

import numpy as np

from kiosk.engines import LINEAR, SYMBOLOGIES, Decoded, Zbar, Zxing, to_grey
from kiosk.images import (
    HALF_SIZE_FROM,
    MAX_REGIONS,
    MAX_SMALL,
    REGION_PASSES,
    code_regions,
    enlarge,
    half,
    row_sharpen,
    sharpen,
    small_code_regions,
    soft_sharpen,
    squash,
    upscaled,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_BUDGET_MS",
    "SYMBOLOGIES",
    "Decoded",
    "Decoder",
    "Zbar",
    "Zxing",
    "code_regions",
    "small_code_regions",
    "to_grey",
]

BACKENDS = ("pyzbar", "zxing", "both")
# A barcode zbar reads alone on this many scan lines of a whole frame is taken without a second opinion.
_SURE_LINES = 4
# The passes that scan a whole frame for barcodes (rows averaged, as it is or inverted).
_WHOLE_FRAME_LINES = ("zbar-lines", "zbar-lines-inverted")
# The camera's time budget per frame (ms): passes that would not fit are left out.
DEFAULT_BUDGET_MS = 40.0
# How fast a pass's expected time follows what it took on the last frames; one frame's time counts
# for at most a few times the expected one (a busy machine may pause the process mid-pass); and a
# pass left out for the budget is expected to take less each time, so that it is tried again.
_COST_WEIGHT = 0.2
_COST_SPIKE = 3.0
_SKIPPED_DECAY = 0.8

# A pass: its name, its engine and what makes its image (None when it has nothing to look at).
_Pass = tuple[str, Callable[[np.ndarray], list[Decoded]], Callable[[], "np.ndarray | None"]]


class _Views:
    """One frame's views for the passes, each made on first use and then shared by every pass."""

    def __init__(self, grey: np.ndarray) -> None:
        self.grey = grey
        # Wide frames get their first looks at half size; a webcam's 640x480 as it is.
        self.wide = grey.shape[1] >= HALF_SIZE_FROM
        self._cleaned: dict[tuple[int, str], np.ndarray | None] = {}

    @cached_property
    def look(self) -> np.ndarray:
        """The frame the QR code passes start on: at half size when it is wide."""
        return half(self.grey) if self.wide else self.grey

    @cached_property
    def squashed(self) -> np.ndarray:
        """Every few rows averaged into one, for the whole-frame barcode scans."""
        return squash(self.grey)

    @cached_property
    def small_spots(self) -> list[np.ndarray]:
        """The likely small QR code spots, cut out with their quiet zone."""
        halved = self.look if self.wide else None
        return [self.grey[y : y + h, x : x + w] for x, y, w, h in small_code_regions(self.grey, halved=halved)]

    @cached_property
    def small_crops(self) -> list[np.ndarray]:
        """The likely small QR code spots enlarged three times."""
        return [upscaled(spot) for spot in self.small_spots]

    def small_crop_x4(self) -> np.ndarray | None:
        """The likeliest small spot enlarged four times and sharpened: a module of 1.5 px becomes 6."""
        spots = self.small_spots
        return soft_sharpen(upscaled(spots[0], 4.0)) if spots else None

    @cached_property
    def regions(self) -> list[np.ndarray]:
        """The likely code regions, cut out and enlarged when small."""
        return [enlarge(self.grey[y : y + h, x : x + w]) for x, y, w, h in code_regions(self.grey)]

    def region(self, index: int, clean_up: str) -> np.ndarray | None:
        """Region ``index`` cleaned up as ``REGION_PASSES`` names it (once), or None when there are fewer."""
        key = (index, clean_up)
        if key not in self._cleaned:
            regions = self.regions
            self._cleaned[key] = REGION_PASSES[clean_up](regions[index]) if index < len(regions) else None
        return self._cleaned[key]


class Decoder:
    """Finds the codes in a frame with the chosen backend: "pyzbar", "zxing" or "both" (the default).

    ``raw`` (for the benchmark) runs the engines once on the frame as it is and takes every read.
    ``budget_ms`` bounds the time spent on one frame (None or 0: no bound): after the first pass, a
    pass runs only if the time spent so far plus what that pass took on recent frames fits; at 30
    frames a second a camera gives a new frame sooner than the later passes would finish.
    One decoder per thread.
    """

    def __init__(self, backend: str = "both", raw: bool = False, budget_ms: float | None = None) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown decoder {backend!r}; one of {', '.join(BACKENDS)}")
        if budget_ms is not None and budget_ms < 0:
            raise ValueError("the budget per frame cannot be negative")
        self.backend = backend
        self.raw = raw
        # 0 means no budget, as on the command line.
        self.budget_ms = budget_ms or None
        use_zbar = backend in ("pyzbar", "both")
        self._zbar = Zbar() if use_zbar else None
        # Two cheap looks: QR codes alone, and barcodes along the rows (every row of the squashed frame).
        self._quick = (Zbar(("QRCODE",)), Zbar(LINEAR, columns=False)) if use_zbar and not raw else None
        use_zxing = backend in ("zxing", "both")
        self._zxing = Zxing() if use_zxing else None
        # QR codes alone: the first look, and the enlarged small crops and regions, where a barcode
        # read would be a guess (a barcode's bars cannot be that thin); and barcodes alone along
        # the rows of the squashed frame (its rows are upright bars already).
        self._zxing_qr = Zxing(("QRCODE",)) if use_zxing and not raw else None
        self._zxing_lines = Zxing(LINEAR, rotate=False) if use_zxing and not raw else None
        # What each pass took lately (ms), by its place in the list and the frame's size.
        self._cost: dict[tuple[int, tuple[int, ...]], float] = {}
        # Which pass found the last frame's codes, how many passes ran on it and how many were left
        # out for the budget: for -v logs, the benchmark and the tests.
        self.last_pass = ""
        self.passes_run = 0
        self.passes_skipped = 0

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        """The distinct codes in ``frame`` (BGR or greyscale), from the first pass that finds any."""
        start = time.perf_counter()
        grey = to_grey(frame)
        self.passes_run = self.passes_skipped = 0
        for place, (name, engine, make_image) in enumerate(self._passes(grey)):
            key = (place, grey.shape)
            if self.passes_run and self.budget_ms is not None:
                spent = (time.perf_counter() - start) * 1000
                expected = self._cost.get(key, 0.0)
                if spent + expected > self.budget_ms:
                    self._cost[key] = expected * _SKIPPED_DECAY
                    self.passes_skipped += 1
                    continue
            began = time.perf_counter()
            image = make_image()
            if image is None:
                # A region pass on a frame with fewer regions than that.
                continue
            found = engine(image)
            if not self.raw:
                found = self._checked(found, image, name)
            self._learn(key, (time.perf_counter() - began) * 1000)
            self.passes_run += 1
            if found:
                self.last_pass = name
                return list(dict.fromkeys(found))
        self.last_pass = ""
        return []

    def _learn(self, key: tuple[int, tuple[int, ...]], took: float) -> None:
        """Fold what a pass took into what it is expected to take next time."""
        before = self._cost.get(key)
        if before is None:
            self._cost[key] = took
            return
        # A millisecond of slack, so that a pass once expected to take nothing can grow.
        took = min(took, _COST_SPIKE * before + 1.0)
        self._cost[key] = before + _COST_WEIGHT * (took - before)

    def _checked(self, found: list[Decoded], image: np.ndarray, name: str) -> list[Decoded]:
        """The reads of one pass without barcode misreads.

        An EAN/UPC has one check digit, and both engines sometimes pair the halves of a barcode
        read on different lines into a "ghost" with a valid check digit: next to the real code,
        on a single line, or in a cleaned-up region. QR codes (Reed-Solomon) are taken as read. A
        barcode is taken when it is the only one read, by zxing-cpp or by zbar on several lines
        of the whole frame; otherwise the other engine must read it too on the same image.
        """
        qr = [code for code in found if code.symbology == "QRCODE"]
        # zbar's quality counts the scan lines that agree; one line is not enough.
        by_zxing = name.startswith("zxing")
        linear = [code for code in found if code.symbology != "QRCODE" and (by_zxing or code.quality >= 2)]
        alone = len({code.text for code in linear}) == 1
        sure_lines = alone and linear[0].quality >= _SURE_LINES
        if linear and not (alone and (by_zxing or (name in _WHOLE_FRAME_LINES and sure_lines))):
            second = self._second_opinion(name, image)
            if second is not None:
                linear = [code for code in linear if code.text in second]
            elif not sure_lines:
                linear = []
        return qr + linear

    def _second_opinion(self, name: str, image: np.ndarray) -> set[str] | None:
        """The codes the other engine reads on ``image``; None when there is no other engine."""
        other = self._zbar if name.startswith("zxing") else self._zxing
        return None if other is None else {code.text for code in other(image)}

    def _passes(self, grey: np.ndarray) -> Iterator[_Pass]:
        """(name, engine, image maker) of the attempts, in the order of what they find per millisecond.

        Images (and the views they come from) are made only when their pass runs.
        """
        zbar, zxing, zxing_qr = self._zbar, self._zxing, self._zxing_qr
        views = _Views(grey)
        if self._quick is not None and zbar is not None:
            qr, lines = self._quick
            at = "half" if views.wide else "qr"
            # QR codes first, at half size (zbar reads no barcode there: thin bars blur together).
            first_look = (f"zxing-{at}", zxing_qr) if zxing_qr is not None else (f"zbar-{at}", qr)
            yield *first_look, lambda: views.look
            yield "zbar-lines", lines, lambda: views.squashed
            if self._zxing_lines is not None:
                # zxing-cpp reads the barcodes that perspective squeezes on one side, zbar not.
                yield "zxing-lines", self._zxing_lines, lambda: views.squashed
            if zxing_qr is not None:
                # Half size halves a motion blur too: a module's worth of sharpening there.
                yield "zxing-unsmear", zxing_qr, lambda: row_sharpen(views.look)
            yield "zbar-lines-inverted", lines, lambda: 255 - views.squashed
            small = self._small_passes(views, qr)
            if zxing_qr is not None:
                # zxing-cpp on the enlarged small spots, on the regions unsmeared, then the whole frame.
                yield from itertools.islice(small, MAX_SMALL)
                for index in range(MAX_REGIONS):
                    yield "zxing-region-unsmear", zxing_qr, lambda i=index: views.region(i, "unsmear")
            if zxing is not None:
                # zxing-cpp reads most codes in a few milliseconds, perspective-warped barcodes too.
                yield "zxing", zxing, lambda: grey
            if zxing_qr is not None:
                # The likeliest small spot at another scale: some blurred far codes read at one only.
                yield "zxing-small", zxing_qr, views.small_crop_x4
                yield f"zbar-{at}", qr, lambda: views.look
            yield from small
            # These and the region passes cover what one more full-size pass would read.
            for name in REGION_PASSES:
                for index in range(MAX_REGIONS):
                    yield f"zbar-{name}", zbar, lambda n=name, i=index: views.region(i, n)
        elif zbar is not None:
            yield "zbar", zbar, lambda: grey
        if zxing is not None:
            if self._quick is None:
                yield "zxing", zxing, lambda: grey
            if not self.raw:
                # zxing-cpp tries inverted QR codes itself, but not inverted barcodes.
                yield "zxing-inverted", zxing, lambda: 255 - grey

    def _small_passes(self, views: _Views, zbar_qr: Callable[[np.ndarray], list[Decoded]]) -> Iterator[_Pass]:
        """Small QR codes: the likely spots cut out, enlarged three times and sharpened, for zxing-cpp, then zbar."""
        engines: list[tuple[str, Callable[[np.ndarray], list[Decoded]], Callable[[np.ndarray], np.ndarray]]] = []
        if self._zxing_qr is not None:
            engines.append(("zxing-small", self._zxing_qr, sharpen))
        engines.append(("zbar-small", zbar_qr, sharpen))
        for name, engine, clean_up in engines:
            for index in range(MAX_SMALL):
                yield name, engine, lambda c=clean_up, i=index: _nth(views.small_crops, i, c)


def _nth(crops: list[np.ndarray], index: int, clean_up: Callable[[np.ndarray], np.ndarray]) -> np.ndarray | None:
    """Crop ``index`` cleaned up, or None when there are fewer crops."""
    return clean_up(crops[index]) if index < len(crops) else None
