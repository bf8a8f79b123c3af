"""Benchmark the kiosk's decoders on degraded 1280x720 frames: share read and time per frame.

Run from the project root: ``python bench/bench_decode.py`` (``--frames 200`` per set by
default, ``--quick`` for 30). Each set is one degradation from ``kiosk.samples`` applied to QR
label URLs or to EAN-13 barcodes; every frame holds a different code. Timings are one thread.
"wrong" counts frames where a decoder reported a code that is not in the frame (even next to the right one).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.decode import Decoder  # noqa: E402
from kiosk.samples import DEGRADATIONS, empty_frame, make_frame, sample_texts  # noqa: E402

# "pyzbar" and "zxing-cpp" are each engine once on the frame as it is, every read taken.
DECODERS = {
    "pyzbar": lambda: Decoder("pyzbar", raw=True),
    "pyzbar+pre": lambda: Decoder("pyzbar"),
    "zxing-cpp": lambda: Decoder("zxing", raw=True),
    "default": lambda: Decoder("both"),
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


def run(frames_per_set: int, seed: int) -> None:
    """Decode every set with every decoder and print one table row per set and decoder."""
    decoders = {name: make() for name, make in DECODERS.items()}
    texts = sample_texts(2 * frames_per_set, seed)
    kinds = {"qr": texts[0::2], "ean13": texts[1::2]}
    totals: dict[str, list[tuple[str, float]]] = {name: [] for name in decoders}
    passes: Counter[str] = Counter()
    print(f"{frames_per_set} frames per set, 1280x720, one thread; ms per frame (decode only).")
    print(f"{'set':<20} {'decoder':<11} {'decoded':>8} {'wrong':>6} {'median':>8} {'p95':>8}")
    for kind, kind_texts in kinds.items():
        for degradation in DEGRADATIONS:
            frames = [make_frame(text, degradation, seed + i) for i, text in enumerate(kind_texts)]
            for name, decoder in decoders.items():
                results = []
                for frame, text in zip(frames, kind_texts, strict=True):
                    start = time.perf_counter()
                    found = decoder.decode(frame)
                    results.append((outcome(found, text), (time.perf_counter() - start) * 1000))
                    if name == "default":
                        passes[decoder.last_pass or "(none)"] += 1
                totals[name].extend(results)
                print_row(f"{kind}/{degradation}", name, results)
    for name, decoder in decoders.items():
        results = []
        for i in range(frames_per_set):
            frame = empty_frame(seed + i)
            start = time.perf_counter()
            found = decoder.decode(frame)
            results.append(("wrong" if found else "none", (time.perf_counter() - start) * 1000))
        print_row("no code (empty)", name, results)
    print("-" * 66)
    # The overall lines are over the frames that hold a code.
    for name, results in totals.items():
        print_row("overall", name, results)
    print("default decoder, pass that found the code:", ", ".join(f"{k} {v}" for k, v in passes.most_common()))


def print_row(label: str, decoder: str, results: list[tuple[str, float]]) -> None:
    """One line of the table: share read right, frames read wrong, median and p95 ms."""
    times = [ms for _, ms in results]
    share = sum(result == "ok" for result, _ in results) / len(results)
    wrong = sum(result == "wrong" for result, _ in results)
    median, p95 = statistics.median(times), percentile(times, 0.95)
    print(f"{label:<20} {decoder:<11} {share:>8.2%} {wrong:>6} {median:>8.1f} {p95:>8.1f}", flush=True)


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200, help="frames per set (default 200)")
    parser.add_argument("--quick", action="store_true", help="30 frames per set")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    run(30 if args.quick else args.frames, args.seed)


if __name__ == "__main__":
    main()
