"""The shared typer app of ``mrp-classify``: sub-apps, common options, error handling.

The command modules (``paragraphs``, ``documents``, ``training``, ``labels``,
``models``, ``workspace``) add their commands to these apps; they are thin wrappers over
library functions.

Exit codes: 0 success; 1 `run` finished but some documents failed or could not
be matched to a municipality (all outputs are still written); 2 an error that
stopped the command (bad arguments, missing files, invalid labels...).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from mrp_classify import __version__
from mrp_classify.errors import MrpError

F = TypeVar("F", bound=Callable[..., Any])


class _FlagHelp(TyperOption):
    """A flag takes no value: no type beside it in the help."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class _ArgumentHelp(TyperArgument):
    """An argument's metavar (PATH, RUN_DIR) already says what it takes."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _hide_python_types(params: list[Any]) -> None:
    for param in params:
        if type(param) is TyperArgument:
            param.__class__ = _ArgumentHelp
        elif type(param) is TyperOption and param.is_flag:
            param.__class__ = _FlagHelp


class _HelpGroup(TyperGroup):
    """Help without Python types: typer puts each parameter's annotation (<list[Path]>,
    <bool>) in a column of its own, even for --help. There options show their metavar
    (every option that takes a value sets one), flags and arguments nothing."""

    def get_params(self, ctx: Any) -> Any:
        params = super().get_params(ctx)
        _hide_python_types(params)
        return params

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _hide_python_types(command.get_params(ctx))
        return command


app = typer.Typer(cls=_HelpGroup, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False,
                  help="Find digitalisation goals in Swedish municipalities' mål- och "
                       "resursplaner and tell whether they aim at internal efficiency or at "
                       "citizens.")
labels_app = typer.Typer(cls=_HelpGroup, no_args_is_help=True,
                         help="Validate and summarise labelled paragraphs.")
base_app = typer.Typer(cls=_HelpGroup, no_args_is_help=True,
                       help="Offline base models for training.")
models_app = typer.Typer(cls=_HelpGroup, no_args_is_help=True,
                         help="List, compare and promote model versions.")
docset_app = typer.Typer(cls=_HelpGroup, no_args_is_help=True,
                         help="Whole-plan evaluation sets: check plan sources, build documents.")
cascade_app = typer.Typer(cls=_HelpGroup, no_args_is_help=True,
                          help="The cascade: a cheap first stage that settles clearly "
                               "non-digital units before the encoder.")
app.add_typer(labels_app, name="labels")
app.add_typer(base_app, name="base-model")
app.add_typer(models_app, name="models")
app.add_typer(docset_app, name="docset")
app.add_typer(cascade_app, name="cascade")

_state = {"verbose": False}
log = logging.getLogger("mrp_classify")

LabelsOption = Annotated[Path | None, typer.Option(
    "--labels", metavar="DIR", help="Labels folder (default: the workspace's labels/).")]
ModelsDirOption = Annotated[Path | None, typer.Option(
    "--models-dir", metavar="DIR", help="Model registry root (default: the workspace's "
    "models/, or $MRP_CLASSIFY_MODELS).")]
ModelOption = Annotated[Path | None, typer.Option(
    "--model", metavar="DIR", help="Model folder (model.json, model.onnx, tokenizer.json). "
    "Default: the one the workspace's models/DEFAULT names, else the model bundled with "
    "mrp-classify.")]


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def handle_errors(func: F) -> F:
    """One line and a non-zero exit for user errors; the traceback only with --verbose."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MrpError as exc:
            if _state["verbose"]:
                raise
            raise fail(str(exc)) from exc
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None
        except (OSError, ValueError) as exc:
            if _state["verbose"]:
                raise
            raise fail(f"{exc} (run with --verbose for the traceback)") from exc
    return wrapper  # type: ignore[return-value]


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Logs to whatever sys.stderr is when a record is emitted, not when the handler was made
    (test runners and notebooks swap sys.stderr between commands)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        """The stream is always the current sys.stderr; assignments are ignored."""


class _ConsoleFormatter(logging.Formatter):
    """``LEVEL: message``, and an INFO line as the bare message: which module logged it is
    for --verbose."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        if record.levelno == logging.INFO:
            return record.getMessage()
        return super().formatMessage(record)


def quiet_logging() -> None:
    """A command's --quiet: only warnings and errors of ours (--verbose still shows all)."""
    if not _state["verbose"]:
        logging.getLogger("mrp_classify").setLevel(logging.WARNING)


def _print_version(value: bool) -> None:
    if not value:
        return
    from mrp_classify.inference.model_folder import ModelFolder
    from mrp_classify.paths import default_model_dir

    typer.echo(f"mrp-classify {__version__}")
    try:
        folder = default_model_dir()
        typer.echo(f"default model: {ModelFolder.load(folder).meta.ref} ({folder})")
    except MrpError as exc:
        typer.echo(f"default model: none ({exc})")
    raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Debug logging and full tracebacks.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print the version and the default model, and exit.")] = False,
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", metavar="DIR", help="Folder of your labels/, models/ and runs (default: "
        "$MRP_CLASSIFY_WORKSPACE, else the current folder when it has labels/, models/ or "
        "mrp-classify.toml, else the source checkout, else the current folder).")] = None,
) -> None:
    from mrp_classify.paths import use_workspace

    _state["verbose"] = verbose
    use_workspace(workspace)
    # In-process callers (tests, notebooks) run several commands in one process: the
    # option must not outlive its command.
    ctx.call_on_close(lambda: use_workspace(None))
    # Third-party libraries (onnxruntime's quantiser among them) log at INFO on the root
    # logger; users need our own messages, and everything only with --verbose.
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _CurrentStderrHandler)]:
        root.removeHandler(handler)
    handler = _CurrentStderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s") if verbose
                         else _ConsoleFormatter())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("mrp_classify").setLevel(logging.DEBUG if verbose else logging.INFO)

