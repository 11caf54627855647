"""Read a folder: every file under it, each by the reader that takes its suffix."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from briefing.config import SourceSpec
from briefing.models import Article, Rejection
from briefing.sources.base import SourceReader
from briefing.sources.context import ReadContext


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
        """Every article under the folder, file by file in path order; hidden files are skipped.

        A file no reader takes is one rejection; each file is read with the folder's settings.
        """
        for child in sorted(p for p in Path(spec.location).rglob("*") if p.is_file()):
            if child.name.startswith("."):
                continue
            reader = self.reader_for(child)
            if reader is None:
                yield Rejection(str(child), f"unsupported file type '{child.suffix}'", str(child))
            else:
                yield from reader.read(spec.model_copy(update={"location": str(child)}), ctx)
