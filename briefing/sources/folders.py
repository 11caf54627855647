"""Read a folder: every file under it, each by the reader that takes its suffix.

Every entry of the folder is accounted for: a file no reader takes, a dangling link, a symlink
loop, an unreadable folder or a special file (a pipe, a device) is a rejection with its reason,
and a folder holding no readable file at all says so, with the file types that are read.
Linked folders are followed once; a link back into a folder being read is a loop.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from briefing.config import SourceSpec
from briefing.models import Article, Rejection
from briefing.sources.base import SourceReader, guarded
from briefing.sources.context import ReadContext


def link_problem(path: Path) -> str | None:
    """Why a symbolic link cannot be read ('symlink loop', 'dangling link to ...'); None when it can."""
    try:
        path.stat()
    except OSError as exc:
        target = os.readlink(path) if path.is_symlink() else None
        if exc.errno == errno.ELOOP:
            return f"symlink loop ({path.name} -> {target})"
        if exc.errno == errno.ENOENT and target is not None:
            return f"dangling link to {target} (it does not exist)"
        return f"cannot read: {exc.strerror or exc}"
    return None


def walk(folder: Path) -> list[tuple[Path, str | None]]:
    """Every file under the folder in path order, each with the reason it cannot be read (or None).

    Hidden files and folders (names starting with a dot) are skipped. A linked folder is walked
    once; a link to a folder already being walked, or already walked, is reported instead.
    """
    found: list[tuple[Path, str | None]] = []
    seen: set[Path] = set()

    def visit(current: Path, ancestors: tuple[Path, ...]) -> None:
        try:
            entries = sorted(current.iterdir())
        except OSError as exc:
            found.append((current, f"cannot list the folder: {exc.strerror or exc}"))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            problem = link_problem(entry) if entry.is_symlink() else None
            if problem:
                found.append((entry, problem))
            elif entry.is_dir():
                real = entry.resolve()
                if real in ancestors:
                    found.append((entry, f"symlink loop: {entry.name} links back to {real}"))
                elif real in seen:
                    found.append((entry, f"link to a folder already read ({real})"))
                else:
                    seen.add(real)
                    visit(entry, (*ancestors, real))
            else:
                found.append((entry, _special(entry)))

    root = folder.resolve()
    seen.add(root)
    visit(folder, (root,))
    return sorted(found, key=lambda item: item[0])


def _special(path: Path) -> str | None:
    """Why a path that is neither a folder nor a link problem is not a regular file to read, if it is not."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    return None if stat.S_ISREG(mode) else "not a regular file (a pipe, socket or device)"


class FolderReader:
    """Folders of files; which reader reads a file is decided by the readers it is given."""

    suffixes: frozenset[str] = frozenset()  # folders inside a folder are walked, not read as files
    replaces_outlet = True  # a configured name wins over the outlet each file states

    def __init__(self, readers: Sequence[SourceReader]) -> None:
        self.readers = readers

    def can_read(self, spec: SourceSpec) -> bool:
        """Existing folders."""
        return Path(spec.location).is_dir()

    def reader_for(self, path: Path) -> SourceReader | None:
        """The first reader that takes the file's suffix, or None."""
        suffix = path.suffix.lower()
        return next((r for r in self.readers if suffix in r.suffixes), None)

    def read(self, spec: SourceSpec, ctx: ReadContext) -> Iterator[Article | Rejection]:
        """Every article under the folder, file by file in path order.

        Each file is read with the folder's settings; a file that cannot be read, or fails while
        being read, is a rejection and the folder goes on.
        """
        readable = 0
        for child, problem in walk(Path(spec.location)):
            where = str(child)
            reader = None if problem else self.reader_for(child)
            if problem:
                yield Rejection(where, problem, where)
            elif reader is None:
                yield Rejection(where, f"unsupported file type '{child.suffix}'", where)
            else:
                readable += 1
                yield from guarded(reader.read(spec.model_copy(update={"location": where}), ctx), where, where)
        if not readable:
            types = ", ".join(sorted({s for r in self.readers for s in r.suffixes}))
            reason = f"no readable files in the folder (the file types read are {types})"
            yield Rejection(spec.location, reason, spec.location)
