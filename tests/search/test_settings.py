"""Settings are frozen all the way down: no searcher can change another's through a shared default."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from healthqa.search.settings import FrozenMap, RankingSettings, RelatedSettings, SearchSettings


def test_weights_of_a_default_cannot_be_edited() -> None:
    settings = SearchSettings()
    with pytest.raises(TypeError):
        settings.ranking.weights["question"] = 9.0  # type: ignore[index]
    with pytest.raises(TypeError):
        settings.related.weights["answer"] = 9.0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.ranking.k1 = 2.0  # type: ignore[misc]
    assert SearchSettings().ranking.weights["question"] == 2.0


def test_a_dict_given_is_copied_and_frozen() -> None:
    weights = {"question": 3.0, "answer": 1.0}
    settings = RankingSettings().with_changes(weights=weights, field_b={"answer": 0.5})
    weights["question"] = 0.0  # the caller's dict changes later: the settings do not
    assert isinstance(settings.weights, FrozenMap) and settings.weights == {"question": 3.0, "answer": 1.0}
    assert settings.field_b == {"answer": 0.5} and RankingSettings().field_b == {}


def test_settings_compare_hash_and_pickle_by_value() -> None:
    a, b = SearchSettings(), SearchSettings()
    assert a == b and hash(a) == hash(b)
    assert pickle.loads(pickle.dumps(a)) == a  # worker processes receive them
    assert RelatedSettings(weights={"question": 1.0}) != RelatedSettings()
