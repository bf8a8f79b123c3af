"""Benchmark QR shelf labels: PNG/SVG rates, PDF render times and a 300 dpi decode check.

Run from the project root: ``python bench/bench_labels.py`` (``--quick`` for 120 labels).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402
from pyzbar.pyzbar import ZBarSymbol, decode  # noqa: E402

from app.labels.pdf import SHEETS, LabelData, render_labels  # noqa: E402
from app.labels.qr import best_mask, fit_version, qr_png, qr_svg  # noqa: E402

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
NAMES = [
    "Organic Whole Milk 1 L",
    "Très bon café moulu — 250 g",
    "Sparkling Mineral Water, lemon & lime, 6 x 330 ml multipack with a very long name",
    "有机苹果汁 Organic apple juice",
    "Longjing Green Tea 龙井绿茶",
    "黄山毛峰绿茶礼盒装（特级）明前一级新茶 250 克",
    "Rye bread",
    "Dark chocolate 85 % cocoa",
]
PRICES = ["€1.99", "$12.49", "£0.89", "¥128.00", "€1,299.00"]


def make_labels(count: int, rng: random.Random) -> list[LabelData]:
    """Random but realistic labels with 8-char base32 codes."""
    labels = []
    for i in range(count):
        code = "".join(rng.choice(BASE32) for _ in range(8))
        labels.append(
            LabelData(
                code=code,
                url=f"HTTP://127.0.0.1:5000/Q/{code}",
                name=rng.choice(NAMES),
                price=rng.choice(PRICES),
                sku=f"SKU-{i:06d}",
                barcode=rng.choice([None, "0012345678905", "4006381333931"]),
                location="Aisle 3 / Shelf B",
            )
        )
    return labels


def per_second(fn: Callable[[str], object], urls: list[str]) -> float:
    """Calls of fn per second over all urls."""
    start = time.perf_counter()
    for url in urls:
        fn(url)
    return len(urls) / (time.perf_counter() - start)


def timed(fn: Callable[[], bytes]) -> tuple[float, bytes]:
    """Seconds taken by fn and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def decode_pages(pdf: bytes, workers: int) -> list[list[str]]:
    """Rasterise every page at 300 dpi with pdftoppm and decode its QR codes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "labels.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))

        def one(page: int) -> list[str]:
            prefix = Path(tmp) / f"p{page}"
            only = ["-f", str(page), "-l", str(page), "-singlefile"]
            subprocess.run(["pdftoppm", "-r", "300", "-png", *only, str(path), str(prefix)], check=True)
            png = prefix.with_suffix(".png")
            with Image.open(png) as image:
                found = [s.data.decode() for s in decode(image, symbols=[ZBarSymbol.QRCODE])]
            png.unlink()
            return found

        # pdftoppm runs in its own process and zbar releases the GIL, so
        # threads keep both cores busy.
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(one, range(1, pages + 1)))


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark table; exit 1 if any QR fails to decode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="120 labels instead of 1000")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: a fresh one)")
    args = parser.parse_args(argv)
    for tool in ("pdftoppm", "pdfinfo"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: sudo apt-get install -y poppler-utils", file=sys.stderr)
            return 2
    count = 120 if args.quick else 1000
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    labels = make_labels(count, random.Random(seed))
    urls = [label.url for label in labels]
    version, mask = fit_version(urls[0]), best_mask(urls[0])
    rate_n = min(count, 300)  # the automatic-mask rates are slow to measure

    def png_fixed(url: str) -> bytes:
        return qr_png(url, version=version, mask=mask)

    def svg_fixed(url: str) -> str:
        return qr_svg(url, version=version, mask=mask)

    rows: list[tuple[str, str]] = [
        ("labels", f"{count} (seed {seed}, QR version {version}, batch mask {mask})"),
        ("QR PNG labels/s, automatic mask", f"{per_second(qr_png, urls[:rate_n]):,.0f}"),
        ("QR PNG labels/s, fixed version+mask", f"{per_second(png_fixed, urls):,.0f}"),
        ("QR SVG labels/s, automatic mask", f"{per_second(qr_svg, urls[:rate_n]):,.0f}"),
        ("QR SVG labels/s, fixed version+mask", f"{per_second(svg_fixed, urls):,.0f}"),
    ]
    a4_seconds, a4_pdf = timed(lambda: render_labels(labels, "a4"))
    rows.append((f"A4 PDF, {count} labels", f"{a4_seconds:.2f} s ({len(a4_pdf) / 1e6:.2f} MB)"))
    thermal_seconds, thermal_pdf = timed(lambda: render_labels(labels, "thermal-50x30"))
    rows.append((f"thermal 50x30 PDF, {count} labels", f"{thermal_seconds:.2f} s ({len(thermal_pdf) / 1e6:.2f} MB)"))

    start = time.perf_counter()
    pages = decode_pages(a4_pdf, workers=max(1, min(4, os.cpu_count() or 1)))
    decode_seconds = time.perf_counter() - start
    per_page = SHEETS["a4"].per_page
    decoded = sum(len(set(found) & set(urls[i * per_page : (i + 1) * per_page])) for i, found in enumerate(pages))
    rows.append(
        ("decode check, A4 at 300 dpi", f"decoded {decoded} / {count} ({len(pages)} pages, {decode_seconds:.1f} s)")
    )

    width = max(len(name) for name, _ in rows)
    print(f"{'metric'.ljust(width)}  value")
    print(f"{'-' * width}  {'-' * 40}")
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    missing = [url for i, url in enumerate(urls) if url not in pages[i // per_page]]
    for url in missing[:10]:
        print(f"not decoded: {url} (page {urls.index(url) // per_page + 1})", file=sys.stderr)
    return 0 if not missing else 1


if __name__ == "__main__":
    sys.exit(main())
