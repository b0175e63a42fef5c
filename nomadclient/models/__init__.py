"""NOMAD's objects as typed, immutable Python objects, and the converter that builds them.

Objects a client returns carry their manager, so `upload.publish()` or `entry.archive()` work;
`structure()` builds detached ones from JSON (their methods raise
`nomadclient.errors.DetachedObjectError`).
"""

from ._base import NomadModel, bind
from ._converter import StructureError, converter, structure, unstructure
from .dataset import AsyncDataset, Dataset, DatasetFields, DatasetRef
from .entry import AsyncEntry, Entry, EntryFields
from .upload import PROCESSING_STATES, AsyncUpload, Upload, UploadFields
from .user import User, UserRef

__all__ = [
    "PROCESSING_STATES",
    "AsyncDataset",
    "AsyncEntry",
    "AsyncUpload",
    "Dataset",
    "DatasetFields",
    "DatasetRef",
    "Entry",
    "EntryFields",
    "NomadModel",
    "StructureError",
    "Upload",
    "UploadFields",
    "User",
    "UserRef",
    "bind",
    "converter",
    "structure",
    "unstructure",
]
