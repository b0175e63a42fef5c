"""Progress bars for uploads and downloads (needs the `progress` extra: tqdm).

```python
from nomadclient.progress import progress_bar

nomad.uploads.create("big.zip", on_progress=progress_bar("uploading big.zip"))
```
"""

from __future__ import annotations

from typing import Any

from ._types import ProgressCallback


def progress_bar(description: str = "", **tqdm_options: Any) -> ProgressCallback:
    """A progress callback that draws a tqdm bar in bytes; one bar per transfer.

    Keyword arguments go to `tqdm.auto.tqdm` (e.g. `leave=False`, `file=...`).
    """
    try:
        from tqdm.auto import tqdm
    except ImportError as error:
        raise ImportError(
            "progress bars need tqdm: pip install 'nomadclient[progress]', or pass your own "
            "on_progress callback taking (bytes_done, bytes_total)"
        ) from error
    options = {"unit": "B", "unit_scale": True, "unit_divisor": 1024, **tqdm_options}
    bar = tqdm(desc=description, total=None, **options)

    def update(done: int, total: int) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)
        if total and done >= total:
            bar.close()

    return update
