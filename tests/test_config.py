"""Settings come from HUBGRAPH_* variables, typed, and only when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from hubgraph.config import Settings
from hubgraph.errors import ConfigError


def test_environment_overrides() -> None:
    env = {
        "HUBGRAPH_STORE": "/tmp/x",
        "HUBGRAPH_QUERY_TIMEOUT": "2.5",
        "HUBGRAPH_WORKERS": "3",
        "HUBGRAPH_SERVICE_ALLOWLIST": "http://a/sparql, http://b/sparql",
        "HUBGRAPH_LOAD_ON_START": "true",
        "HUBGRAPH_DATA_DIR": "/tmp/data",
        "HUBGRAPH_WRITE_TOKEN": "",
    }
    s = Settings.from_env(env)
    assert s.store == "/tmp/x" and s.query_timeout == 2.5 and s.workers == 3
    assert s.service_allowlist == ("http://a/sparql", "http://b/sparql")
    assert s.load_on_start is True and s.data_dir == Path("/tmp/data")
    assert s.write_token is None


def test_defaults_and_explicit_overrides() -> None:
    s = Settings.from_env({}, store="memory")
    assert s.is_memory and not s.is_remote
    assert s.service_allowlist == ("https://query.wikidata.org/sparql",)
    assert Settings.from_env({"HUBGRAPH_STORE": "http://h/sparql"}).is_remote


def test_bad_values_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="HUBGRAPH_WORKERS"):
        Settings.from_env({"HUBGRAPH_WORKERS": "many"})
