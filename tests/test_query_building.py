"""Unit tests of how keyword filters and query dicts become NOMAD's query."""

import pytest

from nomadclient.resources.entries import build_query


def test_keywords_become_dotted_quantities_with_operators_and_aliases() -> None:
    query = build_query(
        {"upload_id": "u1"},
        {"dataset_id": "d1", "results__material__n_elements__gte": 2, "elements": ("Si", "O")},
    )
    assert query == {
        "upload_id": "u1",
        "datasets.dataset_id": "d1",
        "results.material.n_elements:gte": 2,
        "results.material.elements": ["Si", "O"],
    }


def test_a_quantity_named_twice_is_combined_with_and() -> None:
    query = build_query(None, {"elements": ["O"], "elements__none": ["H"]})
    assert query == {
        "and": [
            {"results.material.elements": ["O"]},
            {"results.material.elements:none": ["H"]},
        ]
    }


@pytest.mark.parametrize("tree", ["and", "or", "not"])
def test_a_boolean_tree_is_kept_whole_beside_keyword_filters(tree: str) -> None:
    branch = {tree: [{"upload_id": "a"}, {"upload_id": "b"}]}
    assert build_query(branch, {"dataset_id": "d"}) == {
        "and": [branch, {"datasets.dataset_id": "d"}]
    }


def test_nothing_is_the_empty_query() -> None:
    assert build_query(None, {}) == {}
