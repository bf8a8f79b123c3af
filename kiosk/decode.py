"""Reading QR codes and EAN/UPC barcodes from camera frames.

Two engines: zbar (through pyzbar's bindings) and zxing-cpp. The default decoder ("both") tries,
in the order of what each pass finds per millisecond, and stops at the first that finds something:

1. zbar, QR codes only, on the frame at half size (2-3 ms; also averages sensor noise away);
2. zxing-cpp, QR codes only, on small likely code spots cut out and enlarged three times (a far
   shelf label, a phone held far away: 1.7 px a module and less);
3. zbar, EAN/UPC only, on every other line of the full frame (about 5 ms);
4. zxing-cpp on the whole frame: it reads perspective-warped barcodes that zbar does not;
5. zbar on the enlarged small spots, sharpened;
6. zbar on the likely code regions, cut out and enlarged when small, then thresholded (Otsu),
   sharpened along the rows (motion blur), inverted, sharpened, contrast-stretched ...;
7. zxing-cpp on the inverted frame (it inverts QR codes itself, not barcodes).

With a time budget per frame (``Decoder(budget_ms=...)``, what the camera uses) a pass runs only
if it is expected to fit in what is left of the budget.

EAN/UPC barcodes carry one check digit, and both engines now and then pair the halves of a barcode
read on different lines into a wrong code; ``Decoder._checked`` keeps such reads out.

``bench/bench_decode.py`` measures each engine and the default on degraded frames.
"""

from __future__ import annotations

import ctypes
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

BACKENDS = ("pyzbar", "zxing", "both")
SYMBOLOGIES = ("QRCODE", "EAN13", "EAN8", "UPCA", "UPCE")
_LINEAR = ("EAN13", "EAN8", "UPCA", "UPCE")
# zbar's code for 8-bit greyscale ("Y800").
_FOURCC_Y800 = 0x30303859
# What the server accepts, by the names zbar and zxing-cpp use for them.
_NAMES = {
    "QRCODE": "QRCODE",
    "QRCode": "QRCODE",
    "EAN13": "EAN13",
    "EAN8": "EAN8",
    "UPCA": "UPCA",
    "UPCE": "UPCE",
}
# Regions are looked for at half size: cheaper, and the gradient of a code survives it.
_REGION_SCALE = 0.5
_MAX_REGIONS = 3
# A region whose shorter side is under this (full-size pixels) is enlarged before decoding.
_MIN_REGION_SIDE = 360
# Frames at least this wide are first decoded at half size.
_HALF_SIZE_FROM = 960
# A barcode zbar reads alone on this many scan lines of a whole frame is taken without a second opinion.
_SURE_LINES = 4
# Small codes (a far shelf label, a phone held far away): how many candidates, their sides in
# full-size pixels, the least edge density that counts, and how they are enlarged.
_MAX_SMALL = 3
_SMALL_SIDES = (24, 200)
_SMALL_MIN_DENSITY = 40.0
_SMALL_UPSCALE = 3.0
_MAX_UPSCALED_SIDE = 600
# The camera's time budget per frame (ms): passes that would not fit are left out.
DEFAULT_BUDGET_MS = 40.0
# How fast a pass's expected time follows what it took on the last frames.
_COST_WEIGHT = 0.2


@dataclass(frozen=True)
class Decoded:
    """One code found in a frame: its text and its normalised symbology ("QRCODE", "EAN13" ...).

    ``quality`` is zbar's count of scan lines that read the same barcode (0 from zxing-cpp).
    """

    text: str
    symbology: str
    quality: int = field(default=0, compare=False)


def to_grey(frame: np.ndarray) -> np.ndarray:
    """A frame from OpenCV (BGR) or already greyscale, as one 8-bit channel."""
    if frame.ndim == 3:
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY if frame.shape[2] == 3 else cv2.COLOR_BGRA2GRAY)
    return frame


# ---- the two engines -------------------------------------------------------------------


class Zbar:
    """zbar (libzbar through pyzbar's bindings) on one greyscale image.

    ``symbols`` are zbar's names; ``density`` 2 scans every other row and column, half the work
    and plenty for a barcode's tall bars. pyzbar's own ``decode`` has no way to set that.
    """

    def __init__(self, symbols: tuple[str, ...] = SYMBOLOGIES, density: int = 1) -> None:
        from pyzbar import wrapper

        self._zbar = wrapper
        self._symbols = symbols
        self._density = density

    def __call__(self, grey: np.ndarray) -> list[Decoded]:
        """The codes zbar finds in ``grey``."""
        zbar = self._zbar
        grey = np.ascontiguousarray(grey, dtype=np.uint8)
        # A new scanner for every image: a reused one carries half-read barcodes over to the next
        # image and pairs them with halves there into codes that were never shown.
        scanner = self._scanner()
        image = zbar.zbar_image_create()
        try:
            if not image:
                raise RuntimeError("zbar could not create an image")
            zbar.zbar_image_set_format(image, _FOURCC_Y800)
            zbar.zbar_image_set_size(image, grey.shape[1], grey.shape[0])
            zbar.zbar_image_set_data(image, grey.ctypes.data_as(ctypes.c_void_p), grey.size, None)
            if zbar.zbar_scan_image(scanner, image) < 0:
                raise RuntimeError("zbar refused the image format")
            return self._symbols_of(image)
        finally:
            if image:
                zbar.zbar_image_destroy(image)
            zbar.zbar_image_scanner_destroy(scanner)

    def _scanner(self) -> Any:
        """A zbar image scanner (a ctypes pointer) set up for our symbologies and density."""
        zbar = self._zbar
        scanner = zbar.zbar_image_scanner_create()
        if not scanner:
            raise RuntimeError("zbar could not create an image scanner")
        enable, symbol = zbar.ZBarConfig.CFG_ENABLE, zbar.ZBarSymbol
        for each in symbol:
            zbar.zbar_image_scanner_set_config(scanner, each, enable, int(each.name in self._symbols))
        for axis in (zbar.ZBarConfig.CFG_X_DENSITY, zbar.ZBarConfig.CFG_Y_DENSITY):
            zbar.zbar_image_scanner_set_config(scanner, symbol.NONE, axis, self._density)
        return scanner

    def _symbols_of(self, image: Any) -> list[Decoded]:
        """What zbar found in a scanned zbar image."""
        zbar = self._zbar
        found = []
        symbol = zbar.zbar_image_first_symbol(image)
        while symbol:
            name = _NAMES.get(zbar.ZBarSymbol(symbol.contents.type).name)
            if name:
                data = ctypes.string_at(zbar.zbar_symbol_get_data(symbol), zbar.zbar_symbol_get_data_length(symbol))
                found.append(
                    Decoded(data.decode("utf-8", errors="replace"), name, zbar.zbar_symbol_get_quality(symbol))
                )
            symbol = zbar.zbar_symbol_next(symbol)
        return found


class Zxing:
    """zxing-cpp on one greyscale image (it also tries the inverted image and rotations itself)."""

    def __init__(self, qr_only: bool = False) -> None:
        import zxingcpp

        self._read = zxingcpp.read_barcodes
        formats = zxingcpp.BarcodeFormat
        every = (formats.QRCode, formats.EAN13, formats.EAN8, formats.UPCA, formats.UPCE)
        self._formats = every[:1] if qr_only else every

    def __call__(self, grey: np.ndarray) -> list[Decoded]:
        """The codes zxing-cpp finds in ``grey``."""
        found = []
        for barcode in self._read(grey, formats=self._formats):
            name = _NAMES.get(barcode.format.name)
            if name and barcode.valid:
                found.append(Decoded(barcode.text, name))
        return found


# ---- pre-processing --------------------------------------------------------------------


def code_regions(grey: np.ndarray, limit: int = _MAX_REGIONS) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) where a code probably is: compact patches full of edges, biggest first."""
    small = cv2.resize(grey, None, fx=_REGION_SCALE, fy=_REGION_SCALE, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (3, 3), 0)
    gx = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 1, 0, ksize=3))
    gy = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 0, 1, ksize=3))
    edges = cv2.max(gx, gy)
    _, mask = cv2.threshold(cv2.blur(edges, (9, 9)), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (11, 11)))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (7, 7)))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True):
        x, y, w, h = cv2.boundingRect(contour)
        if min(w, h) < 12 or cv2.contourArea(contour) < 0.4 * w * h:
            continue
        if not _busy(small[y : y + h, x : x + w], edges[y : y + h, x : x + w]):
            continue
        # Back to full size, with a margin for the quiet zone the mask leaves out.
        pad = int(0.15 * max(w, h)) + 4
        x0, y0 = max(0, int((x - pad) / _REGION_SCALE)), max(0, int((y - pad) / _REGION_SCALE))
        x1 = min(grey.shape[1], int((x + w + pad) / _REGION_SCALE))
        y1 = min(grey.shape[0], int((y + h + pad) / _REGION_SCALE))
        boxes.append((x0, y0, x1 - x0, y1 - y0))
        if len(boxes) == limit:
            break
    return boxes


def _busy(patch: np.ndarray, edges: np.ndarray) -> bool:
    """Whether edges fill the patch, as in a code, rather than only outline it, as around a box or a sign."""
    low, high = np.percentile(patch, (2, 98))
    # Relative to the patch's own contrast, so a faint code counts as much as a crisp one.
    strong = edges > max(12.0, (high - low) * 0.5)
    # A code measures 0.22 or more, the edge of a plain box 0.13 or less.
    return float(strong.mean()) >= 0.18


def _half(grey: np.ndarray) -> np.ndarray:
    """The frame at half size, each pixel the mean of four."""
    return cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)


def _enlarge(crop: np.ndarray) -> np.ndarray:
    """Small crops scaled up so that a module spans a few pixels (zbar needs that)."""
    side = min(crop.shape[:2])
    if side >= _MIN_REGION_SIDE:
        return crop
    factor = min(4.0, _MIN_REGION_SIDE / side)
    return cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def _stretch(image: np.ndarray) -> np.ndarray:
    """Contrast stretched to the full range, ignoring the extreme 1% at both ends."""
    low, high = np.percentile(image, (1, 99))
    if high - low < 1:
        return image
    return cv2.convertScaleAbs(image, alpha=255.0 / (high - low), beta=-low * 255.0 / (high - low))


def _sharpen(image: np.ndarray) -> np.ndarray:
    """A strong unsharp mask: gives blurred edges back much of their step."""
    soft = cv2.GaussianBlur(image, (0, 0), 2)
    return cv2.addWeighted(image, 3.0, soft, -2.0, 0)


def _otsu(image: np.ndarray) -> np.ndarray:
    """Black and white at the threshold Otsu finds after a light smoothing (noise would speckle it)."""
    _, binary = cv2.threshold(cv2.GaussianBlur(image, (5, 5), 0), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return binary


def _adaptive(image: np.ndarray) -> np.ndarray:
    """Black and white against the local mean: survives uneven light across the code."""
    smooth = cv2.medianBlur(image, 5)
    return cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 31, 5)


def _unsmear(image: np.ndarray) -> np.ndarray:
    """Black and white after sharpening along the rows only: undoes much of a sideways motion blur.

    The blur is about as long as a module or two; a module is about a sixtieth of a region's side
    (a 25-module code and its quiet zone, with the region's margin).
    """
    soft = cv2.GaussianBlur(image, (0, 0), sigmaX=max(1.0, min(image.shape[:2]) / 60), sigmaY=0.01)
    return _otsu(cv2.addWeighted(image, 4.0, soft, -3.0, 0))


# The clean-ups tried on each region, cheapest and most often useful first.
REGION_PASSES: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...] = (
    ("region", lambda crop: crop),
    ("otsu", _otsu),
    ("unsmear", _unsmear),
    ("inverted", lambda crop: 255 - crop),
    ("sharpen", _sharpen),
    ("stretch", _stretch),
    ("adaptive", _adaptive),
    ("inverted-otsu", lambda crop: 255 - _otsu(crop)),
)


def small_code_regions(grey: np.ndarray, limit: int = _MAX_SMALL) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) where a small QR code probably is, with its quiet zone, densest first.

    A QR code is a patch dense with edges across *and* along the rows; the edge of a box or a
    shelf has edges one way only, so the lesser of the two densities picks out codes that are
    too small for ``code_regions`` (tens of pixels) even where they overlap a box.
    """
    scale = _REGION_SCALE if grey.shape[1] >= _HALF_SIZE_FROM else 1.0
    small = _half(grey) if scale != 1.0 else grey
    gx = np.abs(cv2.Sobel(small, cv2.CV_16S, 1, 0, ksize=3)).astype(np.float32)
    gy = np.abs(cv2.Sobel(small, cv2.CV_16S, 0, 1, ksize=3)).astype(np.float32)
    window = (7, 7)
    both = cv2.min(cv2.blur(gx, window), cv2.blur(gy, window))
    peak = float(both.max())
    if peak < _SMALL_MIN_DENSITY:
        return []
    mask = (both > max(_SMALL_MIN_DENSITY, peak * 0.3)).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        side = max(w, h) / scale
        if not _SMALL_SIDES[0] <= side <= _SMALL_SIDES[1] or max(w, h) > 2 * min(w, h):
            continue
        found.append((float(both[y : y + h, x : x + w].mean()), x, y, w, h))
    boxes = []
    for _, x, y, w, h in sorted(found, reverse=True)[:limit]:
        # The quiet zone is four modules of about 25 across the symbol: a sixth of a side each way, and some slack.
        pad = 0.25 * max(w, h) + 2
        x0, y0 = max(0, int((x - pad) / scale)), max(0, int((y - pad) / scale))
        x1, y1 = min(grey.shape[1], int((x + w + pad) / scale)), min(grey.shape[0], int((y + h + pad) / scale))
        boxes.append((x0, y0, x1 - x0, y1 - y0))
    return boxes


def _upscaled(crop: np.ndarray) -> np.ndarray:
    """A small code's crop three times larger (cubic): a module of under 2 pixels becomes 5 or so."""
    factor = min(_SMALL_UPSCALE, _MAX_UPSCALED_SIDE / max(crop.shape[:2]))
    return cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def _soft_sharpen(image: np.ndarray) -> np.ndarray:
    """A milder unsharp mask than ``_sharpen``, for upscaled crops (a strong one rings there)."""
    soft = cv2.GaussianBlur(image, (0, 0), 2)
    return cv2.addWeighted(image, 2.5, soft, -1.5, 0)


# ---- the decoder -----------------------------------------------------------------------


# A pass: its name, its engine and what makes its image (None when it has nothing to look at).
_Pass = tuple[str, Callable[[np.ndarray], list[Decoded]], Callable[[], "np.ndarray | None"]]


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
        # Two cheap first looks: QR codes alone, and barcodes on every other line.
        self._quick = (Zbar(("QRCODE",)), Zbar(_LINEAR, density=2)) if use_zbar and not raw else None
        self._zxing = Zxing() if backend in ("zxing", "both") else None
        # Small codes are QR codes (a barcode's bars cannot be that thin): only they are looked for in
        # enlarged crops, where a barcode read would be a guess.
        self._zxing_qr = Zxing(qr_only=True) if self._zxing is not None and not raw else None
        # What each pass took lately (ms), by pass name and frame size.
        self._cost: dict[tuple[str, tuple[int, ...]], float] = {}
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
        for name, engine, make_image in self._passes(grey):
            key = (name, grey.shape)
            if self.passes_run and self.budget_ms is not None:
                spent = (time.perf_counter() - start) * 1000
                if spent + self._cost.get(key, 0.0) > self.budget_ms:
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

    def _learn(self, key: tuple[str, tuple[int, ...]], took: float) -> None:
        before = self._cost.get(key)
        self._cost[key] = took if before is None else before + _COST_WEIGHT * (took - before)

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
        if linear and not (alone and (by_zxing or (name == "zbar-lines" and sure_lines))):
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

        Images (and the regions they come from) are made only when their pass runs.
        """
        zbar, zxing = self._zbar, self._zxing
        if self._quick is not None and zbar is not None:
            qr, lines = self._quick
            if grey.shape[1] >= _HALF_SIZE_FROM:
                # QR codes only at half size: thin bars blur together there.
                yield "zbar-half", qr, lambda: _half(grey)
            else:
                yield "zbar-qr", qr, lambda: grey
            small = self._small_passes(grey, qr)
            # zxing-cpp on the enlarged small spots, then barcodes, then zbar on those spots.
            yield from itertools.islice(small, _MAX_SMALL)
            yield "zbar-lines", lines, lambda: grey
            if zxing is not None:
                # zxing-cpp reads most codes in a few milliseconds, perspective-warped barcodes too.
                yield "zxing", zxing, lambda: grey
            yield from small
            # These and the region passes cover what one more full-size pass would read.
            regions = _Lazy(lambda: [_enlarge(grey[y : y + h, x : x + w]) for x, y, w, h in code_regions(grey)])
            for name, clean_up in REGION_PASSES:
                for index in range(_MAX_REGIONS):
                    yield f"zbar-{name}", zbar, lambda c=clean_up, i=index: _nth(regions(), i, c)
        elif zbar is not None:
            yield "zbar", zbar, lambda: grey
        if zxing is not None:
            if self._quick is None:
                yield "zxing", zxing, lambda: grey
            if not self.raw:
                # zxing-cpp tries inverted QR codes itself, but not inverted barcodes.
                yield "zxing-inverted", zxing, lambda: 255 - grey

    def _small_passes(self, grey: np.ndarray, zbar_qr: Callable[[np.ndarray], list[Decoded]]) -> Iterator[_Pass]:
        """Small QR codes: the likely spots cut out, enlarged three times and sharpened, for zxing-cpp, then zbar."""
        crops = _Lazy(lambda: [_upscaled(grey[y : y + h, x : x + w]) for x, y, w, h in small_code_regions(grey)])
        engines: list[tuple[str, Callable[[np.ndarray], list[Decoded]], Callable[[np.ndarray], np.ndarray]]] = []
        if self._zxing_qr is not None:
            engines.append(("zxing-small", self._zxing_qr, _soft_sharpen))
        engines.append(("zbar-small", zbar_qr, _sharpen))
        for name, engine, clean_up in engines:
            for index in range(_MAX_SMALL):
                yield name, engine, lambda c=clean_up, i=index: _nth(crops(), i, c)


def _nth(crops: list[np.ndarray], index: int, clean_up: Callable[[np.ndarray], np.ndarray]) -> np.ndarray | None:
    """Crop ``index`` cleaned up, or None when there are fewer crops."""
    return clean_up(crops[index]) if index < len(crops) else None


class _Lazy:
    """A value made on first use (the regions of a frame: not looked for if an earlier pass reads the code)."""

    def __init__(self, make: Callable[[], list[np.ndarray]]) -> None:
        self._make = make
        self._value: list[np.ndarray] | None = None

    def __call__(self) -> list[np.ndarray]:
        if self._value is None:
            self._value = self._make()
        return self._value
