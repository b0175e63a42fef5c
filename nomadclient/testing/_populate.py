"""Bulk synthetic data: many published entries with realistic-looking, precomputed metadata.

`populate(store, 100_000)` takes a few seconds; the entries carry `static_metadata`, so searching
them never builds metadata. Values are drawn from a seeded generator: the same seed gives the
same entries (ids depend on the generated upload ids, which are derived from the seed too).
Results are drawn from a pool of a few thousand distinct ones, which entries share.
"""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import datetime, timedelta, timezone
from typing import Any

from ._entry_metadata import processing_keys
from ._quantities import leaf_paths
from ._state import (
    NOMAD_VERSIONS,
    EntryRecord,
    Store,
    UploadRecord,
    UserRecord,
    entry_id_for,
    format_index_time,
)

# (symbol, atomic number): a small subset of the periodic table
ELEMENTS = (
    ("H", 1), ("Li", 3), ("C", 6), ("N", 7), ("O", 8), ("Na", 11), ("Mg", 12), ("Al", 13),
    ("Si", 14), ("Cl", 17), ("Ti", 22), ("Fe", 26), ("Cu", 29), ("Zn", 30), ("Ga", 31),
    ("As", 33),
)  # fmt: skip
PROGRAMS = (("VASP", "5.4.4"), ("FHI-aims", "221103"), ("exciting", "nitrogen"),
            ("Quantum Espresso", "7.2"), ("CP2K", "2023.1"))  # fmt: skip
CRYSTAL_SYSTEMS = ("cubic", "hexagonal", "tetragonal", "orthorhombic", "monoclinic", "triclinic")
STRUCTURAL_TYPES = ("bulk", "bulk", "bulk", "surface", "2D", "molecule / cluster")
XC_TYPES = ("GGA", "LDA", "hybrid", "meta-GGA")
PROPERTIES = ("dos_electronic", "band_structure_electronic", "geometry_optimization", "trajectory")
_LETTERS = "ABCDEFGH"
_POOL_SIZE = 2048


def populate(
    store: Store,
    n: int,
    *,
    seed: int = 0,
    user: UserRecord | None = None,
    uploads: int = 5,
    embargo_length: int = 0,
) -> list[str]:
    """Add `n` synthetic published entries in `uploads` uploads of `user`; their upload ids.

    Without `user` the entries belong to the store's first user (one is created if none).
    """
    rng = random.Random(seed)
    owner = user or _default_user(store)
    base_time = datetime(2023, 1, 1, tzinfo=timezone.utc)
    n_uploads = max(1, min(uploads, n)) if n else 0
    upload_ids = []
    new_entries: dict[str, EntryRecord] = {}
    new_uploads: list[UploadRecord] = []
    # entries share results drawn from a pool: generating each one costs more than a second
    # per 100 000 entries, and nobody reads identical results as a sign of fake data
    pool = [_results(rng) for _ in range(min(n, _POOL_SIZE))]
    for index in range(n_uploads):
        upload_id = _derived_id(f"{seed}:{index}:{store.generation}")
        created = base_time + timedelta(days=index, seconds=rng.randrange(86_400))
        upload = UploadRecord(
            upload_id=upload_id,
            main_author=owner.user_id,
            # synthetic entries have no files: the directory is never created
            files_dir=store.upload_dir(upload_id),
            upload_name=f"synthetic upload {index + 1}",
            upload_create_time=created,
            published=True,
            publish_time=created + timedelta(days=1),
            embargo_length=embargo_length,
            process_status="SUCCESS",
            last_status_message="Process completed successfully",
            complete_time=created + timedelta(hours=1),
        )
        share = n // n_uploads + (1 if index < n % n_uploads else 0)
        common = _upload_metadata(store, upload, owner)
        for number in range(share):
            results = pool[int(rng.random() * len(pool))]
            entry = _entry(upload, common, number, results)
            new_entries[entry.entry_id] = entry
            upload.entry_ids.append(entry.entry_id)
        new_uploads.append(upload)
        upload_ids.append(upload_id)
    with store.lock:
        for upload in new_uploads:
            store.uploads[upload.upload_id] = upload
        store.entries.update(new_entries)
        store.touch()
    return upload_ids


def _default_user(store: Store) -> UserRecord:
    with store.lock:
        existing = next(iter(store.users.values()), None)
    return existing or store.add_user("synthetic", "synthetic-password", first_name="Synthetic")


def _derived_id(text: str) -> str:
    # same shape as NOMAD's random upload ids, but reproducible
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:22]


def _upload_metadata(store: Store, upload: UploadRecord, owner: UserRecord) -> dict[str, Any]:
    author = owner.ref_json()
    common: dict[str, Any] = {
        "upload_id": upload.upload_id,
        "upload_name": upload.upload_name,
        "parser_name": "parsers/vasp",
        "published": True,
        "publish_time": format_index_time(upload.publish_time),
        "with_embargo": upload.with_embargo,
        "license": upload.license,
        "upload_create_time": format_index_time(upload.upload_create_time),
        "processed": True,
        "processing_errors": [],
        "nomad_version": NOMAD_VERSIONS[store.api_version],
        "references": [],
        "origin": owner.name,
        "main_author": author,
        "authors": [author],
        "writers": [author],
        "viewers": [author],
        "writer_groups": [],
        "viewer_groups": [],
        "datasets": [],
        **processing_keys({}, has_results=True),
    }
    if store.api_version == "2.0":
        common["process_status"] = "SUCCESS"
    return common


def _entry(
    upload: UploadRecord, common: dict[str, Any], number: int, results: dict[str, Any]
) -> EntryRecord:
    mainfile = f"calc_{number:06d}/vasprun.xml"
    entry_id = entry_id_for(upload.upload_id, mainfile)
    created = upload.upload_create_time + timedelta(seconds=number)
    metadata = dict(common)
    quantities = sorted(path.lstrip(".") for path, _ in leaf_paths("", {"results": results}))
    metadata.update(
        entry_id=entry_id,
        calc_id=entry_id,
        mainfile=mainfile,
        entry_name="vasprun.xml",
        entry_create_time=format_index_time(created),
        last_processing_time=format_index_time(created + timedelta(minutes=5)),
        files=[mainfile],
        quantities=quantities,
        n_quantities=len(quantities),
        results=results,
    )
    return EntryRecord(
        entry_id=entry_id,
        upload_id=upload.upload_id,
        mainfile=mainfile,
        parser_name="parsers/vasp",
        entry_create_time=created,
        process_status="SUCCESS",
        complete_time=created + timedelta(minutes=5),
        archive={},
        results=results,
        static_metadata=metadata,
    )


def _results(rng: random.Random) -> dict[str, Any]:
    picked = sorted(rng.sample(ELEMENTS, rng.choice((1, 2, 2, 3, 3, 4))), key=lambda e: e[0])
    counts = [rng.choice((1, 1, 2, 3, 4)) for _ in picked]
    formula = "".join(
        f"{symbol}{count if count > 1 else ''}"
        for (symbol, _), count in zip(picked, counts, strict=True)
    )
    anonymous = "".join(
        f"{_LETTERS[i]}{count if count > 1 else ''}"
        for i, count in enumerate(sorted(counts, reverse=True))
    )
    program, version = rng.choice(PROGRAMS)
    band_gap = round(rng.uniform(0.0, 6.0), 3)
    return {
        "material": {
            "elements": [symbol for symbol, _ in picked],
            "n_elements": len(picked),
            "chemical_formula_hill": formula,
            "chemical_formula_reduced": formula,
            "chemical_formula_descriptive": formula,
            "chemical_formula_anonymous": anonymous,
            "elements_exclusive": " ".join(symbol for symbol, _ in picked),
            "structural_type": rng.choice(STRUCTURAL_TYPES),
            "symmetry": {
                "crystal_system": rng.choice(CRYSTAL_SYSTEMS),
                "space_group_number": rng.randrange(1, 231),
            },
        },
        "method": {
            "method_name": "DFT",
            "simulation": {
                "program_name": program,
                "program_version": version,
                "dft": {"xc_functional_type": rng.choice(XC_TYPES)},
            },
        },
        "properties": {
            "available_properties": sorted(rng.sample(PROPERTIES, rng.randrange(1, 3))),
            "electronic": {"band_structure_electronic": [{"band_gap": [{"value": band_gap}]}]},
        },
    }
