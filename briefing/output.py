"""Write digest files atomically: a crash never leaves a half-written digest."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from briefing.errors import BriefingError


def write_atomic(path: Path, content: str) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_digest(files: dict[str, str], out_dir: Path, date: str) -> list[Path]:
    """Write every rendered file into OUT_DIR/<date>/; digest.json last, as the completion mark."""
    folder = out_dir / date
    try:
        written = []
        for name in sorted(files, key=lambda n: n == "digest.json"):
            target = folder / name
            write_atomic(target, files[name])
            written.append(target)
        return written
    except OSError as exc:
        raise BriefingError(f"cannot write the digest to {folder}: {exc}; check digest.out_dir / --out") from None
