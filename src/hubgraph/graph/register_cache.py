"""The entity register as last read, kept beside the store for the next load.

Every ``hubgraph load`` checks its sources against the register, and reading and checking
``data/register.yaml`` (YAML with the line of every key, a thousand entities, their indexes)
was half of what loading one small source cost. The register as read is kept in one file,
keyed on the register file's path and bytes and on the code that reads it, and is used only
when all of them are the same; anything else (no cache, another register, an edited reader, a
damaged or unreadable file) reads the register again, and a register with problems is never
kept, so that its problems are reported as they always were.

The cache is a pickle in the store's own directory: whoever can write there can already write
the store itself, so it is trusted as the store is.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from pathlib import Path

from hubgraph.graph import dates, names
from hubgraph.graph import register as register_module
from hubgraph.graph.register import Register, read_register
from hubgraph.sheets import yamlread

FORMAT = b"hubgraph register cache 1\n"
READERS = (register_module, names, dates, yamlread)
"""The modules whose code decides what a register file reads as."""


def _key(path: Path, data: bytes) -> bytes:
    digest = hashlib.sha256(FORMAT)
    digest.update(str(path.resolve()).encode() + b"\0")
    for module in READERS:
        digest.update(Path(module.__file__ or "").read_bytes())
    digest.update(data)
    return digest.digest()


def read_register_cached(path: Path, cache: Path | None) -> Register:
    """What :func:`read_register` returns for ``path``, from ``cache`` when it holds the
    register read from these very bytes (and written there when it does not)."""
    if cache is None:
        return read_register(path)
    try:
        data = path.read_bytes()
        key = _key(path, data)
    except OSError:
        return read_register(path)  # which says what is wrong with the file
    kept = _kept(cache, key)
    if kept is not None:
        return kept
    register = read_register(path)
    with contextlib.suppress(OSError):
        if path.read_bytes() == data:  # not edited while it was read
            _keep(cache, key, register)
    return register


def _kept(cache: Path, key: bytes) -> Register | None:
    try:
        with cache.open("rb") as f:
            if f.read(len(key)) != key:
                return None
            register = pickle.load(f)
    except Exception:  # no cache yet, or a damaged one: read the register again
        return None
    return register if isinstance(register, Register) else None


def _keep(cache: Path, key: bytes, register: Register) -> None:
    tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(key)
            pickle.dump(register, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
