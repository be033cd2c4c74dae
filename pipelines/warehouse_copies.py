"""Readers never see a run at work: a run builds in a working copy of the warehouse and publishes it
whole once it has finished and passed its blocking checks (docs/operations.md).

DuckDB takes one writer per file, and opening a file that another process holds fails. So the file
readers open (`--warehouse FILE`: the report, notebooks, BI tools, the DuckDB CLI) is never written in
place. A run loads and builds in the working copy beside it (`<stem>.work.duckdb`); its last step renames
the working copy over FILE, one atomic step, and copies FILE back as the next working copy. A reader that
has FILE open goes on reading the version it opened; the next open finds the new one. A run that fails or
is killed publishes nothing, so FILE stays as the last good run left it. One lock file (`FILE.lock`)
makes runs wait for each other whoever started them: the schedule, the sensor, the UI or the command line.
Readers connect with `connect_published`, which cannot catch a publication half way.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

STAGED_SUFFIX = ".publishing"


def work_path(published: Path) -> Path:
    """The working copy of a warehouse file: only runs open it."""
    published = Path(published)
    return published.with_name(f"{published.stem}.work{published.suffix or '.duckdb'}")


def lock_path(published: Path) -> Path:
    published = Path(published)
    return published.with_name(f"{published.name}.lock")


@contextmanager
def run_lock(published: Path, holder: str, log: Callable[[str], None]) -> Iterator[None]:
    """Hold the warehouse's run lock, waiting for the run that holds it. The kernel releases it when the
    holder exits however it exits (a SIGKILL included), so a dead run never blocks the next one."""
    path = lock_path(published)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            log(f"waiting for the run holding {path} ({handle.read().strip() or 'unknown'}) to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.truncate(0)
        handle.write(f"{holder}\n")
        handle.flush()
        yield


def prepare_working_copy(published: Path) -> Path:
    """The working copy, made from the published file when there is none (a warehouse written before
    runs published, a run killed while copying it back, or a working copy someone removed); copies a
    killed run left half-made are removed. Call it holding the run lock."""
    published = Path(published)
    work = work_path(published)
    for name in (published.name, work.name):
        for staged in published.parent.glob(f".{name}.*{STAGED_SUFFIX}"):
            staged.unlink(missing_ok=True)
    if not work.exists() and published.exists():
        _copy_atomically(published, work)
    return work


def publish(published: Path) -> int:
    """Make the working copy the published file, atomically, then copy it back as the next run's working
    copy; the published file's size in bytes. Renaming first makes a run's marts visible without
    waiting for a copy of the whole file (11 s at SF10); the copy that follows costs the run, not the
    readers. Call it holding the run lock, with no connection to the working copy open."""
    published = Path(published)
    work = work_path(published)
    # Everything in the file itself: a file without its write-ahead log would look older than it is.
    with duckdb.connect(str(work)) as con:
        con.execute("CHECKPOINT")
    _sync(work)
    os.replace(work, published)
    _sync_directory(published.parent)
    _copy_atomically(published, work)  # killed before it ends: the next run makes it (prepare_working_copy)
    return published.stat().st_size


def connect_published(published: Path, attempts: int = 3) -> duckdb.DuckDBPyConnection:
    """A read-only connection to one whole version of the published file, even while a run publishes.

    DuckDB opens the file by its path several times while it connects (2.0.1: the header, then the
    blocks, each through an open of its own), so a connect at the instant a run renames its new version
    over the path could pair the old header with the new blocks: seen as "IO Error: No more data
    remaining in MetadataReader". So the file at the path is compared before and after the connect; when
    a publication came between, the connection (or its error) is dropped and it connects again. Runs
    publish a whole run apart, so the second attempt finds the path still."""
    published = Path(published)
    for _ in range(attempts):
        before = _file_identity(published)
        try:
            con = duckdb.connect(str(published), read_only=True)
        except duckdb.Error:
            if _file_identity(published) == before:
                raise  # a real error (no such file, not a DuckDB file), not a publication
            continue
        if _file_identity(published) == before:
            return con
        con.close()
    raise RuntimeError(f"{published} was replaced during each of {attempts} connects: is something else renaming it?")


def _file_identity(path: Path) -> tuple[int, ...] | None:
    """Which file the path names: the inode, and its times, since a freed inode's number is reused."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino, stat.st_ctime_ns, stat.st_mtime_ns, stat.st_size


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy to a hidden file beside `target`, flush it to disk, rename it over `target`: whoever opens
    `target` finds the old file or the new one, never a part, even if the machine stops half way."""
    staged = target.with_name(f".{target.name}.{os.getpid()}{STAGED_SUFFIX}")
    try:
        shutil.copyfile(source, staged)
        _sync(staged)
        os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)
    _sync_directory(target.parent)


def _sync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _sync_directory(directory: Path) -> None:
    """A rename is on disk once its directory is."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
