"""Configuration has one home: this module.

Each setting has a default here; an optional ``healthqa.toml`` in the data directory
overrides it, a ``HEALTHQA_*`` environment variable overrides both, and a command-line
option overrides everything. :func:`load` resolves the layers and remembers where each
value came from (``healthqa config`` prints it).

>>> load({"data_dir": "/nonexistent"}, env={"HEALTHQA_WORKERS": "3"}).get("workers")
3
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from healthqa.ingest.defaults import INDEX_MEMORY_MB, WAIT_SECONDS as DEFAULT_WAIT, WORKERS as DEFAULT_WORKERS
from healthqa.ingest.errors import HealthQAError

DEFAULT_DATA_DIR = "./healthqa-data"
DEFAULT_MAX_MB = 20.0          # ingest rejects larger files (--max-size)
MIN_INDEX_MEMORY_MB = 200      # --index-memory-mb: below this, a build's fixed cost leaves no room for documents
ENV_PREFIX = "HEALTHQA"
FILE_NAME = "healthqa.toml"
DATA_ENV = f"{ENV_PREFIX}_DATA"


class ConfigError(HealthQAError):
    """A configuration value (file or environment) cannot be read."""


def _whole(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        number = int(value)
        if isinstance(value, bool) or not low <= number <= high:
            raise ValueError
        return number
    return parse


def _number(low: float, open_low: bool = False) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        number = float(value)
        if isinstance(value, bool) or number < low or (open_low and number == low):
            raise ValueError
        return number
    return parse


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ValueError
    return text in ("1", "true", "yes", "on")


def _backend(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in ("whoosh", "cluster"):
        raise ValueError
    return text


def _color(value: Any) -> str:
    text = ("always" if value else "never") if isinstance(value, bool) else str(value).strip().lower()
    if text not in ("auto", "always", "never"):
        raise ValueError
    return text


@dataclass(frozen=True)
class Setting:
    """One setting: its default, how a text value is read, and what it is for."""

    name: str
    default: Any
    parse: Callable[[Any], Any]
    help: str
    option: str
    expected: str = "text"
    env: str = ""
    in_file: bool = True

    @property
    def env_var(self) -> str:
        return self.env or f"{ENV_PREFIX}_{self.name.upper()}"


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("data_dir", DEFAULT_DATA_DIR, str, "where records and the index live", "--data-dir",
            env=DATA_ENV, in_file=False),
    Setting("workers", DEFAULT_WORKERS, _whole(1, 64), "processes that parse or relate in parallel",
            "--workers", "a whole number from 1 to 64"),
    Setting("max_size", DEFAULT_MAX_MB, _number(0, open_low=True),
            "ingest rejects files larger than this many MB", "--max-size", "a number greater than 0"),
    Setting("wait", DEFAULT_WAIT, _number(0), "seconds a writer waits while another holds the lock",
            "--wait", "a number of 0 or more"),
    Setting("index_memory_mb", INDEX_MEMORY_MB, _number(MIN_INDEX_MEMORY_MB),
            "megabytes an index build may use at its peak (a rebuild writes more segments below it)",
            "--index-memory-mb", f"a number of {MIN_INDEX_MEMORY_MB} or more"),
    Setting("limit", 10, _whole(1, 1000), "search hits per page", "--limit", "a whole number from 1 to 1000"),
    Setting("color", "auto", _color, "colour in terminal output (NO_COLOR set: never)",
            "--color / --no-color", "auto, always or never"),
    Setting("backend", "whoosh", _backend, "what search, eval, related and the server search: this data directory's "
            "Whoosh index, or a search cluster ('healthqa cluster')", "--backend", "whoosh or cluster"),
    Setting("cluster_dir", "", str, "the search cluster's directory (nodes.toml, engine configs; "
            "empty: <data dir>/cluster)", "--cluster-dir"),
    Setting("quiet", False, _boolean, "no progress bars or stage lines", "--quiet / -q", "true or false"),
)}


@dataclass(frozen=True)
class Value:
    """A setting's value in force and where it came from (``default``, the file, ``env NAME``, ``option``)."""

    value: Any
    source: str


@dataclass(frozen=True)
class Config:
    """The settings in force, each with its source."""

    values: Mapping[str, Value] = field(default_factory=dict)
    file: str | None = None

    def get(self, name: str) -> Any:
        return self.values[name].value

    def source(self, name: str) -> str:
        return self.values[name].source


def data_dir(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The data directory: an explicit value, else ``$HEALTHQA_DATA``, else the default."""
    env = os.environ if env is None else env
    return explicit or env.get(DATA_ENV) or DEFAULT_DATA_DIR


def load(options: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Resolve every setting: defaults, then ``<data dir>/healthqa.toml``, then the environment,
    then ``options`` (values given on the command line, ``None`` for those not given).

    Raises :class:`ConfigError` naming the file or variable and the setting when a value is wrong.
    """
    env = os.environ if env is None else env
    options = options or {}
    values = {name: Value(s.default, "default") for name, s in SETTINGS.items()}
    path = os.path.join(data_dir(options.get("data_dir"), env), FILE_NAME)
    for name, raw in _read_file(path).items():
        values[name] = Value(_parse(name, raw, path), path)
    for name, setting in SETTINGS.items():
        if env.get(setting.env_var, "") != "":
            values[name] = Value(_parse(name, env[setting.env_var], f"${setting.env_var}"),
                                 f"env {setting.env_var}")
    if values["color"].source in ("default", path) and env.get("NO_COLOR", "") != "":
        values["color"] = Value("never", "env NO_COLOR")
    for name, value in options.items():
        if value is not None:
            values[name] = Value(_parse(name, value, SETTINGS[name].option), "option")
    return Config(values, path if os.path.exists(path) else None)


def _read_file(path: str) -> dict[str, Any]:
    if not os.path.lexists(path):
        return {}
    import tomllib  # only when there is a file: every command starts here, 'search' must start fast

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it: {exc}") from None
    unknown = [key for key in data if key not in SETTINGS or not SETTINGS[key].in_file]
    if unknown:
        known = ", ".join(name for name, s in SETTINGS.items() if s.in_file)
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r} (known: {known})")
    return data


def _parse(name: str, raw: Any, where: str) -> Any:
    try:
        return SETTINGS[name].parse(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {name} = {raw!r} is not valid: expected {SETTINGS[name].expected}") from None
