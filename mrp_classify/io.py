"""Atomic file output: a crash never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from mrp_classify.errors import MrpError, OutputExistsError


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", encoding: str | None = "utf-8",
                newline: str | None = None) -> Iterator[IO[Any]]:
    """Write to a temporary file beside `path` and rename it into place on success."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                        dir=path.parent)
    except OSError as exc:
        raise MrpError(f"{path}: cannot write ({exc.strerror or exc}); "
                       f"{_write_fix(exc)}") from exc
    os.close(fd)
    # mkstemp creates 0600; outputs are shared files, so give them the usual umask mode.
    os.chmod(tmp_name, 0o666 & ~_umask())
    binary = "b" in mode
    try:
        with open(tmp_name, mode, encoding=None if binary else encoding,
                  newline=None if binary else newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise MrpError(f"{path}: cannot write ({exc.strerror or exc}); "
                       f"{_write_fix(exc)}") from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _write_fix(exc: OSError) -> str:
    import errno

    return {errno.ENOSPC: "free some disk space, or write to another folder",
            errno.EDQUOT: "free some space within your quota, or write elsewhere",
            errno.EACCES: "check the folder's permissions, or write elsewhere",
            errno.EROFS: "the folder is read-only; write elsewhere",
            errno.ENAMETOOLONG: "use a shorter file or folder name"}.get(
                exc.errno or 0, "check the folder and try again")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_open(path) as handle:
        handle.write(text)


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def write_csv_atomic(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]],
                     bom: bool = False) -> None:
    """CSV with LF line endings (byte-identical across platforms); `bom` for spreadsheets."""
    with atomic_open(path, encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def refuse_overwrite(path: Path, force: bool) -> None:
    if Path(path).exists() and not force:
        raise OutputExistsError(Path(path))


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


# A spreadsheet runs a cell that starts like a formula; a leading space keeps it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """The cell with a leading space when Excel or LibreOffice would run it as a formula."""
    return " " + cell if cell.startswith(_FORMULA_START) else cell


def from_spreadsheet(cell: str) -> str:
    """``spreadsheet_safe`` undone."""
    return cell[1:] if cell.startswith(" ") and cell[1:].startswith(_FORMULA_START) else cell


def iter_jsonl(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(line number, object, problem) for each non-blank line of a JSONL text: the object,
    or None and why the line is not one (invalid JSON, nested too deeply, not an object)."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"invalid JSON ({exc.msg})"
            continue
        except RecursionError:
            yield number, None, "JSON nested too deeply"
            continue
        if not isinstance(value, dict):
            yield number, None, "not a JSON object"
            continue
        yield number, value, ""


@contextlib.contextmanager
def locked_folder(folder: Path, leftovers: Sequence[str], busy: str) -> Iterator[None]:
    """Hold ``folder`` for one writer (an advisory lock on ``folder/.lock``): a second
    writer fails at once with ``busy`` instead of replacing the first one's files. Once
    the lock is held, files matching the ``leftovers`` globs — temporary files of a writer
    that was killed — are removed: no other writer can still be writing them."""
    import fcntl

    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / ".lock", "a+")  # noqa: SIM115 - held for the whole block
    except OSError as exc:
        raise MrpError(f"{folder}: cannot write ({exc.strerror or exc}); "
                       f"{_write_fix(exc)}") from exc
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise MrpError(f"{folder}: {busy}") from None
        for pattern in leftovers:
            for leftover in folder.glob(pattern):
                if leftover.is_file():
                    leftover.unlink(missing_ok=True)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
