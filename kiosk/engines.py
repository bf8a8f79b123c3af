"""The two decoding engines, each on one greyscale image: zbar (through pyzbar's bindings) and zxing-cpp."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

SYMBOLOGIES = ("QRCODE", "EAN13", "EAN8", "UPCA", "UPCE")
LINEAR = ("EAN13", "EAN8", "UPCA", "UPCE")
# zbar's code for 8-bit greyscale ("Y800").
_FOURCC_Y800 = 0x30303859
# What the server accepts, by the names zbar and zxing-cpp use for them.
NAMES = {
    "QRCODE": "QRCODE",
    "QRCode": "QRCODE",
    "EAN13": "EAN13",
    "EAN8": "EAN8",
    "UPCA": "UPCA",
    "UPCE": "UPCE",
}


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


class Zbar:
    """zbar (libzbar through pyzbar's bindings) on one greyscale image.

    ``symbols`` are zbar's names; ``density`` 2 scans every other row and column, half the work
    and plenty for a barcode's tall bars; ``columns=False`` scans the rows only (a barcode whose
    bars stand within 45 degrees of upright is read along the rows). pyzbar's own ``decode`` has
    no way to set either.
    """

    def __init__(self, symbols: tuple[str, ...] = SYMBOLOGIES, density: int = 1, columns: bool = True) -> None:
        from pyzbar import wrapper

        self._zbar = wrapper
        self._symbols = symbols
        self._density = density
        self._columns = columns

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
        # zbar's "y density" spaces the rows it scans, its "x density" the columns (0: none).
        config = zbar.ZBarConfig
        zbar.zbar_image_scanner_set_config(scanner, symbol.NONE, config.CFG_Y_DENSITY, self._density)
        columns = self._density if self._columns else 0
        zbar.zbar_image_scanner_set_config(scanner, symbol.NONE, config.CFG_X_DENSITY, columns)
        return scanner

    def _symbols_of(self, image: Any) -> list[Decoded]:
        """What zbar found in a scanned zbar image."""
        zbar = self._zbar
        found = []
        symbol = zbar.zbar_image_first_symbol(image)
        while symbol:
            name = NAMES.get(zbar.ZBarSymbol(symbol.contents.type).name)
            if name:
                data = ctypes.string_at(zbar.zbar_symbol_get_data(symbol), zbar.zbar_symbol_get_data_length(symbol))
                found.append(
                    Decoded(data.decode("utf-8", errors="replace"), name, zbar.zbar_symbol_get_quality(symbol))
                )
            symbol = zbar.zbar_symbol_next(symbol)
        return found


class Zxing:
    """zxing-cpp on one greyscale image (it also tries the inverted image and rotations itself).

    ``symbols`` as in ``SYMBOLOGIES``; ``rotate=False`` leaves out barcodes turned by 90 degrees
    (about half the work of a barcode search).
    """

    def __init__(self, symbols: tuple[str, ...] = SYMBOLOGIES, rotate: bool = True) -> None:
        import zxingcpp

        self._read = zxingcpp.read_barcodes
        formats = zxingcpp.BarcodeFormat
        by_name = {"QRCODE": formats.QRCode, "EAN13": formats.EAN13, "EAN8": formats.EAN8}
        by_name |= {"UPCA": formats.UPCA, "UPCE": formats.UPCE}
        self._formats = tuple(by_name[name] for name in symbols)
        self._rotate = rotate

    def __call__(self, grey: np.ndarray) -> list[Decoded]:
        """The codes zxing-cpp finds in ``grey``."""
        found = []
        for barcode in self._read(grey, formats=self._formats, try_rotate=self._rotate):
            name = NAMES.get(barcode.format.name)
            if name and barcode.valid:
                found.append(Decoded(barcode.text, name))
        return found
