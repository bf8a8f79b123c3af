"""Looking at a frame before an engine does: where codes probably are, and clean-ups that help read them."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

# Regions are looked for at half size: cheaper, and the gradient of a code survives it.
_REGION_SCALE = 0.5
MAX_REGIONS = 3
# A region whose shorter side is under this (full-size pixels) is enlarged before decoding.
_MIN_REGION_SIDE = 360
# Frames at least this wide are first decoded at half size.
HALF_SIZE_FROM = 960
# Small codes (a far shelf label, a phone held far away): how many candidates, their sides in
# full-size pixels, the least edge density that counts, and how they are enlarged.
MAX_SMALL = 3
_SMALL_SIDES = (24, 200)
_SMALL_MIN_DENSITY = 40.0
_SMALL_UPSCALE = 3.0
_MAX_UPSCALED_SIDE = 600
# Whole-frame barcode scans average rows until about this many are left (a 720-row frame: four
# into one): the bars run down the rows, so averaging keeps them while it quietens sensor noise,
# and zbar has a quarter of the rows to scan.
_SQUASHED_ROWS = 180


def code_regions(grey: np.ndarray, limit: int = MAX_REGIONS) -> list[tuple[int, int, int, int]]:
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


def half(grey: np.ndarray) -> np.ndarray:
    """The frame at half size, each pixel the mean of four."""
    return cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)


def enlarge(crop: np.ndarray) -> np.ndarray:
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


def sharpen(image: np.ndarray) -> np.ndarray:
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
REGION_PASSES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "region": lambda crop: crop,
    "otsu": _otsu,
    "unsmear": _unsmear,
    "inverted": lambda crop: 255 - crop,
    "sharpen": sharpen,
    "stretch": _stretch,
    "adaptive": _adaptive,
    "inverted-otsu": lambda crop: 255 - _otsu(crop),
}


def small_code_regions(
    grey: np.ndarray, limit: int = MAX_SMALL, halved: np.ndarray | None = None
) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) where a small QR code probably is, with its quiet zone, densest first.

    A QR code is a patch dense with edges across *and* along the rows; the edge of a box or a
    shelf has edges one way only, so the lesser of the two densities picks out codes that are
    too small for ``code_regions`` (tens of pixels) even where they overlap a box. ``halved`` is
    ``half(grey)`` when the caller has it already.
    """
    scale = _REGION_SCALE if grey.shape[1] >= HALF_SIZE_FROM else 1.0
    small = grey if scale == 1.0 else halved if halved is not None else half(grey)
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


def upscaled(crop: np.ndarray, factor: float = _SMALL_UPSCALE) -> np.ndarray:
    """A small code's crop three times larger (cubic): a module of under 2 pixels becomes 5 or so."""
    factor = min(factor, _MAX_UPSCALED_SIDE / max(crop.shape[:2]))
    return cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def soft_sharpen(image: np.ndarray) -> np.ndarray:
    """A milder unsharp mask than ``sharpen``, for upscaled crops (a strong one rings there)."""
    soft = cv2.GaussianBlur(image, (0, 0), 2)
    return cv2.addWeighted(image, 2.5, soft, -1.5, 0)


def squash(grey: np.ndarray) -> np.ndarray:
    """The frame with every few rows averaged into one (``_SQUASHED_ROWS`` rows left), for barcodes.

    A barcode's bars run down the rows, so the average keeps them (a bar tilted by 30 degrees
    drifts a pixel or two over four rows) and quietens the noise that slows zbar down.
    """
    factor = max(1, round(grey.shape[0] / _SQUASHED_ROWS))
    if factor == 1:
        return grey
    return cv2.resize(grey, (grey.shape[1], grey.shape[0] // factor), interpolation=cv2.INTER_AREA)


def row_sharpen(image: np.ndarray, sigma: float = 2.0) -> np.ndarray:
    """A strong unsharp mask along the rows only: gives a sideways motion blur back its edges.

    It also lifts a faint code's contrast; ``sigma`` is about a module at the image's scale.
    """
    soft = cv2.GaussianBlur(image, (0, 0), sigmaX=sigma, sigmaY=0.01)
    return cv2.addWeighted(image, 4.0, soft, -3.0, 0)
