"""A real PostgreSQL server for the deployment test: Debian's (`make postgres` installs it), started in a
temporary folder on a free port and stopped after the test. Skipped with a clear reason where it is not
installed, unless SALESFUNNEL_REQUIRE_POSTGRES=1 (CI) makes that a failure."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

NOT_INSTALLED = "PostgreSQL is not installed: `make postgres` installs Debian's (apt-get install postgresql)"


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found and shutil.which("initdb"):
        found = [shutil.which("initdb")]
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres() -> Iterator[dict[str, str]]:
    """Connection settings (DAGSTER_PG_*) of a running server with an empty `dagster` database."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        if os.environ.get("SALESFUNNEL_REQUIRE_POSTGRES") == "1":
            pytest.fail(NOT_INSTALLED)
        pytest.skip(NOT_INSTALLED)
    # PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user of the package.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    home = Path(tempfile.mkdtemp(prefix="salesfunnel-pg-"))
    if as_user:
        shutil.chown(home, "postgres")
    port = str(_free_port())
    data = home / "data"

    def pg(tool: str, *args: str) -> None:
        subprocess.run([*as_user, str(bin_dir / tool), *args], check=True, capture_output=True, cwd=home)

    pg("initdb", "-D", str(data), "-U", "dagster", "--auth=trust", "-E", "UTF8")
    pg("pg_ctl", "-D", str(data), "-l", str(home / "server.log"), "-w", "start",
       "-o", f"-p {port} -k {home} -c listen_addresses=127.0.0.1")
    try:
        pg("createdb", "-h", "127.0.0.1", "-p", port, "-U", "dagster", "dagster")
        yield {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": port, "DAGSTER_PG_DB": "dagster",
               "DAGSTER_PG_USER": "dagster", "DAGSTER_PG_PASSWORD": "unused (trust authentication)"}
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(home, ignore_errors=True)
