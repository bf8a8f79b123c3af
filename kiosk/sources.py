"""Where codes come from: a camera, a keyboard-wedge scanner, or a folder of images.

Each source yields ``Sighting``s; the same code seen again within a few seconds is dropped by
``Deduper`` (a camera sees a code held up to it in every frame).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:  # a keyboard-wedge scanner needs neither OpenCV nor numpy
    import numpy as np

    from kiosk.decode import Decoder

log = logging.getLogger("kiosk")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
# How often a watched folder is listed again, and how long a lost camera waits before reopening.
FOLDER_POLL_SECONDS = 0.5
CAMERA_RETRY_SECONDS = 2.0
CAMERA_FAILED_READS = 30


class SourceError(Exception):
    """The source cannot be used (no camera, no OpenCV, no such folder)."""


class Camera(Protocol):
    """What is used of ``cv2.VideoCapture`` (and what a test's fake camera provides)."""

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def release(self) -> None: ...


@dataclass(frozen=True)
class Sighting:
    """A code read from a source; ``origin`` says where (an image's name, "camera 0", "scanner")."""

    text: str
    symbology: str
    origin: str
    at: float = field(default_factory=time.monotonic)


class Deduper:
    """Counts a code once while it keeps being seen: again only after ``seconds`` without a sighting."""

    def __init__(self, seconds: float = 2.0) -> None:
        self.seconds = seconds
        self._last_seen: dict[str, float] = {}

    def fresh(self, text: str, now: float | None = None) -> bool:
        """Whether this sighting of ``text`` counts; every sighting restarts the code's window."""
        if self.seconds <= 0:
            return True
        now = time.monotonic() if now is None else now
        previous = self._last_seen.get(text)
        self._last_seen[text] = now
        if len(self._last_seen) > 1000:
            self._last_seen = {t: s for t, s in self._last_seen.items() if now - s < self.seconds}
        return previous is None or now - previous > self.seconds


def guess_symbology(text: str) -> str:
    """What a keyboard-wedge scanner read, judged by its text (the scanner does not say)."""
    if text.isdigit() and len(text) in (8, 12, 13):
        # Eight digits could be UPC-E too; EAN-8 is the usual one on shelves here.
        return {8: "EAN8", 12: "UPCA", 13: "EAN13"}[len(text)]
    return "QRCODE"


def hid_sightings(stream: TextIO, stop: threading.Event) -> Iterator[Sighting]:
    """One code per line from a keyboard-wedge scanner (standard input); ends at end of input."""
    for line in stream:
        if stop.is_set():
            return
        text = line.strip()
        if text:
            yield Sighting(text, guess_symbology(text), "scanner")


def _read_image(path: Path) -> np.ndarray | None:
    import cv2

    return cv2.imread(str(path), cv2.IMREAD_COLOR)


def _decoded(frame: np.ndarray, decoder: Decoder, origin: str) -> Iterator[Sighting]:
    start = time.perf_counter()
    found = decoder.decode(frame)
    took = (time.perf_counter() - start) * 1000
    log.debug("%s: %d code(s) in %.1f ms (%s)", origin, len(found), took, decoder.last_pass or "no pass")
    for code in found:
        yield Sighting(code.text, code.symbology, origin)


def image_sightings(
    folder: Path, decoder: Decoder, stop: threading.Event, *, interval: float = 0.0, watch: bool = False
) -> Iterator[Sighting]:
    """The codes in the folder's images, by file name; ``watch`` keeps looking for new files."""
    if not folder.is_dir():
        raise SourceError(f"no such folder: {folder}")
    done: set[str] = set()
    while not stop.is_set():
        waiting = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.name not in done)
        for path in waiting:
            if stop.is_set():
                return
            done.add(path.name)
            frame = _read_image(path)
            if frame is None:
                log.warning("%s: not an image I can read, skipped", path.name)
                continue
            found = list(_decoded(frame, decoder, path.name))
            if not found:
                log.info("%s: no code found", path.name)
            yield from found
            if interval > 0:
                stop.wait(interval)
        if not watch:
            return
        stop.wait(FOLDER_POLL_SECONDS)


def _open_camera(index: int) -> Camera:
    try:
        import cv2
    except ImportError as error:
        raise SourceError("--camera needs OpenCV: pip install opencv-python-headless") from error
    camera = cv2.VideoCapture(index)
    if not camera.isOpened():
        raise SourceError(f"camera {index} could not be opened")
    # Keep the driver's queue short so the frame decoded is the one in front of the lens now.
    camera.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return camera


class LatestFrame:
    """A one-frame hand-over from the camera's reader to the decoder: the newest frame wins.

    The reader keeps reading at the camera's pace. While the decoder is busy with a frame, a frame
    not yet taken is replaced by the next one, so after a slow frame the decoder goes on with what
    the lens sees now, not with a queue of stale frames. While the decoder is not busy (between
    frames), a frame waits for it and is never dropped.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._frame: np.ndarray | None = None
        self._busy = False
        self.ended = False
        self.error: BaseException | None = None
        self.dropped = 0

    def put(self, frame: np.ndarray, stop: threading.Event) -> None:
        """Offer the newest frame: it replaces one not yet taken only while the decoder is busy."""
        with self._changed:
            while not self._busy and self._frame is not None and not stop.is_set():
                self._changed.wait(0.05)
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._changed.notify_all()

    def end(self, error: BaseException | None = None) -> None:
        """No more frames will come (because of ``error``, if given)."""
        with self._changed:
            self.ended, self.error = True, self.error or error
            self._changed.notify_all()

    def take(self, stop: threading.Event) -> np.ndarray | None:
        """The newest frame, waiting for one; None once the reader has ended or ``stop`` is set.

        The decoder counts as busy from then until its next ``take``.
        """
        with self._changed:
            self._busy = False
            self._changed.notify_all()
            while self._frame is None and not self.ended and not stop.is_set():
                self._changed.wait(0.1)
            frame, self._frame = self._frame, None
            self._busy = frame is not None
            self._changed.notify_all()
            return frame


def camera_sightings(
    index: int, decoder: Decoder, stop: threading.Event, opener: Callable[[int], Camera] = _open_camera
) -> Iterator[Sighting]:
    """The codes the camera sees; a camera that stops answering is opened again.

    A reader thread keeps taking frames from the camera while a frame is decoded, and the decoder
    then takes the newest one (``LatestFrame``): a slow frame never leaves it behind the camera.
    """
    camera = opener(index)
    origin = f"camera {index}"
    latest = LatestFrame()
    done = threading.Event()
    reader = threading.Thread(
        target=_read_camera, args=(camera, opener, index, latest, stop, done), name="kiosk-camera", daemon=True
    )
    reader.start()
    dropped = 0
    try:
        while not stop.is_set():
            frame = latest.take(stop)
            if frame is None:
                if latest.error is not None and not stop.is_set():
                    raise latest.error
                return
            yield from _decoded(frame, decoder, origin)
            if latest.dropped != dropped:
                log.debug("%s: %d stale frame(s) skipped", origin, latest.dropped - dropped)
                dropped = latest.dropped
    finally:
        done.set()
        reader.join(CAMERA_RETRY_SECONDS + 1)


def _read_camera(
    camera: Camera,
    opener: Callable[[int], Camera],
    index: int,
    latest: LatestFrame,
    stop: threading.Event,
    done: threading.Event,
) -> None:
    """The reader thread of ``camera_sightings``: frames into ``latest`` until stopped."""
    origin = f"camera {index}"
    failed = 0
    try:
        while not stop.is_set() and not done.is_set():
            ok, frame = camera.read()
            if ok and frame is not None:
                failed = 0
                latest.put(frame, done)
                continue
            failed += 1
            if failed >= CAMERA_FAILED_READS:
                log.warning("%s stopped giving frames; opening it again in %.0f s", origin, CAMERA_RETRY_SECONDS)
                camera.release()
                done.wait(CAMERA_RETRY_SECONDS)
                if stop.is_set() or done.is_set():
                    return
                camera = _reopen(opener, index, camera)
                failed = 0
    except BaseException as error:  # noqa: BLE001 - handed to the decoding side, which raises it
        latest.end(error)
    finally:
        camera.release()
        latest.end()


def _reopen(opener: Callable[[int], Camera], index: int, old: Camera) -> Camera:
    """The camera opened again, or the old (released) handle if it is still gone: the next read fails."""
    try:
        return opener(index)
    except SourceError as error:
        log.warning("%s", error)
        return old
