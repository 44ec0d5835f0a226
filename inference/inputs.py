"""Which files a run reads: the documents under the given paths, and the files it skips.

A folder is searched recursively, following links to folders once each (a link
loop is reported, never walked twice). Hidden files and folders, Office lock
files (``~$x.docx``) and the run's own output folder are left out silently;
everything else that is not read — files of an unsupported type (``.doc``,
``.xlsx``, ``.odt``…), broken links, link loops — is listed with its reason, so
the documents table accounts for every file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mrp_classify.errors import MrpError
from mrp_classify.inference.ingest import SUPPORTED_SUFFIXES


@dataclass(frozen=True)
class Inputs:
    documents: list[Path]
    skipped: list[tuple[Path, str]]


def display_path(path: Path, root: Path | None = None) -> str:
    """The path relative to ``root`` (default: the current folder) when it lies inside it,
    else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path(os.path.abspath(root or Path.cwd()))).as_posix()
    except ValueError:
        return absolute.as_posix()


def _quiet(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")


def scan_inputs(paths: Sequence[Path], exclude: Path | None = None,
                manifest: Path | None = None) -> Inputs:
    """Documents and skipped files under ``paths``; ``exclude`` (the output folder) and the
    run's ``manifest`` file are not inputs."""
    found: dict[Path, Path] = {}
    skipped: dict[Path, tuple[Path, str]] = {}
    excluded = Path(os.path.abspath(exclude)) if exclude is not None else None
    manifest_path = Path(os.path.abspath(manifest)) if manifest is not None else None

    def consider(path: Path) -> None:
        absolute = Path(os.path.abspath(path))
        if (excluded and absolute.is_relative_to(excluded)) or absolute == manifest_path:
            return
        if path.is_symlink() and not path.exists():
            skipped.setdefault(absolute, (path, "broken link (its target does not exist)"))
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.setdefault(absolute, (path, f"unsupported file type "
                                                f"'{path.suffix or '(none)'}' — convert it to "
                                                "PDF, DOCX, HTML or TXT"))
        elif path.is_file():
            found.setdefault(absolute, path)

    for given in map(Path, paths):
        if given.is_file():
            found.setdefault(Path(os.path.abspath(given)), given)
        elif given.is_dir():
            seen: set[str] = set()
            for folder, subfolders, files in os.walk(given, followlinks=True):
                real = os.path.realpath(folder)
                if real in seen:
                    skipped.setdefault(Path(os.path.abspath(folder)), (
                        Path(folder), "link loop (this folder was already read); skipped"))
                    subfolders.clear()
                    continue
                seen.add(real)
                subfolders[:] = sorted(d for d in subfolders if not _quiet(d))
                for name in sorted(files):
                    if not _quiet(name):
                        consider(Path(folder) / name)
        elif given.is_symlink():
            skipped.setdefault(Path(os.path.abspath(given)), (given, "broken link"))
        else:
            raise MrpError(f"{given}: no such file or folder")
    if not found:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise MrpError(
            f"{', '.join(str(p) for p in paths)}: no documents found (supported: {supported})")
    return Inputs(sorted(found.values(), key=display_path),
                  sorted(skipped.values(), key=lambda item: display_path(item[0])))


def collect_documents(paths: Sequence[Path], exclude: Path | None = None) -> list[Path]:
    """The documents ``scan_inputs`` finds, sorted by display path, each file once."""
    return scan_inputs(paths, exclude).documents
