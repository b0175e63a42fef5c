"""Who downloads: NOMAD 1.3 also accepts a signature token as `?signature_token=` there.

Download routes (raw files, archive downloads, upload raw zips) take the caller from
`DownloadUser` instead of `OptionalUser`:

```python
@router.get("/entries/{entry_id}/raw")
def download(entry_id: str, user: DownloadUser, store: StoreDep): ...
```

In 2.0 the query parameter is ignored (signature tokens are bearer tokens only there); it is
hidden from the OpenAPI schema because NOMAD 2.0 does not declare it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from ._deps import StoreDep, optional_user, token_user
from ._state import UserRecord
from ._tokens import TokenError


def download_user(
    request: Request,
    store: StoreDep,
    signature_token: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> UserRecord | None:
    """The caller of a download: bearer token, or (1.3) a `signature_token` query parameter."""
    if signature_token is None or store.api_version != "1.3":
        return optional_user(request, store)
    return token_user(request, store, signature_token, _simple_token_detail)


def _simple_token_detail(error: TokenError) -> str:
    # NOMAD checks these as its own "simple" tokens, with shorter words than for bearers
    return "Expired token." if str(error) == "Expired token." else "Invalid token."


DownloadUser = Annotated[UserRecord | None, Depends(download_user)]
