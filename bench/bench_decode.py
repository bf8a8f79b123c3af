"""Benchmark the kiosk's decoders on degraded camera frames: share read and time per frame.

Run from the project root: ``python bench/bench_decode.py`` (``--frames 200`` per set by
default, ``--quick`` for 30). Each set is one degradation from ``kiosk.samples`` applied to QR
label URLs or to EAN-13 barcodes; every frame holds a different code. Timings are one thread.
"wrong" counts frames where a decoder reported a code that is not in the frame (even next to the right one).

Two groups of sets: the degradations of 1280x720 frames (``DEGRADATIONS``) and the camera
scenes (``CAMERA_SCENES``): member codes on phone screens, far shelf labels (a QR code of about
56 px), a 640x480 webcam at JPEG quality 20, sideways motion blur, codes upside down.
"default" is the kiosk's decoder as the camera runs it, with its time budget per frame;
"no budget" the same without one. ``--decoders`` picks some, ``--sets`` one group or
``--only qr/far_label,ean13/noisy`` a few sets, ``--budget-ms`` another budget for "default".
``--dump DIR`` writes each frame the default decoder misses or misreads as a PNG, named after its
set, number and what it read. Timings on a shared machine vary with its load: the load average
is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402

from kiosk.decode import DEFAULT_BUDGET_MS, Decoder  # noqa: E402
from kiosk.samples import (  # noqa: E402
    CAMERA_SCENES,
    DEGRADATIONS,
    empty_frame,
    make_frame,
    sample_member_codes,
    sample_texts,
)

# "pyzbar" and "zxing-cpp" are each engine once on the frame as it is, every read taken.
DECODERS = {
    "pyzbar": lambda budget: Decoder("pyzbar", raw=True),
    "pyzbar+pre": lambda budget: Decoder("pyzbar"),
    "zxing-cpp": lambda budget: Decoder("zxing", raw=True),
    "default": lambda budget: Decoder("both", budget_ms=budget),
    "no budget": lambda budget: Decoder("both"),
}
# The camera scenes and what they show: member codes on the phone, else labels (and barcodes upside down).
SCENE_KINDS = {
    "phone_screen": ("member",),
    "far_label": ("qr",),
    "webcam_jpeg": ("qr",),
    "motion_blur": ("qr",),
    "upside_down": ("qr", "ean13"),
}


def outcome(found: list, text: str) -> str:
    """ "wrong" if any code read is not ``text``, "ok" if it was read (UPC-A as EAN-13 with a leading 0 counts)."""
    right = [code.text == text or code.text.lstrip("0") == text.lstrip("0") for code in found]
    if not all(right):
        return "wrong"
    return "ok" if right else "none"


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of the sorted values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def load() -> str:
    """The machine's load averages over 1, 5 and 15 minutes, as ``uptime`` shows them."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def dump(folder: Path, label: str, number: int, frame, found: list) -> None:
    """Write a frame the default decoder missed (or misread) for a look at it."""
    folder.mkdir(parents=True, exist_ok=True)
    read = "+".join(code.text for code in found) or "none"
    name = f"{label.replace('/', '-')}-{number:04d}-{''.join(c if c.isalnum() else '_' for c in read)[:40]}.png"
    cv2.imwrite(str(folder / name), frame)


def run(
    frames_per_set: int,
    seed: int,
    names: list[str],
    groups: list[str],
    *,
    budget: float = DEFAULT_BUDGET_MS,
    only: set[str] | None = None,
    dump_to: Path | None = None,
) -> None:
    """Decode every set with every decoder and print one table row per set and decoder."""
    decoders = {name: DECODERS[name](budget) for name in names}
    texts = sample_texts(2 * frames_per_set, seed)
    kinds = {"qr": texts[0::2], "ean13": texts[1::2], "member": sample_member_codes(frames_per_set, seed)}
    sets = []
    if "degraded" in groups:
        sets += [(kind, degradation) for kind in ("qr", "ean13") for degradation in DEGRADATIONS]
    if "camera" in groups:
        sets += [(kind, scene) for scene in CAMERA_SCENES for kind in SCENE_KINDS[scene]]
    if only:
        sets = [(kind, degradation) for kind, degradation in sets if f"{kind}/{degradation}" in only]
    totals: dict[str, dict[str, list[tuple[str, float]]]] = {group: {n: [] for n in decoders} for group in groups}
    passes: Counter[str] = Counter()
    print(f"{frames_per_set} frames per set, 1280x720 (webcam_jpeg 640x480), one thread; ms per frame (decode only).")
    print(f"default: budget {budget:g} ms per frame. Load average before: {load()}.")
    print(f"{'set':<24} {'decoder':<11} {'decoded':>8} {'wrong':>6} {'median':>8} {'p95':>8}")
    for kind, degradation in sets:
        group = "camera" if degradation in CAMERA_SCENES else "degraded"
        kind_texts = kinds[kind]
        frames = [make_frame(text, degradation, seed + i) for i, text in enumerate(kind_texts)]
        for name, decoder in decoders.items():
            results = []
            for number, (frame, text) in enumerate(zip(frames, kind_texts, strict=True)):
                start = time.perf_counter()
                found = decoder.decode(frame)
                results.append((outcome(found, text), (time.perf_counter() - start) * 1000))
                if name == "default":
                    passes[decoder.last_pass or "(none)"] += 1
                    if dump_to is not None and results[-1][0] != "ok":
                        dump(dump_to, f"{kind}/{degradation}", number, frame, found)
            totals[group][name].extend(results)
            print_row(f"{kind}/{degradation}", name, results)
    for name, decoder in decoders.items():
        results = []
        for i in range(frames_per_set):
            frame = empty_frame(seed + i)
            start = time.perf_counter()
            found = decoder.decode(frame)
            results.append(("wrong" if found else "none", (time.perf_counter() - start) * 1000))
        print_row("no code (empty)", name, results)
    print("-" * 70)
    # The overall lines are over the frames that hold a code.
    for group, by_decoder in totals.items():
        for name, results in by_decoder.items():
            print_row(f"overall {group}", name, results)
    if passes:
        print("default decoder, pass that found the code:", ", ".join(f"{k} {v}" for k, v in passes.most_common()))
    print(f"Load average after: {load()}.")


def print_row(label: str, decoder: str, results: list[tuple[str, float]]) -> None:
    """One line of the table: share read right, frames read wrong, median and p95 ms."""
    times = [ms for _, ms in results]
    share = sum(result == "ok" for result, _ in results) / len(results)
    wrong = sum(result == "wrong" for result, _ in results)
    median, p95 = statistics.median(times), percentile(times, 0.95)
    print(f"{label:<24} {decoder:<11} {share:>8.2%} {wrong:>6} {median:>8.1f} {p95:>8.1f}", flush=True)


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200, help="frames per set (default 200)")
    parser.add_argument("--quick", action="store_true", help="30 frames per set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--decoders", default=",".join(DECODERS), help=f"comma-separated, of {', '.join(DECODERS)} (default: all)"
    )
    parser.add_argument("--sets", choices=("all", "degraded", "camera"), default="all", help="default: all")
    parser.add_argument("--only", help="comma-separated sets as the table names them, e.g. qr/far_label,ean13/noisy")
    parser.add_argument("--budget-ms", type=float, default=DEFAULT_BUDGET_MS, help="the default decoder's budget")
    parser.add_argument("--dump", type=Path, metavar="DIR", help="write the frames the default decoder misses here")
    args = parser.parse_args()
    names = [name.strip() for name in args.decoders.split(",") if name.strip()]
    unknown = [name for name in names if name not in DECODERS]
    if unknown:
        parser.error(f"unknown decoder(s): {', '.join(unknown)}")
    groups = ["degraded", "camera"] if args.sets == "all" else [args.sets]
    only = {name.strip() for name in args.only.split(",") if name.strip()} if args.only else None
    frames = 30 if args.quick else args.frames
    run(frames, args.seed, names, groups, budget=args.budget_ms, only=only, dump_to=args.dump)


if __name__ == "__main__":
    main()
