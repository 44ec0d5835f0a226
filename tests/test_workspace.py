"""Workspaces: which folder holds labels/ and models/, the bundled model as the fallback
default, `mrp-classify init`, and commands writing into the workspace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mrp_classify import paths
from mrp_classify.cli import app
from mrp_classify.errors import MrpError
from mrp_classify.labelset import Schema, default_labels_dir
from mrp_classify.training.config import TrainConfig
from mrp_classify.workspace import config_in_workspace, init_workspace

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_workspace_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(paths.WORKSPACE_ENV, raising=False)
    monkeypatch.delenv("MRP_CLASSIFY_MODELS", raising=False)
    yield
    paths.use_workspace(None)


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The package as a wheel installs it: no source checkout, the bundled files (a fake
    model m/v1 and the real schema) inside it. Returns the bundled folder."""
    bundled = tmp_path / "site-packages" / "mrp_classify" / "bundled"
    fake_model(bundled / "models", "m/v1")
    (bundled / "models" / "DEFAULT").write_text("m/v1\n", encoding="utf-8")
    (bundled / "labels").mkdir()
    for name in ("schema.json", "GUIDE.md"):
        (bundled / "labels" / name).write_bytes((REPO / "labels" / name).read_bytes())
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "site-packages")
    monkeypatch.setattr(paths, "BUNDLED_DIR", bundled)
    return bundled


def fake_model(root: Path, ref: str) -> Path:
    folder = root / ref
    folder.mkdir(parents=True)
    (folder / "model.json").write_text("{}", encoding="utf-8")
    return folder


def folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = folder(tmp_path / "plain")
    monkeypatch.chdir(plain)
    assert paths.workspace() == REPO  # a source checkout: the repository's own labels/
    assert default_labels_dir() == REPO / "labels"
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "site-packages")
    assert paths.workspace() == plain  # installed: the current folder

    here = folder(tmp_path / "here")
    (here / paths.WORKSPACE_MARKER).write_text("", encoding="utf-8")
    monkeypatch.chdir(here)
    assert paths.workspace() == here
    named = folder(tmp_path / "named")
    monkeypatch.setenv(paths.WORKSPACE_ENV, str(named))
    assert paths.workspace() == named and paths.models_root() == named / "models"
    option = folder(tmp_path / "option")
    paths.use_workspace(option)
    assert paths.workspace() == option and default_labels_dir() == option / "labels"
    monkeypatch.setenv("MRP_CLASSIFY_MODELS", str(tmp_path / "registry"))
    assert paths.models_root() == tmp_path / "registry"

    paths.use_workspace(tmp_path / "missing")
    with pytest.raises(MrpError, match=r"missing: workspace folder not found; create it with "
                                       r"'mrp-classify init .*missing'"):
        paths.workspace()


@pytest.mark.parametrize("marker", ["labels", "models", paths.WORKSPACE_MARKER])
def test_the_current_folder_is_a_workspace_when_it_looks_like_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marker: str) -> None:
    if marker == paths.WORKSPACE_MARKER:
        (tmp_path / marker).write_text("", encoding="utf-8")
    else:
        (tmp_path / marker).mkdir()
    monkeypatch.chdir(tmp_path)
    assert paths.workspace() == tmp_path


def test_default_model_is_the_workspace_s_else_the_bundled_one(
        installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = folder(tmp_path / "ws" / "models").parent
    monkeypatch.chdir(ws)
    assert paths.default_model_dir() == installed / "models" / "m" / "v1"
    mine = fake_model(ws / "models", "mine/v2")
    paths.write_default_pointer(ws / "models", "mine/v2")
    assert paths.default_model_dir() == mine
    (ws / "models" / "DEFAULT").write_text("mine/v9\n", encoding="utf-8")
    with pytest.raises(MrpError, match=r"DEFAULT: points at .*mine/v9, which has no model.json"):
        paths.default_model_dir()

    registry = folder(tmp_path / "registry")
    monkeypatch.setenv("MRP_CLASSIFY_MODELS", str(registry))
    assert paths.default_model_dir() == installed / "models" / "m" / "v1"
    (installed / "models" / "DEFAULT").unlink()
    with pytest.raises(MrpError, match=r"registry/DEFAULT: no default model is set and this "
                                       r"installation bundles none; pass --model DIR"):
        paths.default_model_dir()


def test_an_installed_package_reads_its_own_schema(installed: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder(tmp_path / "ws" / "labels").parent)
    assert Schema.load().labels == ("none", "internal_efficiency", "citizen_facing")
    raw = json.loads((installed / "labels" / "schema.json").read_text(encoding="utf-8"))
    raw["labels"] = raw["labels"][:2]
    (tmp_path / "ws" / "labels" / "schema.json").write_text(json.dumps(raw), encoding="utf-8")
    assert Schema.load().labels == ("none", "internal_efficiency")  # the workspace's own wins


def test_init_makes_a_workspace_and_never_overwrites(installed: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["init", str(ws)])
    assert result.exit_code == 0, result.output
    assert (ws / "models").is_dir() and not any((ws / "models").iterdir())
    assert (ws / "labels" / "schema.json").read_bytes() == (REPO / "labels" / "schema.json"
                                                            ).read_bytes()
    assert (ws / "labels" / "GUIDE.md").is_file()
    assert (ws / paths.WORKSPACE_MARKER).read_text(encoding="utf-8").startswith("# ")
    assert paths.looks_like_workspace(ws)

    again = runner.invoke(app, ["init", str(ws)])
    assert again.exit_code == 2
    assert again.output.strip().startswith(f"error: {ws / 'labels' / 'schema.json'}: "
                                           "already exists")

    other = folder(tmp_path / "other" / "labels").parent
    (other / "labels" / "GUIDE.md").write_text("our own guide\n", encoding="utf-8")
    with pytest.raises(MrpError, match="GUIDE.md: already exists"):
        init_workspace(other)
    assert [p.name for p in other.rglob("*")] == ["labels", "GUIDE.md"]  # nothing written
    assert (other / "labels" / "GUIDE.md").read_text(encoding="utf-8") == "our own guide\n"


def test_init_defaults_to_the_named_workspace(installed: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder(tmp_path / "elsewhere"))
    ws = folder(tmp_path / "ws")
    assert runner.invoke(app, ["--workspace", str(ws), "init"]).exit_code == 0
    assert (ws / paths.WORKSPACE_MARKER).is_file()
    assert not any((tmp_path / "elsewhere").iterdir())


def test_labels_import_writes_into_the_workspace(installed: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder(tmp_path / "elsewhere"))
    ws = tmp_path / "ws"
    init_workspace(folder(ws))
    queue = tmp_path / "queue.csv"
    queue.write_text("id,text,label\n"
                     ",Kommunen ska erbjuda fler e-tjänster till invånarna.,citizen_facing\n"
                     ",Budgeten är i balans och resultatet positivt.,none\n", encoding="utf-8")
    result = runner.invoke(app, ["--workspace", str(ws), "labels", "import", str(queue),
                                 "--annotator", "ab"])
    assert result.exit_code == 0, result.output
    [written] = (ws / "labels" / "imported").glob("*-ab-queue.jsonl")
    assert len(written.read_text(encoding="utf-8").splitlines()) == 2
    assert paths.requested_workspace() is None  # the option ends with its command

    result = runner.invoke(app, ["--workspace", str(ws), "labels", "validate"])
    assert result.exit_code == 0 and "ok: 2 labelled paragraphs" in result.output
    result = runner.invoke(app, ["--workspace", str(ws), "models", "list"])
    assert result.exit_code == 0
    assert f"{ws / 'models' / 'DEFAULT'} names no model, so commands use the bundled " \
           f"{installed / 'models' / 'm' / 'v1'}" in result.output


def test_a_training_config_reads_the_workspace_s_folders(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    config = TrainConfig(labels=("labels", "/abs/labels"), documents=("labels/documents/train",))
    ws = folder(tmp_path / "ws" / "labels").parent
    monkeypatch.chdir(ws)
    assert config_in_workspace(config, given=()) is config  # stays relative in the model
    monkeypatch.chdir(folder(tmp_path / "elsewhere"))
    paths.use_workspace(ws)
    moved = config_in_workspace(config, given=())
    assert moved.labels == (str(ws / "labels"), "/abs/labels")
    assert moved.documents == (str(ws / "labels" / "documents" / "train"),)
    typed = config_in_workspace(config, given={"labels"})  # --labels: as the user typed it
    assert typed.labels == config.labels and typed.documents == moved.documents
