"""Entry point of a PythonBackend trial: load the tuned function and call it with the config.

Run as ``python -m synetune_plugin_local.function_runner --tune_function_path <file>
--<name> <value> ... --st_checkpoint_dir <folder>`` (or ``--st_config_json_filename <file>``).
Values are cast with the ``configspace.json`` saved next to the function when there is one.
"""

from __future__ import annotations

import ast
import inspect
import json
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

CONFIG_SPACE_FILE = "configspace.json"
_CHECKPOINT_DIR = "st_checkpoint_dir"
_CONFIG_JSON = "st_config_json_filename"
_FUNCTION_PATH = "tune_function_path"


def parse_arguments(argv: list[str]) -> dict[str, str]:
    """``--name value`` and ``--name=value`` pairs; a value may start with '-' (``-1``)."""
    args: dict[str, str] = {}
    i = 0
    while i < len(argv):
        token = argv[i]
        if not token.startswith("--"):
            raise SystemExit(f"function_runner: unexpected argument {token!r}")
        name, eq, value = token[2:].partition("=")
        if not eq:
            if i + 1 >= len(argv):
                raise SystemExit(f"function_runner: argument --{name} has no value")
            value = argv[i + 1]
            i += 1
        args[name] = value
        i += 1
    return args


def parse_value(text: str, domain: Any = None, has_domain: bool = False) -> Any:
    """A value from its command-line text, cast to ``domain`` (a Domain or a constant)."""
    if has_domain:
        from synetune_sdk.config_space import Domain

        if isinstance(domain, Domain):
            return domain.cast(text)
        if str(domain) == text:  # a constant of the config space: pass it exactly
            return domain
    for parse in (ast.literal_eval, json.loads):
        try:
            return parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return text


def load_function(path: Path) -> Callable[..., Any]:
    data = path.read_bytes()
    try:
        import dill
    except ImportError:
        return pickle.loads(data)
    return dill.loads(data)


def build_config(args: dict[str, str], config_space: dict[str, Any] | None) -> dict[str, Any]:
    if _CONFIG_JSON in args:
        with open(args.pop(_CONFIG_JSON)) as f:
            config = json.load(f)
        if config_space is not None:
            from synetune_sdk.config_space import cast_config

            config = cast_config(config, config_space)
        return config
    space = config_space or {}
    return {name: parse_value(text, space.get(name), name in space) for name, text in args.items()}


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    if _FUNCTION_PATH not in args:
        raise SystemExit(f"function_runner: --{_FUNCTION_PATH} is required")
    function_path = Path(args.pop(_FUNCTION_PATH))
    checkpoint_dir = args.pop(_CHECKPOINT_DIR, None)
    space_path = function_path.parent / CONFIG_SPACE_FILE
    config_space = None
    if space_path.exists():
        from synetune_sdk.config_space import config_space_from_json

        config_space = config_space_from_json(json.loads(space_path.read_text()))
    config = build_config(args, config_space)
    function = load_function(function_path)
    parameters = inspect.signature(function).parameters.values()
    takes_dir = any(
        p.name == _CHECKPOINT_DIR or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters
    )
    if takes_dir and checkpoint_dir is not None:
        config[_CHECKPOINT_DIR] = checkpoint_dir
    function(**config)


if __name__ == "__main__":
    main()
