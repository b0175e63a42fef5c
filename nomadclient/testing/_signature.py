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

from ._deps import StoreDep, optional_user
from ._errors import NomadError, forbidden
from ._state import UserRecord
from ._tokens import TokenError, verify


def download_user(
    request: Request,
    store: StoreDep,
    signature_token: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> UserRecord | None:
    """The caller of a download: bearer token, or (1.3) a `signature_token` query parameter."""
    if signature_token is None or store.api_version != "1.3":
        return optional_user(request, store)
    try:
        claims = verify(store.secret, signature_token)
    except TokenError as error:
        # NOMAD checks these as its own "simple" tokens, with shorter words than for bearers
        detail = "Expired token." if str(error) == "Expired token." else "Invalid token."
        raise NomadError(401, detail, headers={"WWW-Authenticate": "Bearer"}) from error
    with store.lock:
        user = store.users.get(claims.user_id)
    if user is None:
        raise forbidden("You are logged in with an unknown user", store.api_version)
    request.state.token_kind = claims.kind
    return user


DownloadUser = Annotated[UserRecord | None, Depends(download_user)]
