"""Every command answers --help, and errors are one line with a non-zero exit."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from mrp_classify import __version__
from mrp_classify.cli import app

runner = CliRunner()


def _command_paths(application: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for command in application.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")  # type: ignore[union-attr]
        paths.append((*prefix, name))
    for group in application.registered_groups:
        assert group.name and group.typer_instance
        paths.append((*prefix, group.name))
        paths.extend(_command_paths(group.typer_instance, (*prefix, group.name)))
    return paths


COMMANDS = _command_paths(app)


def test_all_expected_commands_exist() -> None:
    expected = {("run",), ("predict",), ("evaluate",), ("train",), ("suggest",),
                ("labels", "validate"), ("labels", "stats"), ("labels", "import"),
                ("models", "list"), ("models", "compare"), ("models", "promote"),
                ("base-model", "prepare"), ("init",)}
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_top_level_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("run", "predict", "train", "labels", "models", "suggest"):
        assert name in result.output


def test_run_help_documents_exit_codes() -> None:
    result = runner.invoke(app, ["run", "--help"], terminal_width=200)
    assert "Exit code 0" in result.output and "1 when" in result.output


def test_missing_model_is_one_line_and_exit_2(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "1", "text": "x"}\n', encoding="utf-8")
    result = runner.invoke(app, ["predict", str(source), "--out", str(tmp_path / "o.jsonl"),
                                 "--model", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "model.json: not found" in lines[0]


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--verbose", "labels", "validate", str(tmp_path / "none")])
    assert result.exit_code != 0
    assert result.exception is not None and "no such file" in str(result.exception)


# A parameter's Python type as typer would print it: <bool>, <path>, <int range>, <list[Path]>.
PYTHON_TYPE = re.compile(r"<(?:bool|str|path|int|float|list|tuple|datetime)\b|list\[|\[Path\]")


@pytest.mark.parametrize("command", [(), *COMMANDS], ids=lambda c: " ".join(c) or "top")
def test_help_shows_no_python_types(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert not PYTHON_TYPE.findall(result.output), result.output


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found.extend(_commands(sub, (*path, name)))
    return found


def test_every_parameter_has_help_and_names_its_value() -> None:
    missing = []
    for path, command in _commands(typer.main.get_command(app)):
        for param in command.params:
            where = f"{' '.join(path) or 'mrp-classify'} {param.name}"
            if not param.help:
                missing.append(f"{where}: no help")
            takes_value = param.param_type_name == "argument" or not param.is_flag
            if takes_value and not param.metavar:
                missing.append(f"{where}: no metavar")
    assert missing == []


def test_rich_markup_keeps_square_brackets_in_help() -> None:
    result = runner.invoke(app, ["train", "--help"], terminal_width=200)
    assert "TOML config ([train] table)." in result.output


def test_version() -> None:
    from mrp_classify.inference.model_folder import ModelFolder
    from mrp_classify.paths import default_model_dir

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    folder = default_model_dir()
    assert result.output.splitlines() == [
        f"mrp-classify {__version__}",
        f"default model: {ModelFolder.load(folder).meta.ref} ({folder})"]


@pytest.fixture
def logging_predict(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    """`predict` with its library function replaced by one that logs at INFO and WARNING."""
    from mrp_classify import paragraphs

    calls: list[dict[str, Any]] = []

    def predict_jsonl(*args: Any, **kwargs: Any) -> int:
        calls.append(kwargs)
        logging.getLogger("mrp_classify.paragraphs").info("reading in.jsonl")
        logging.getLogger("mrp_classify.paragraphs").warning("in.jsonl:2: no text")
        return 3

    monkeypatch.setattr(paragraphs, "predict_jsonl", predict_jsonl)
    return calls


def _predict(tmp_path: Path, *options: str, verbose: bool = False) -> list[str]:
    result = runner.invoke(app, [*(["--verbose"] if verbose else []), "predict",
                                 str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "out.jsonl"),
                                 "--model", str(tmp_path), *options])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_log_lines_are_level_and_message(tmp_path: Path,
                                         logging_predict: list[dict[str, Any]]) -> None:
    out = tmp_path / "out.jsonl"
    assert _predict(tmp_path) == ["reading in.jsonl", "WARNING: in.jsonl:2: no text",
                                  f"3 paragraphs classified → {out}"]
    # --verbose: which module logged it.
    assert _predict(tmp_path, verbose=True) == [
        "INFO mrp_classify.paragraphs: reading in.jsonl",
        "WARNING mrp_classify.paragraphs: in.jsonl:2: no text",
        f"INFO mrp_classify: 3 paragraphs classified → {out}"]


@pytest.mark.parametrize("flag", ["-q", "--quiet"])
def test_predict_quiet_leaves_warnings_only(tmp_path: Path, flag: str,
                                            logging_predict: list[dict[str, Any]]) -> None:
    assert _predict(tmp_path, flag) == ["WARNING: in.jsonl:2: no text"]
    assert logging_predict[-1]["progress"] is False
    # The next command logs as usual again.
    assert len(_predict(tmp_path)) == 3


def test_resume_into_a_folder_of_something_else_is_refused(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "falun-2025.txt").write_text("Falu kommun\n\nMål 2025\n", encoding="utf-8")
    elsewhere = tmp_path / "photos"
    elsewhere.mkdir()
    (elsewhere / "img_0001.jpg").write_bytes(b"\xff\xd8")
    result = runner.invoke(app, ["run", str(docs), "--out", str(elsewhere), "--resume",
                                 "--model", str(tmp_path / "model")])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line == (f"error: {elsewhere}: not empty and no run to resume (no .state/ folder); "
                    "give --resume the --out of the interrupted run, or choose an empty or "
                    "new --out")
    assert sorted(p.name for p in elsewhere.iterdir()) == ["img_0001.jpg"]
