"""What a server is built with comes from HEALTHQA_* variables over the defaults."""

import pytest
from click.testing import CliRunner

from healthqa.cli import cli
from healthqa.serve.settings import ServeSettings


def test_settings_from_the_environment():
    settings = ServeSettings.from_env({"HEALTHQA_DATA": "/srv/qa", "HEALTHQA_API_KEY": "w",
                                       "HEALTHQA_READ_KEY": "", "HEALTHQA_MAX_BODY_MB": "0.5"})
    assert (settings.data_dir, settings.api_key, settings.read_key) == ("/srv/qa", "w", None)
    assert settings.max_body_bytes == 524_288
    assert ServeSettings.from_env({"HEALTHQA_SEARCH_CACHE": "0"}).search_cache == 0
    defaults = ServeSettings.from_env({})
    assert defaults.search_cache == 1000
    assert defaults.api_key is None and defaults.read_key is None and defaults.max_body_bytes == 20 * 1_048_576
    assert defaults.data_dir == "./healthqa-data"


@pytest.mark.parametrize("value", ["abc", "0", "-1", "inf"])
def test_a_bad_body_limit_is_refused_before_the_server_starts(value, tmp_path):
    with pytest.raises(ValueError, match="HEALTHQA_MAX_BODY_MB"):
        ServeSettings.from_env({"HEALTHQA_MAX_BODY_MB": value})
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "serve", "--port", "0"],
                                env={"HEALTHQA_MAX_BODY_MB": value})
    assert result.exit_code == 1 and "HEALTHQA_MAX_BODY_MB" in result.output and "number of megabytes" in result.output


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "9999999"])
def test_a_bad_search_cache_size_is_refused(value):
    with pytest.raises(ValueError, match="HEALTHQA_SEARCH_CACHE=.* is not a whole number of searches"):
        ServeSettings.from_env({"HEALTHQA_SEARCH_CACHE": value})


def test_pushes_are_indexed_within_the_configured_memory_budget(tmp_path):
    """``POST /v1/pages`` indexes with ``index_memory_mb`` as the commands read it, not a default."""
    assert ServeSettings.from_env({"HEALTHQA_DATA": str(tmp_path)}).index_memory_mb == 512
    (tmp_path / "healthqa.toml").write_text("index_memory_mb = 300\n")
    assert ServeSettings.from_env({"HEALTHQA_DATA": str(tmp_path)}).index_memory_mb == 300
    env = {"HEALTHQA_DATA": str(tmp_path), "HEALTHQA_INDEX_MEMORY_MB": "250"}
    assert ServeSettings.from_env(env).index_memory_mb == 250
    with pytest.raises(ValueError, match=r"\$HEALTHQA_INDEX_MEMORY_MB: index_memory_mb = '50' is not valid"):
        ServeSettings.from_env({**env, "HEALTHQA_INDEX_MEMORY_MB": "50"})
