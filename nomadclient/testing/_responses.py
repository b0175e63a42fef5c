"""How the stand-in writes JSON bodies and file downloads, the same way for every route."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

from ._state import ApiVersion


class PrettyJSONResponse(JSONResponse):
    """NOMAD 1.3 pretty-printed its JSON with a 2-space indent (2.0 is compact)."""

    def render(self, content: Any) -> bytes:
        """The content as indented UTF-8 JSON."""
        return json.dumps(content, ensure_ascii=False, allow_nan=False, indent=2).encode("utf-8")


def json_response_class(api_version: ApiVersion) -> type[JSONResponse]:
    """The response class whose JSON looks like the emulated version's."""
    return JSONResponse if api_version == "2.0" else PrettyJSONResponse


def json_response(data: Any, api_version: ApiVersion) -> JSONResponse:
    """`data` as JSON, skipping FastAPI's generic encoding pass (costly on large entry pages)."""
    return json_response_class(api_version)(data)


def attachment(file_name: str) -> dict[str, str]:
    """The headers that make a response a download named `file_name`."""
    return {"Content-Disposition": f'attachment; filename="{file_name}"'}
