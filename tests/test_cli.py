"""Every command answers --help, and errors are one line with a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

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
                ("base-model", "prepare")}
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
