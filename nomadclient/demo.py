"""The demo workflow: upload, process, edit, explore, dataset, publish, query — step by step.

`python -m nomadclient demo` runs it against a stand-in NOMAD server started on a free loopback
port (needs the `server` extra); `--url` points it at a real deployment instead, with credentials
found the usual way (see the credentials how-to).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .client import NomadClient

DEMO_USER = ("demo", "demo-password")

# Three small NOMAD archives: what a workflow writes as `*.archive.json` files.
SAMPLE_ARCHIVES = {
    "silicon/si.archive.json": {
        "data": {"m_def": "nomad.datamodel.metainfo.eln.ElnBaseSection", "name": "Si bulk"},
        "results": {
            "material": {
                "elements": ["Si"],
                "chemical_formula_reduced": "Si",
                "n_elements": 1,
            }
        },
    },
    "titania/tio2.archive.json": {
        "data": {"name": "TiO2 rutile"},
        "results": {
            "material": {
                "elements": ["O", "Ti"],
                "chemical_formula_reduced": "O2Ti",
                "n_elements": 2,
            }
        },
    },
    "titania/anatase.archive.json": {
        "data": {"name": "TiO2 anatase"},
        "results": {
            "material": {
                "elements": ["O", "Ti"],
                "chemical_formula_reduced": "O2Ti",
                "n_elements": 2,
            }
        },
    },
}


def write_sample_data(directory: Path) -> Path:
    """Write the sample archives (and a README raw file) into `directory`; returns it."""
    for name, archive in SAMPLE_ARCHIVES.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(archive, indent=2))
    (directory / "README.md").write_text("Sample data of the nomadclient demo.\n")
    return directory


def run_demo(nomad: NomadClient, say: Callable[[str], None] = print) -> None:
    """The whole workflow against the deployment `nomad` talks to."""
    with tempfile.TemporaryDirectory(prefix="nomadclient-demo-") as scratch:
        workdir = Path(scratch)
        me = nomad.users.me()
        say(f"1. Logged in to {nomad.api_url} as {me.name} ({me.username})")

        data = write_sample_data(workdir / "data")
        upload = nomad.uploads.create(data, upload_name="nomadclient demo")
        say(f"2. Uploaded {data} (zipped on the fly) as upload {upload.upload_id}")

        upload = upload.wait_until_processed(timeout=120)
        say(f"3. Processed: {upload.process_status}, {upload.entry_count} entries")

        upload = upload.edit(
            comment="Made by the nomadclient demo", references=["https://nomad-lab.eu"]
        ).wait_until_processed(timeout=120)
        say(f"4. Edited the metadata of {upload.upload_name!r}")

        entries = list(upload.entries())
        for entry in entries:
            formula = (entry.results or {}).get("material", {}).get("chemical_formula_reduced")
            say(f"   - {entry.mainfile}: {formula} ({entry.process_status})")
        first = entries[0]
        archive = first.archive(required={"results": {"material": "*"}})
        say(f"5. Read a partial archive of {first.entry_id}: {sorted(archive)}")
        raw = first.download_raw(workdir / "raw.zip")
        say(f"   Downloaded its raw files to a zip of {raw.stat().st_size} bytes")

        dataset = nomad.datasets.create(f"nomadclient demo {upload.upload_id}")
        upload = upload.edit(datasets=[dataset.dataset_id]).wait_until_processed(timeout=120)
        say(f"6. Put the entries into dataset {dataset.dataset_name!r}")

        upload = upload.publish().wait_until_processed(timeout=120)
        say(f"7. Published: {upload.published}")

        found = list(nomad.entries.query(dataset_id=dataset.dataset_id))
        titania = list(nomad.entries.query(dataset_id=dataset.dataset_id, elements=["Ti", "O"]))
        say(f"8. The dataset holds {len(found)} entries, {len(titania)} of them with Ti and O")
        say("Done.")


@contextmanager
def embedded_deployment() -> Iterator[NomadClient]:
    """A client logged in to a stand-in server running on a free loopback port."""
    try:
        from .testing import NomadStandIn
    except ImportError as error:  # the server's dependencies are an extra
        raise SystemExit(
            "The demo's embedded NOMAD needs the server extra: pip install 'nomadclient[server]' "
            f"(missing: {error.name}). Or run it against a deployment with --url."
        ) from error
    username, password = DEMO_USER
    with (
        NomadStandIn(users={username: password}, processing_delay=0.2) as server,
        NomadClient(server.api_url, username=username, password=password) as nomad,
    ):
        yield nomad
