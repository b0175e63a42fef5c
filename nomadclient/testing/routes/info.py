"""Routes of the stand-in NOMAD API: info (`GET /info`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from .._deps import StoreDep
from .._state import NOMAD_VERSIONS

router = APIRouter(tags=["info"])


@router.get("/info")
def get_info(store: StoreDep) -> dict[str, Any]:
    """A subset of NOMAD's `InfoModel`: every required field, describing the stand-in."""
    version = NOMAD_VERSIONS[store.api_version]
    info: dict[str, Any] = {
        "parsers": ["parsers/archive"],
        "metainfo_packages": ["general", "general.experimental", "common", "public"],
        "codes": [{"code_name": "NOMAD archive", "code_homepage": "https://nomad-lab.eu"}],
        "normalizers": ["MetainfoNormalizer", "ResultsNormalizer"],
        "plugin_entry_points": [],
        "plugin_packages": [],
        "version": version,
        "deployment": "nomadclient stand-in",
        "oasis": False,
    }
    if store.api_version == "1.3":
        # 1.3 still filled `git`; 2.0 deprecated it to an empty value (omitted as null)
        info["git"] = {"ref": f"v{version}", "version": version, "commit": "", "log": ""}
    return info
