"""User-facing progress on stderr: a bar on a terminal, plain lines otherwise, nothing when quiet."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

BAR_WIDTH = 28


class Console:
    """The one place progress is shown."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._lock = threading.Lock()

    def info(self, message: str) -> None:
        """A line of progress."""
        if not self.quiet:
            with self._lock:
                print(message, file=self.stream, flush=True)

    def warn(self, message: str) -> None:
        """A line that should be seen even when quiet."""
        with self._lock:
            print(f"warning: {message}", file=self.stream, flush=True)

    def progress(self, label: str, total: int) -> Progress:
        """A counter over `total` steps, with elapsed and remaining time."""
        return Progress(self, label, total)


class Progress:
    """Progress over a known number of steps; safe to advance from several threads."""

    def __init__(self, console: Console, label: str, total: int) -> None:
        self.console = console
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self.started = time.monotonic()

    def start(self, note: str) -> None:
        """A step begins (shown at once: with a slow model the first step can take minutes)."""
        with self.console._lock:
            if self.console.quiet:
                return
            elapsed = time.monotonic() - self.started
            left = f", ~{self._left(elapsed):.0f}s left" if self.done else ""
            line = f"{self.label}: {self.done}/{self.total} done, now {note} ({elapsed:.0f}s elapsed{left})"
            if self.console.tty:
                print(f"\r{line[:110]:<110}", end="", file=self.console.stream, flush=True)
            else:
                print(line, file=self.console.stream, flush=True)

    def _left(self, elapsed: float) -> float:
        """Seconds still to go, at the pace of the steps done so far (0 before the first)."""
        return elapsed / self.done * (self.total - self.done) if self.done else 0.0

    def advance(self, note: str = "") -> None:
        """One more step done."""
        with self.console._lock:
            self.done += 1
            if self.console.quiet:
                return
            elapsed = time.monotonic() - self.started
            timing = f"{elapsed:5.1f}s elapsed, ~{self._left(elapsed):.0f}s left"
            if self.console.tty:
                filled = int(BAR_WIDTH * self.done / self.total) if self.total else BAR_WIDTH
                bar = "#" * filled + "-" * (BAR_WIDTH - filled)
                end = "\n" if self.done >= self.total else ""
                line = f"{self.label} [{bar}] {self.done}/{self.total} {timing}"
                print(
                    f"\r{line:<110}",
                    end=end,
                    file=self.console.stream,
                    flush=True,
                )
            else:
                suffix = f" ({note})" if note else ""
                print(
                    f"{self.label}: {self.done}/{self.total}{suffix}, {timing}",
                    file=self.console.stream,
                    flush=True,
                )
