"""Turn `storage.url` into the SQLite file to open."""

from __future__ import annotations

from pathlib import Path

from ven.storage.errors import StorageUrlError

MEMORY = ":memory:"
_SCHEME = "sqlite://"


def resolve_storage_path(url: str | Path, base_dir: str | Path | None = None) -> str:
    """The file path for an `sqlite:///relative.db`, `sqlite:////abs.db` or `sqlite:///:memory:` URL.

    A plain path (no scheme) is accepted as is, for callers that already resolved it. Relative paths are
    taken relative to `base_dir` (the config file's directory, CONTRACT.md), else to the working directory.
    """
    if isinstance(url, Path):
        path = url
    elif "://" not in url:
        if not url.strip():
            raise StorageUrlError("storage.url is empty")
        path = Path(url)
    else:
        if not url.startswith(_SCHEME + "/"):
            raise StorageUrlError(f"storage.url {url!r}: only sqlite:///<path> is supported")
        rest = url[len(_SCHEME) + 1 :]
        if "?" in rest or "#" in rest:
            raise StorageUrlError(f"storage.url {url!r}: query strings and fragments are not supported")
        if rest == MEMORY:
            return MEMORY
        if not rest:
            raise StorageUrlError(f"storage.url {url!r} names no file")
        path = Path(rest)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return str(path)
