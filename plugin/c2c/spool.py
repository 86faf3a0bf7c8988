"""A page's output lines, kept until its body is known whole (nothing of a cut body is written).

The first BLOCK_CHARS stay in memory, which is all a small page (an idle run's) ever needs; beyond that the
lines go to an unlinked temporary file in the state directory (or C2C_SPOOL_DIR): the kernel's page cache,
not this process's memory, holds them (~9 MB for 10,000 Code42 file events). The file has no name from the
start (O_TMPFILE where the file system has it, else created and unlinked at once), so it disappears with
the process whatever ends it, kill -9 included.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from c2c.errors import FirstPartyGenericError

SPOOL_DIR_ENV = "C2C_SPOOL_DIR"
# Lines are joined and written in blocks of about this many characters, and read back in blocks of as many
# bytes.
BLOCK_CHARS = 1 << 17


def spool_dir(state_dir: Path) -> Path:
    """Where pages spill: C2C_SPOOL_DIR when set, else the state directory (a disk c2c must write anyway)."""
    return Path(os.environ.get(SPOOL_DIR_ENV) or state_dir)


class Spool:
    """Lines (each ending in "\n") in order; `blocks()` gives them back as UTF-8, `close()` frees them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._block: list[str] = []
        self._chars = 0
        self._file: IO[bytes] | None = None

    def add(self, line: str) -> None:
        self._block.append(line)
        self._chars += len(line)
        if self._chars >= BLOCK_CHARS:
            self._spill()

    def blocks(self) -> Iterator[bytes]:
        """The lines as UTF-8, in blocks of about BLOCK_CHARS bytes (a block may end inside a line)."""
        if self._file is not None:
            try:
                self._file.seek(0)
                while block := self._file.read(BLOCK_CHARS):
                    yield block
            except OSError as exc:
                raise self._error("cannot read back", exc) from exc
        if self._block:
            yield "".join(self._block).encode("utf-8")

    def close(self) -> None:
        self._block = []
        if self._file is not None:
            with contextlib.suppress(OSError):  # its last write failing (disk full) changes nothing: it is dropped
                self._file.close()
            self._file = None

    def _spill(self) -> None:
        block = "".join(self._block).encode("utf-8")
        self._block.clear()
        self._chars = 0
        try:
            if self._file is None:
                import tempfile  # only a page bigger than one block needs it

                self._file = tempfile.TemporaryFile(  # noqa: SIM115 -- kept open across calls, closed by close()
                    "w+b", dir=self.directory, prefix=".c2c-page-")
            self._file.write(block)  # buffered: all of it, or OSError (a full disk)
        except OSError as exc:
            raise self._error("cannot spool", exc) from exc

    def _error(self, doing: str, exc: OSError) -> FirstPartyGenericError:
        self.close()
        return FirstPartyGenericError(
            f"{doing} a page's output lines in {self.directory} ({exc.strerror or exc}): c2c keeps a page there "
            f"until its body has arrived whole; give it a writable directory with room for a page (~10 MB), "
            f"the state directory or ${SPOOL_DIR_ENV}")
