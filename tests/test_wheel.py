"""The wheel works without the source tree: it is built from a copy of the project,
installed into a fresh venv, and run from an empty folder elsewhere.

The fresh venv gets the test environment's dependencies through a .pth file rather than
--system-site-packages: a venv made from inside a venv sees the base interpreter's
site-packages, not this venv's. The .pth is written after the install, so pip never sees
(or touches) the editable install of the test environment; a directory named in a .pth
has its own .pth files ignored, so that editable install does not load in the fresh venv
either.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
log = logging.getLogger(__name__)
pytestmark = pytest.mark.slow


def project_files() -> list[str]:
    """Tracked files and untracked ones git does not ignore: what a fresh clone plus the
    work in progress holds, without .venv, build outputs or runs."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout
    return [name for name in listed.decode("utf-8").split("\0") if (REPO / name).is_file()]


def imported_package(python: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    return check([python, "-c", "import mrp_classify; print(mrp_classify.__file__)"], cwd=cwd,
                 env=env).stdout.strip()


def check(command: list[str], cwd: Path, env: dict[str, str] | None = None,
          codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode in codes, f"{command}: {result.returncode}\n{result.stdout}\n" \
                                       f"{result.stderr}"
    return result


@pytest.mark.skipif(not (REPO / ".git").exists() or shutil.which("git") is None,
                    reason="needs the project's git checkout to copy it")
def test_the_installed_wheel_runs_and_writes_into_the_workspace(tmp_path: Path) -> None:
    test_package = imported_package(sys.executable, tmp_path)
    source = tmp_path / "source"
    for name in project_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)

    started = time.perf_counter()
    check([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
           "--no-build-isolation", "-q", "-w", str(tmp_path / "dist")], cwd=source)
    build_seconds = time.perf_counter() - started
    [wheel] = (tmp_path / "dist").glob("mrp_classify-*.whl")

    # The wheel holds the default model only, whatever version DEFAULT names today.
    ref = (REPO / "models" / "DEFAULT").read_text(encoding="utf-8").strip()
    model_files = {f"mrp_classify/bundled/models/{ref}/{p.relative_to(REPO / 'models' / ref)}"
                   for p in (REPO / "models" / ref).rglob("*") if p.is_file()}
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert archive.read("mrp_classify/bundled/models/DEFAULT").decode().strip() == ref
    bundled_models = {n for n in names if n.startswith("mrp_classify/bundled/models/")}
    assert bundled_models == model_files | {"mrp_classify/bundled/models/DEFAULT"}
    assert "mrp_classify/bundled/labels/schema.json" in names
    assert "mrp_classify/inference/data/kommuner.csv" in names
    model_bytes = sum(p.stat().st_size for p in (REPO / "models" / ref).rglob("*"))
    assert wheel.stat().st_size < model_bytes * 1.2  # one model, not the registry
    log.info("wheel %s: %.1f MB, built in %.0f s", wheel.name, wheel.stat().st_size / 1e6,
             build_seconds)

    venv = tmp_path / "venv"
    check([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    check([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
          cwd=tmp_path)
    site_packages = check([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"], cwd=tmp_path).stdout
    ours = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    (Path(site_packages.strip()) / "test-dependencies.pth").write_text(
        "".join(f"{path}\n" for path in sorted(ours)), encoding="utf-8")

    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "MRP_CLASSIFY_WORKSPACE", "MRP_CLASSIFY_MODELS")}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert Path(imported_package(str(python), elsewhere, env)).is_relative_to(venv)

    tool = str(venv / "bin" / "mrp-classify")
    started = time.perf_counter()
    check([tool, "run", str(REPO / "examples"), "--out", "runs/x", "-q"], cwd=elsewhere,
          env=env, codes=(0, 1))
    log.info("run over the examples in %.0f s", time.perf_counter() - started)
    assert (elsewhere / "runs" / "x" / "municipalities.csv").is_file()

    check([tool, "init"], cwd=elsewhere, env=env)
    (elsewhere / "queue.csv").write_text(
        "id,text,label\n"
        ",Kommunen ska erbjuda fler e-tjänster så att invånarna kan söka bygglov dygnet runt."
        ",citizen_facing\n"
        ",Ett nytt ärendehanteringssystem införs för att effektivisera handläggningen."
        ",internal_efficiency\n"
        ",Budgeten för nästa år är i balans och resultatet väntas bli positivt.,none\n",
        encoding="utf-8")
    check([tool, "labels", "import", "queue.csv", "--annotator", "ab"], cwd=elsewhere, env=env)
    [written] = (elsewhere / "labels" / "imported").glob("*-ab-queue.jsonl")
    assert len(written.read_text(encoding="utf-8").splitlines()) == 3
    assert not list(venv.rglob("imported"))  # nothing written into the installed package
    check([tool, "labels", "validate"], cwd=elsewhere, env=env)

    # The test environment (an editable install) still imports what it imported before.
    assert imported_package(sys.executable, tmp_path) == test_package
