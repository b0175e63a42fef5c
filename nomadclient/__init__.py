"""nomadclient: a session SDK for the NOMAD materials-science repository API (v1).

```python
from nomadclient import NomadClient

with NomadClient("test") as nomad:
    upload = nomad.uploads.create("data.zip").wait_until_processed()
```
"""

from ._pagination import AsyncPageIterator, Page, PageIterator
from ._retry import RetryPolicy
from ._types import NOT_GIVEN, NotGiven
from ._version import __version__
from .client import AsyncNomadClient, NomadClient
from .config import DEFAULT_DEPLOYMENT, DEPLOYMENTS
from .errors import (
    APIError,
    BadRequest,
    ConfigurationError,
    Conflict,
    DetachedObjectError,
    Forbidden,
    InsecureTransportError,
    MissingCredentials,
    NomadError,
    NotFound,
    OutcomeUnknown,
    ProcessingError,
    ProcessingFailed,
    ProcessingTimeout,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    ValidationError,
)
from .models import (
    AsyncDataset,
    AsyncEntry,
    AsyncUpload,
    Dataset,
    Entry,
    Upload,
    User,
    structure,
    unstructure,
)

__all__ = [
    "DEFAULT_DEPLOYMENT",
    "DEPLOYMENTS",
    "NOT_GIVEN",
    "APIError",
    "AsyncDataset",
    "AsyncEntry",
    "AsyncNomadClient",
    "AsyncPageIterator",
    "AsyncUpload",
    "BadRequest",
    "ConfigurationError",
    "Conflict",
    "Dataset",
    "DetachedObjectError",
    "Entry",
    "Forbidden",
    "InsecureTransportError",
    "MissingCredentials",
    "NomadClient",
    "NomadError",
    "NotFound",
    "NotGiven",
    "OutcomeUnknown",
    "Page",
    "PageIterator",
    "ProcessingError",
    "ProcessingFailed",
    "ProcessingTimeout",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "Upload",
    "User",
    "ValidationError",
    "__version__",
    "structure",
    "unstructure",
]
