"""Synthetic camera frames: a QR code or an EAN-13 barcode in a 1280x720 scene, clean or degraded.

Used by the tests, the decode benchmark and demos (``python -m kiosk.samples DIR --text ...``).
Every frame is a BGR ``numpy`` array and is the same for the same text, degradation and seed.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
import qrcode

FRAME_WIDTH, FRAME_HEIGHT = 1280, 720
DEGRADATIONS = (
    "clean",
    "small",
    "rotated",
    "perspective",
    "blurred",
    "noisy",
    "low_contrast",
    "jpeg",
    "inverted",
)
# Harder camera scenes, each a set of its own in bench/bench_decode.py (``make_frame`` draws them too):
# a member code on a phone screen (moire, glare, dimmed, a thumb over a corner), a shelf label far
# away (its QR code about 56 px wide with the quiet zone), a 640x480 webcam at JPEG quality 20, a
# strong sideways motion blur, and a code held upside down.
CAMERA_SCENES = ("phone_screen", "far_label", "webcam_jpeg", "motion_blur", "upside_down")
FAR_LABEL_PX = (52.0, 60.0)
MOTION_BLUR_MODULES = (1.3, 1.8)
WEBCAM_SIZE = (640, 480)
WEBCAM_JPEG_QUALITY = 20
# How hard the photometric degradations are: (low, high) of a uniform draw.
BLUR_MODULES = (0.35, 0.5)
NOISE_SIGMA = (30.0, 45.0)
CONTRAST_SPAN = (18.0, 30.0)
JPEG_QUALITY = (15, 25)

# EAN-13: the left-hand "L" patterns; "G" is the reversed "R", and "R" is "L" with bits flipped.
_L = ("0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011", "0110111", "0001011")
_R = tuple(p.translate(str.maketrans("01", "10")) for p in _L)
_G = tuple(p[::-1] for p in _R)
# The first digit is not drawn: it picks which of the left six digits use L or G.
_PARITY = ("LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL")


def ean13_check_digit(first12: str) -> str:
    """The 13th digit of an EAN-13 whose first twelve digits are given."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_ean13(text: str) -> bool:
    """Whether ``text`` is thirteen digits with a correct check digit."""
    return len(text) == 13 and text.isdigit() and ean13_check_digit(text[:12]) == text[12]


def ean13_modules(code: str) -> str:
    """The 95 modules of an EAN-13 as "1" (bar) and "0" (space)."""
    if not is_ean13(code):
        raise ValueError(f"not an EAN-13 with a valid check digit: {code!r}")
    parity = _PARITY[int(code[0])]
    left = "".join((_L if p == "L" else _G)[int(d)] for p, d in zip(parity, code[1:7], strict=True))
    right = "".join(_R[int(d)] for d in code[7:])
    return "101" + left + "01010" + right + "101"


def render_ean13(code: str, module_px: int = 3) -> np.ndarray:
    """A greyscale EAN-13 label: quiet zones, guard bars drawn longer, digits underneath."""
    modules = ean13_modules(code)
    quiet_left, quiet_right, bar_height = 11, 7, 60
    width = (quiet_left + 95 + quiet_right) * module_px
    height = (bar_height + 14) * module_px
    image = np.full((height, width), 255, np.uint8)
    guards = {*range(3), *range(45, 50), *range(92, 95)}
    for i, bit in enumerate(modules):
        if bit == "1":
            bottom = bar_height + (5 if i in guards else 0)
            x = (quiet_left + i) * module_px
            image[2 * module_px : bottom * module_px, x : x + module_px] = 0
    font, size, stroke = cv2.FONT_HERSHEY_SIMPLEX, module_px * 1.6 / 7, max(1, module_px // 2)
    y = height - 2 * module_px
    for text, modules_x in ((code[0], 3), (code[1:7], quiet_left + 7), (code[7:], quiet_left + 53)):
        cv2.putText(image, text, (modules_x * module_px, y), font, size, 0, stroke)
    return image


def render_qr(text: str, module_px: int = 8) -> np.ndarray:
    """A greyscale QR code with its four-module quiet zone."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    matrix = np.array(qr.get_matrix(), dtype=bool)
    image = np.where(matrix, 0, 255).astype(np.uint8)
    return np.kron(image, np.ones((module_px, module_px), np.uint8))


def render_code(text: str, module_px: int) -> np.ndarray:
    """An EAN-13 if ``text`` is one, else a QR code."""
    return render_ean13(text, module_px) if is_ean13(text) else render_qr(text, module_px)


def _background(rng: np.random.Generator) -> np.ndarray:
    """A plain shelf-like scene: a tinted gradient and a few boxes, so the code is not alone on white."""
    ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
    base = 150 + 40 * (xs / FRAME_WIDTH) + 30 * (ys / FRAME_HEIGHT)
    tint = rng.uniform(0.85, 1.1, 3).astype(np.float32)
    frame = np.clip(base[..., None] * tint, 0, 255).astype(np.uint8)
    for _ in range(6):
        x, y = int(rng.integers(0, FRAME_WIDTH - 200)), int(rng.integers(0, FRAME_HEIGHT - 120))
        colour = tuple(int(c) for c in rng.integers(60, 230, 3))
        cv2.rectangle(frame, (x, y), (x + int(rng.integers(80, 300)), y + int(rng.integers(40, 200))), colour, -1)
    return frame


def _corners(code: np.ndarray, width: float, angle: float, tilt: float, rng: np.random.Generator) -> np.ndarray:
    """Where the code's four corners land in the frame: scaled to ``width``, turned, tilted, placed."""
    h, w = code.shape
    height = width * h / w
    half_w, half_h = width / 2, height / 2
    square = np.array([[-half_w, -half_h], [half_w, -half_h], [half_w, half_h], [-half_w, half_h]])
    if tilt:
        # Seen from one side: the far edge looks shorter, and a little sideways drift.
        far = 1 - tilt
        side = rng.integers(0, 4)
        square[side] *= far
        square[(side + 1) % 4] *= far
        square += rng.uniform(-0.04, 0.04, square.shape) * width
    theta = np.deg2rad(angle)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    turned = square @ rotation.T
    reach = np.abs(turned).max(axis=0) + 10
    centre = np.array([rng.uniform(reach[0], FRAME_WIDTH - reach[0]), rng.uniform(reach[1], FRAME_HEIGHT - reach[1])])
    return (turned + centre).astype(np.float32)


def _place(frame: np.ndarray, code: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Paint the code onto the frame through the perspective transform ``corners`` describes."""
    h, w = code.shape
    source = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners)
    size = (FRAME_WIDTH, FRAME_HEIGHT)
    warped = cv2.warpPerspective(code, matrix, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full_like(code, 255), matrix, size, flags=cv2.INTER_LINEAR).astype(np.float32) / 255
    mask = mask[..., None]
    return (frame * (1 - mask) + warped[..., None].astype(np.float32) * mask).astype(np.uint8)


def _geometry(text: str, degradation: str, rng: np.random.Generator) -> tuple[float, float, float]:
    """Width in the frame, angle and tilt for one degradation."""
    ean = is_ean13(text)
    width = rng.uniform(330, 420) if ean else rng.uniform(230, 330)
    angle = rng.uniform(-4, 4)
    tilt = 0.0
    if degradation == "clean":
        angle = 0.0
    elif degradation == "small":
        # The QR symbol about 100 px (plus its quiet zone); a barcode's thin bars need a little more (two pixels a bar).
        width = rng.uniform(185, 215) if ean else rng.uniform(120, 135)
    elif degradation == "rotated":
        angle = rng.uniform(10, 30 if ean else 40) * rng.choice([-1, 1])
    elif degradation == "perspective":
        tilt = rng.uniform(0.2, 0.4)
    return width, angle, tilt


def _spoil(frame: np.ndarray, degradation: str, module: float, rng: np.random.Generator) -> np.ndarray:
    """The photometric part of a degradation: blur, noise, contrast, compression or inversion.

    ``module`` is the width of one module (a QR square, a thin bar) in the frame, in pixels.
    """
    if degradation == "blurred":
        # Out of focus by up to half a module: edges run into each other. Much more and no engine reads a QR code.
        return cv2.GaussianBlur(frame, (0, 0), module * rng.uniform(BLUR_MODULES[0], BLUR_MODULES[1]))
    if degradation == "noisy":
        noise = rng.normal(0, rng.uniform(NOISE_SIGMA[0], NOISE_SIGMA[1]), frame.shape)
        return np.clip(frame + noise, 0, 255).astype(np.uint8)
    if degradation == "low_contrast":
        low = rng.uniform(95, 120)
        span = rng.uniform(CONTRAST_SPAN[0], CONTRAST_SPAN[1])
        return (low + frame.astype(np.float32) * (span / 255)).astype(np.uint8)
    if degradation == "jpeg":
        quality = int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1))
        ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise RuntimeError("OpenCV could not encode a JPEG")
        return cv2.imdecode(data, cv2.IMREAD_COLOR)
    if degradation == "inverted":
        return 255 - frame
    return frame


def make_frame(text: str, degradation: str = "clean", seed: int = 0) -> np.ndarray:
    """A 1280x720 BGR frame showing ``text`` as a QR code (or EAN-13 if it is one), degraded as named.

    ``degradation`` is one of ``DEGRADATIONS`` or of ``CAMERA_SCENES`` ("webcam_jpeg" is 640x480).
    """
    if degradation in CAMERA_SCENES:
        return _camera_scene(text, degradation, seed)
    if degradation not in DEGRADATIONS:
        known = ", ".join(DEGRADATIONS + CAMERA_SCENES)
        raise ValueError(f"unknown degradation {degradation!r}; one of {known}")
    rng = np.random.default_rng([seed, DEGRADATIONS.index(degradation), *text.encode()])
    width, angle, tilt = _geometry(text, degradation, rng)
    render_module = 5 if is_ean13(text) else 10
    code = render_code(text, render_module)
    module = width * render_module / code.shape[1]
    # Shrink first (area averaging, as a lens would) so the warp itself hardly scales.
    code = cv2.resize(code, (round(width), round(width * code.shape[0] / code.shape[1])), interpolation=cv2.INTER_AREA)
    frame = _place(_background(rng), code, _corners(code, width, angle, tilt, rng))
    return _spoil(frame, degradation, module, rng)


def _camera_scene(text: str, scene: str, seed: int) -> np.ndarray:
    """One frame of the ``CAMERA_SCENES``."""
    rng = np.random.default_rng([seed, 100 + CAMERA_SCENES.index(scene), *text.encode()])
    if scene == "phone_screen":
        return _phone_screen(text, rng)
    render_module = 5 if is_ean13(text) else 10
    code = render_code(text, render_module)
    ean = is_ean13(text)
    angle, tilt = rng.uniform(-4, 4), 0.0
    width = rng.uniform(330, 420) if ean else rng.uniform(230, 330)
    if scene == "far_label":
        width = rng.uniform(*FAR_LABEL_PX) if not ean else rng.uniform(185, 215)
    elif scene == "upside_down":
        angle = 180 + rng.uniform(-12, 12)
    module = width * render_module / code.shape[1]
    code = cv2.resize(code, (round(width), round(width * code.shape[0] / code.shape[1])), interpolation=cv2.INTER_AREA)
    corners = _corners(code, width, angle, tilt, rng)
    frame = _place(_background(rng), code, corners)
    if scene == "far_label":
        # A little out of focus, sensor noise and the camera's own JPEG.
        frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(0.4, 0.7))
        frame = _noise(frame, rng.uniform(8, 14), rng)
        return _jpeg(frame, int(rng.integers(40, 61)))
    if scene == "motion_blur":
        length = max(3, round(module * rng.uniform(*MOTION_BLUR_MODULES)))
        kernel = np.full((1, length), 1.0 / length, np.float32)
        return _noise(cv2.filter2D(frame, -1, kernel), 4, rng)
    if scene == "webcam_jpeg":
        # The 4:3 part of the scene around the code, at the webcam's size, noisy, at JPEG quality 20.
        low = max(0, int(corners[:, 0].max()) + 10 - 960)
        high = min(FRAME_WIDTH - 960, int(corners[:, 0].min()) - 10)
        x = int(rng.integers(low, max(low, high) + 1))
        frame = cv2.resize(frame[:, x : x + 960], WEBCAM_SIZE, interpolation=cv2.INTER_AREA)
        return _jpeg(_noise(frame, rng.uniform(5, 10), rng), WEBCAM_JPEG_QUALITY)
    return _noise(frame, rng.uniform(3, 6), rng)


def _noise(frame: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return np.clip(frame + rng.normal(0, sigma, frame.shape), 0, 255).astype(np.uint8)


def _jpeg(frame: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG")
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def _phone_screen(text: str, rng: np.random.Generator) -> np.ndarray:
    """A phone held up to the camera showing ``text``: dimmed screen, moire, glare, a thumb on a corner."""
    code = render_qr(text, 10)
    width = rng.uniform(150, 230)
    screen_w, screen_h = width * 1.3, width * 2.2
    # The phone (dark body, lit screen, the code in its middle) drawn upright, then placed like a label.
    scale = code.shape[1] / width
    phone_w, phone_h = round(screen_w * scale * 1.12), round(screen_h * scale * 1.08)
    phone = np.full((phone_h, phone_w), 25, np.uint8)
    sx, sy = round((phone_w - screen_w * scale) / 2), round((phone_h - screen_h * scale) / 2)
    phone[sy : phone_h - sy, sx : phone_w - sx] = 245
    cx, cy = (phone_w - code.shape[1]) // 2, (phone_h - code.shape[0]) // 2
    phone[cy : cy + code.shape[0], cx : cx + code.shape[1]] = code
    target_w = phone_w / scale
    small = cv2.resize(phone, (round(target_w), round(target_w * phone_h / phone_w)), interpolation=cv2.INTER_AREA)
    corners = _corners(small, target_w, rng.uniform(-8, 8), 0.0, rng)
    frame = _place(_background(rng), small, corners)
    centre = corners.mean(axis=0)
    grey = frame.astype(np.float32)
    ys, xs = np.mgrid[0:FRAME_HEIGHT, 0:FRAME_WIDTH].astype(np.float32)
    # Dimmed screen and the moire of the camera's pixels against the screen's.
    grey *= rng.uniform(0.55, 0.8)
    period, theta = rng.uniform(5, 9), rng.uniform(0, np.pi)
    wave = np.sin((xs * np.cos(theta) + ys * np.sin(theta)) * 2 * np.pi / period)
    grey *= (1 + rng.uniform(0.08, 0.15) * wave)[..., None]
    # Glare: a soft bright patch somewhere over the code.
    gx, gy = centre[0] + rng.uniform(-0.4, 0.4) * width, centre[1] + rng.uniform(-0.4, 0.4) * width
    radius = rng.uniform(0.15, 0.3) * width
    glare = np.exp(-((xs - gx) ** 2 + (ys - gy) ** 2) / (2 * radius**2))
    grey += (rng.uniform(60, 110) * glare)[..., None]
    frame = np.clip(grey, 0, 255).astype(np.uint8)
    # A thumb over the bottom right corner of the code (the one without a finder pattern).
    tx, ty = centre[0] + width * 0.5, centre[1] + width * 0.5
    axes = (round(width * rng.uniform(0.25, 0.32)), round(width * rng.uniform(0.4, 0.5)))
    skin = tuple(int(c) for c in (rng.uniform(110, 140), rng.uniform(140, 170), rng.uniform(190, 220)))
    cv2.ellipse(frame, (round(tx), round(ty)), axes, rng.uniform(20, 60), 0, 360, skin, -1, cv2.LINE_AA)
    return _jpeg(_noise(frame, rng.uniform(3, 6), rng), int(rng.integers(60, 80)))


def empty_frame(seed: int = 0) -> np.ndarray:
    """A 1280x720 BGR frame of the same kind of scene with no code in it (what a kiosk camera sees most)."""
    return _background(np.random.default_rng([seed, len(DEGRADATIONS)]))


def sample_texts(count: int, seed: int = 0, base_url: str = "HTTP://127.0.0.1:5000") -> list[str]:
    """Distinct label URLs and EAN-13s, alternating, for a benchmark or a demo folder."""
    chooser = random.Random(seed)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    texts: list[str] = []
    while len(texts) < count:
        if len(texts) % 2 == 0:
            text = f"{base_url}/Q/{''.join(chooser.choices(alphabet, k=8))}"
        else:
            first12 = "69" + "".join(chooser.choices("0123456789", k=10))
            text = first12 + ean13_check_digit(first12)
        if text not in texts:
            texts.append(text)
    return texts


def sample_member_codes(count: int, seed: int = 0) -> list[str]:
    """Distinct member codes as a phone shows them (``MC-<member>-<time step>-<MAC>``), made up."""
    chooser = random.Random(seed)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    step = 58_000_000 + chooser.randrange(1_000_000)
    codes = []
    for i in range(count):
        member, mac = chooser.randrange(1, 100_000), "".join(chooser.choices(alphabet, k=10))
        codes.append(f"MC-{member}-{step + i}-{mac}")
    return codes


def write_frames(folder: Path, items: Iterable[tuple[str, str]], seed: int = 0) -> list[Path]:
    """Write one PNG per (text, degradation), named in order: ``0001-clean.png``, ``0002-noisy.png`` ..."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, (text, degradation) in enumerate(items, start=1):
        path = folder / f"{number:04d}-{degradation}.png"
        if not cv2.imwrite(str(path), make_frame(text, degradation, seed)):
            raise OSError(f"could not write {path}")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk.samples DIR --text T [--text T ...]``: a folder of frames for ``--images``."""
    parser = argparse.ArgumentParser(prog="python -m kiosk.samples", description=main.__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--text", action="append", help="a QR payload or an EAN-13 (default: a few made up)")
    parser.add_argument(
        "--degradation", action="append", choices=DEGRADATIONS + CAMERA_SCENES, help="default: all of DEGRADATIONS"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    texts = args.text or sample_texts(4, args.seed)
    degradations = args.degradation or list(DEGRADATIONS)
    paths = write_frames(args.folder, [(t, d) for t in texts for d in degradations], args.seed)
    print(f"wrote {len(paths)} frames to {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
