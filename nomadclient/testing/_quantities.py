"""The entry quantities searches may name: NOMAD's fixed ones plus `results.*` paths seen so far."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ._per_store import PerStore
from ._state import Store

Kind = Literal["str", "number", "bool", "datetime"]

# order_by values that are no quantities (Elasticsearch's relevance and index order)
SORT_ONLY = frozenset({"_score", "_doc"})


@dataclass(frozen=True)
class Quantity:
    """A search quantity: a dotted path into entry metadata, its value kind and multiplicity."""

    name: str
    kind: Kind = "str"
    scalar: bool = True


def quantity(store: Store, name: str) -> Quantity | None:
    """The search quantity called `name`, or None if NOMAD would not know it."""
    return _FIXED_QUANTITIES.get(name) or _DISCOVERED.of(store).get(name)


def register_quantities(store: Store, results: dict[str, Any]) -> None:
    """Make the `results.*` paths of one entry searchable (kinds inferred from the values)."""
    discovered = _DISCOVERED.of(store)
    for path, value in leaf_paths("results", results):
        if path in _FIXED_QUANTITIES or path in discovered:
            continue
        scalar = not isinstance(value, list)
        sample = value[0] if isinstance(value, list) and value else value
        discovered[path] = Quantity(path, _infer_kind(sample), scalar)


def leaf_paths(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    """`(dotted path, value)` of every leaf below `prefix`, through lists of sections."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaf_paths(f"{prefix}.{key}", child)
    elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        for item in value:
            yield from leaf_paths(prefix, item)
    else:
        yield prefix, value


# the `results.*` quantities entries of each store brought along
_DISCOVERED: PerStore[dict[str, Quantity]] = PerStore(lambda _: {})


def _quantities(kind: Kind, scalar: bool, names: str) -> dict[str, Quantity]:
    return {name: Quantity(name, kind, scalar) for name in names.split()}


# the entry quantities NOMAD indexes (a subset of its `entries` document type)
_FIXED_QUANTITIES: dict[str, Quantity] = {
    **_quantities(
        "str",
        True,
        "entry_id calc_id upload_id upload_name mainfile mainfile_key parser_name entry_name "
        "entry_type license nomad_version nomad_commit comment external_id external_db origin "
        "domain description process_status main_author.user_id main_author.name "
        "text_search_contents",
    ),
    **_quantities(
        "str",
        False,
        "references processing_errors files quantities sections "
        "section_defs.definition_qualified_name "
        "authors.user_id authors.name writers.user_id writers.name viewers.user_id viewers.name "
        "writer_groups viewer_groups datasets.dataset_id datasets.dataset_name datasets.doi "
        "datasets.dataset_type",
    ),
    **_quantities("bool", True, "published with_embargo processed"),
    **_quantities(
        "datetime",
        True,
        "upload_create_time entry_create_time publish_time last_processing_time",
    ),
    **_quantities("datetime", False, "datasets.dataset_create_time datasets.dataset_modified_time"),
    **_quantities("number", True, "n_quantities"),
    # the most used `results` quantities; others become searchable once some entry has them
    **_quantities(
        "str",
        True,
        "results.material.material_id results.material.material_name "
        "results.material.structural_type results.material.dimensionality "
        "results.material.building_block results.material.chemical_formula_hill "
        "results.material.chemical_formula_reduced results.material.chemical_formula_descriptive "
        "results.material.chemical_formula_anonymous results.material.elements_exclusive "
        "results.material.symmetry.crystal_system results.material.symmetry.bravais_lattice "
        "results.material.symmetry.space_group_symbol results.material.symmetry.point_group "
        "results.material.symmetry.structure_name results.method.method_name "
        "results.method.workflow_name results.method.simulation.program_name "
        "results.method.simulation.program_version "
        "results.method.simulation.dft.xc_functional_type "
        "results.method.simulation.dft.basis_set_type",
    ),
    **_quantities(
        "str",
        False,
        "results.material.elements results.properties.available_properties "
        "results.method.simulation.dft.xc_functional_names",
    ),
    **_quantities(
        "number",
        True,
        "results.material.n_elements results.material.symmetry.space_group_number "
        "results.properties.n_calculations "
        "results.properties.structures.structure_original.n_sites "
        "results.properties.structures.structure_conventional.n_sites "
        "results.properties.structures.structure_original.cell_volume",
    ),
    **_quantities(
        "number", False, "results.properties.electronic.band_structure_electronic.band_gap.value"
    ),
}


def _infer_kind(value: Any) -> Kind:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "str"
