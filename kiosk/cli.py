"""``python -m kiosk``: read codes from a camera, a scanner or images and send them to Oneshelf.

``python -m kiosk status`` prints how many scans of an outbox are waiting, sent and rejected.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from kiosk.client import Sender
from kiosk.outbox import Outbox
from kiosk.sources import Deduper, Sighting, SourceError, camera_sightings, hid_sightings, image_sightings

log = logging.getLogger("kiosk")
DEFAULT_OUTBOX = Path("~/.oneshelf-kiosk/outbox.sqlite3")
TOKEN_VARIABLE = "ONESHELF_KIOSK_TOKEN"
# Exit statuses (argparse uses 2 for a wrong command line).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 3
EXIT_GAVE_UP = 4
EXIT_NO_SOURCE = 5
EXIT_INTERRUPTED = 130
FEEDER_STOP_SECONDS = 5.0


def build_parser() -> argparse.ArgumentParser:
    """The command line of the kiosk program."""
    parser = argparse.ArgumentParser(
        prog="python -m kiosk",
        description="Read QR codes and EAN/UPC barcodes and send every scan to the Oneshelf server.",
        epilog="python -m kiosk status [--outbox PATH] prints the outbox's counts.",
    )
    parser.add_argument("--server", required=True, help="the server's URL, e.g. https://shop.example.com")
    parser.add_argument("--token", default=os.environ.get(TOKEN_VARIABLE), help=f"device token (or ${TOKEN_VARIABLE})")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--camera", type=int, metavar="N", help="read OpenCV camera N")
    source.add_argument("--hid", action="store_true", help="read a keyboard-wedge scanner: one code a line on stdin")
    source.add_argument("--images", type=Path, metavar="DIR", help="read the images in DIR, by file name")
    parser.add_argument("--once", action="store_true", help="with --images: stop after the last image is sent")
    parser.add_argument(
        "--wait-timeout", type=float, metavar="SECONDS", help="at the end of the input, give up sending after this long"
    )
    add_outbox_option(parser)
    parser.add_argument(
        "--dedupe-seconds", type=float, default=2.0, metavar="SECONDS", help="count a code again only after this long"
    )
    parser.add_argument("--decoder", choices=("pyzbar", "zxing", "both"), default="both", help="default: both")
    parser.add_argument(
        "--budget-ms",
        type=float,
        metavar="MS",
        help="time budget for decoding one frame (default: 40 with --camera, none with --images); 0: none",
    )
    parser.add_argument("--interval", type=float, default=0.0, metavar="SECONDS", help="pause between images")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    return parser


def add_outbox_option(parser: argparse.ArgumentParser) -> None:
    """``--outbox PATH``, shared by the program and ``status``."""
    parser.add_argument(
        "--outbox", type=Path, default=DEFAULT_OUTBOX, metavar="PATH", help=f"outbox file (default {DEFAULT_OUTBOX})"
    )


def configure_logging(verbose: bool) -> None:
    """Log to stderr; -v shows the kiosk's debug lines (the Socket.IO library's stay quiet)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("socketio", "engineio", "urllib3", "websocket"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose else logging.CRITICAL)


def sightings(args: argparse.Namespace, stop: threading.Event) -> Iterator[Sighting]:
    """The codes from the source the command line names."""
    if args.hid:
        return hid_sightings(sys.stdin, stop)
    try:
        from kiosk.decode import Decoder

        decoder = Decoder(args.decoder, budget_ms=budget_ms(args))
    except ImportError as error:
        hint = "install the kiosk's requirements: pip install -r kiosk/requirements.txt"
        raise SourceError(f"{error}; {hint}") from error
    if args.camera is not None:
        return camera_sightings(args.camera, decoder, stop)
    return image_sightings(args.images, decoder, stop, interval=args.interval, watch=not args.once)


def budget_ms(args: argparse.Namespace) -> float | None:
    """The decode budget per frame: --budget-ms, else the camera's default; None for no budget.

    A camera gives a new frame every 33 ms, so a frame that takes long is better given up; the
    images of a folder wait for their turn, so each is decoded to the last pass unless asked.
    """
    from kiosk.decode import DEFAULT_BUDGET_MS

    if args.budget_ms is not None:
        return args.budget_ms or None
    return DEFAULT_BUDGET_MS if args.camera is not None else None


class Feeder(threading.Thread):
    """Reads the source, drops repeats and adds each scan to the outbox, in a thread of its own.

    A thread, so that the program can stop while a scanner's read of standard input still blocks.
    """

    def __init__(self, args: argparse.Namespace, outbox: Outbox, sender: Sender, stop: threading.Event) -> None:
        super().__init__(name="kiosk-feeder", daemon=True)
        self.args, self.outbox, self.sender, self.stop = args, outbox, sender, stop
        self.error: str | None = None

    def run(self) -> None:
        """Feed until the input ends or the program stops."""
        deduper = Deduper(self.args.dedupe_seconds)
        try:
            for sighting in sightings(self.args, self.stop):
                if self.stop.is_set():
                    return
                if not deduper.fresh(sighting.text, sighting.at):
                    log.debug("%s: %s seen again, not counted", sighting.origin, sighting.text)
                    continue
                entry = self.outbox.add({"code": sighting.text, "symbology": sighting.symbology})
                log.info("%s: %s %s -> #%d", sighting.origin, sighting.symbology, sighting.text, entry.seq)
                self.sender.wake()
        except SourceError as error:
            self.error = str(error)
        except Exception as error:  # noqa: BLE001 - reported by the main thread, which decides the exit
            if not self.stop.is_set():
                log.exception("reading the input failed")
                self.error = f"reading the input failed: {error}"


def run(args: argparse.Namespace) -> int:
    """Feed and send until the input ends (then wait for the outbox to empty), or until refused."""
    outbox = Outbox(args.outbox.expanduser())
    log.info("outbox %s", outbox.path)
    sender = Sender(outbox, args.server, args.token)
    stop = threading.Event()
    feeder = Feeder(args, outbox, sender, stop)
    try:
        sender.start()
        feeder.start()
        while feeder.is_alive() and not sender.refused:
            feeder.join(0.2)
        if sender.refused:
            return EXIT_REFUSED
        if feeder.error:
            log.error("%s", feeder.error)
            return EXIT_NO_SOURCE
        return finish(args, sender)
    except KeyboardInterrupt:
        log.info("stopped; outbox: %s (waiting scans are sent next time)", outbox.counts())
        return EXIT_INTERRUPTED
    finally:
        stop.set()
        # A decode running in C++ while the interpreter shuts down aborts the process: let it finish.
        # (A scanner's read of standard input may block for good; that thread runs no C++.)
        feeder.join(FEEDER_STOP_SECONDS)
        sender.stop()
        outbox.close()


def finish(args: argparse.Namespace, sender: Sender) -> int:
    """The input has ended: wait until every scan is sent, or give up after --wait-timeout."""
    waiting = sender.log_counts().waiting
    if waiting:
        log.info("input ended; sending the %d scan(s) still waiting", waiting)
    if sender.wait_until_sent(args.wait_timeout):
        log.info("done: outbox %s", sender.log_counts())
        return EXIT_OK
    if sender.refused:
        return EXIT_REFUSED
    counts = sender.log_counts()
    if args.wait_timeout is None:
        log.error("sending stopped unexpectedly with %d scan(s) waiting in %s", counts.waiting, sender.outbox.path)
        return EXIT_FAILED
    log.error(
        "gave up after waiting %g s for %s: %d scan(s) still waiting in %s; they are sent the next time this runs",
        args.wait_timeout,
        args.server,
        counts.waiting,
        sender.outbox.path,
    )
    return EXIT_GAVE_UP


def status(argv: list[str]) -> int:
    """``python -m kiosk status``: the outbox's counts, the oldest waiting scan and the latest rejections."""
    parser = argparse.ArgumentParser(prog="python -m kiosk status", description=status.__doc__)
    add_outbox_option(parser)
    path = parser.parse_args(argv).outbox.expanduser()
    if not path.exists():
        print(f"no outbox at {path}", file=sys.stderr)
        return EXIT_FAILED
    with Outbox(path) as outbox:
        print(f"outbox {path}: {outbox.counts()}")
        waiting = outbox.entries("waiting")
        if waiting:
            oldest = waiting[0]
            print(f"oldest waiting: #{oldest.seq} {oldest.payload.get('code')} seen {oldest.seen_at}", end="")
            print(f" ({oldest.attempts} attempt(s), last error: {oldest.last_error})" if oldest.attempts else "")
        for entry in outbox.entries("rejected")[-10:]:
            print(f"rejected: #{entry.seq} {entry.payload.get('code')} seen {entry.seen_at}: {entry.last_error}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the kiosk program (or ``status``); returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["status"]:
        return status(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.token:
        parser.error(f"--token is required (or set ${TOKEN_VARIABLE})")
    if args.budget_ms is not None and args.budget_ms < 0:
        parser.error("--budget-ms cannot be negative")
    if args.once and args.camera is not None:
        parser.error("--once goes with --images or --hid (a camera has no last frame)")
    configure_logging(args.verbose)
    # A service manager stops the program with SIGTERM: stop as cleanly as on Ctrl+C.
    signal.signal(signal.SIGTERM, _interrupt)
    return run(args)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
