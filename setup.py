"""Build hooks: a wheel carries the default model and the label files an installed package
needs, under ``mrp_classify/bundled/`` (``mrp_classify.paths.bundled_path`` reads them).

Only the version that ``models/DEFAULT`` names at build time goes in, so a wheel holds
one model, not the whole registry, and ``models/`` stays the one copy in git. An sdist
carries the same files so that a wheel built from it has them too. An editable install
reads them from the checkout instead. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
LABEL_FILES = ("labels/schema.json", "labels/GUIDE.md")


def bundled_files() -> list[Path]:
    """``models/DEFAULT``, the files of the model it names and the label files, relative to
    the project root."""
    pointer = ROOT / "models" / "DEFAULT"
    ref = pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else ""
    model = ROOT / "models" / ref
    if not ref or not (model / "model.json").is_file():
        raise SystemExit(f"{pointer}: names no model folder with a model.json; promote one "
                         "('mrp-classify models promote NAME/VERSION') before building")
    files = [p for p in sorted(model.rglob("*")) if p.is_file() and not p.name.startswith(".")]
    return [pointer.relative_to(ROOT), *(p.relative_to(ROOT) for p in files),
            *map(Path, LABEL_FILES)]


class BuildPyWithModel(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        bundled = Path(self.build_lib) / "mrp_classify" / "bundled"
        # A build folder kept from an earlier build may hold the previous default version.
        shutil.rmtree(bundled, ignore_errors=True)
        for relative in bundled_files():
            target = bundled / relative
            self.mkpath(str(target.parent))
            self.copy_file(str(ROOT / relative), str(target))


class SdistWithModel(sdist):
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        for relative in bundled_files():
            target = Path(base_dir) / relative
            if target.exists():
                continue  # listed by the manifest already, maybe as a hard link to the source
            self.mkpath(str(target.parent))
            self.copy_file(str(ROOT / relative), str(target))


setup(cmdclass={"build_py": BuildPyWithModel, "sdist": SdistWithModel})
