"""README.md's commands and requests, run against a freshly started service, each checked against what README
says it answers, so the front page cannot rot. A command this test cannot run here must be named below with the
test that covers it instead; a new command in README fails this test until it is checked one way or the other."""
from __future__ import annotations

import asyncio
import json
import re
import shlex
import shutil
import sys

import pytest

from service.settings import PROJECT_ROOT
from tests.etl.conftest import gecko, paprika  # noqa: F401  (fixtures: the fake upstreams)
from tests.faults.support import drop_database, free_port, fresh_database, running_service, service_env

pytestmark = pytest.mark.slow

README = (PROJECT_ROOT / "README.md").read_text()
SERVE = ".venv/bin/python -m service"
# Commands README shows that this test does not run, and what checks them instead.
NOT_RUN = {
    "python3 -m venv .venv": "making a virtualenv: the test runs in one already",
    ".venv/bin/pip install -q -e .": "installing: this test runs from the installed checkout",
    ".venv/bin/pip install -q -e '.[test]'": "installing: this test runs from the installed checkout",
    ".venv/bin/python -m pytest": "the test suite itself, this test included",
    "cp .env.example .env": "Docker is not here: tests/deploy/test_compose.py reads .env.example as compose does",
    "docker compose up -d --build": "Docker is not here: tests/deploy/test_compose.py checks docker-compose.yml",
    # checked below against the command atop the lock file; running it needs the package index
    "pip-compile": "the lock's own header names the command that made it (test below)",
}
# "# 200, with a, b and c: free text"
_EXPECTATION = re.compile(r"^(?P<status>\d{3})(?:, with (?P<keys>[^:]+))?(?::.*)?$")
# "# exits 0: what stderr starts with (… stands for what varies)"
_EXIT = re.compile(r"^exits (?P<code>\d+)(?:: (?P<stderr>.+))?$")


def shell_lines() -> list[str]:
    """Each command line of README's ```sh blocks, with its comment."""
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def split_comment(line: str) -> tuple[str, str]:
    command, _, comment = line.partition("  #")
    return command.strip(), comment.strip()


def commands(line: str) -> list[str]:
    return [part.strip() for part in split_comment(line)[0].split("&&")]


def curls() -> list[tuple[str, int, list[str]]]:
    """(URL path, status, top-level keys) of every curl README shows."""
    found = []
    for line in shell_lines():
        command, comment = split_comment(line)
        if not command.startswith("curl "):
            continue
        (url,) = [word for word in shlex.split(command)[1:] if not word.startswith("-")]
        assert url.startswith("localhost:8080/"), url
        expected = _EXPECTATION.match(comment or "200")
        assert expected, f"README's comment on {command!r} does not say what it answers: {comment!r}"
        keys = re.split(r",\s*|\s+and\s+", expected["keys"]) if expected["keys"] else []
        found.append((url.removeprefix("localhost:8080"), int(expected["status"]), [k.strip() for k in keys]))
    return found


def service_commands() -> list[tuple[list[str], int, str]]:
    """(arguments, exit code, stderr pattern) of every other `python -m service ...` README shows."""
    found = []
    for line in shell_lines():
        command, comment = split_comment(line)
        if command.startswith(SERVE + " "):
            expected = _EXIT.match(comment)
            assert expected, f"README's comment on {command!r} does not say how it exits: {comment!r}"
            found.append((shlex.split(command.removeprefix(SERVE)), int(expected["code"]), expected["stderr"] or ""))
    return found


def test_every_command_in_readme_is_either_run_here_or_covered_elsewhere():
    unknown = []
    for line in shell_lines():
        for command in commands(line):
            if command.startswith(("curl ", SERVE + " ")) or command == SERVE:
                continue
            if not any(command == known or command.startswith(known + " ") for known in NOT_RUN):
                unknown.append(command)
    assert unknown == [], "README shows commands this test neither runs nor knows to be covered elsewhere"
    assert len(curls()) >= 6 and any(SERVE in commands(line) for line in shell_lines()) and service_commands()


def test_the_lock_command_in_readme_is_the_one_that_made_the_lock():
    (shown,) = [command for line in shell_lines() for command in commands(line) if command.startswith("pip-compile")]
    header = (PROJECT_ROOT / ".ci" / "requirements.lock").read_text().split("\n#\n", 2)[1]
    assert f"#    {shown}\n" in header + "\n", header


def test_readme_is_short_and_keeps_history_out():
    assert len(README.splitlines()) <= 350
    assert not re.search(r"\bissue \d+|\b[0-9a-f]{7,40}\b(?<!\d{7})", README, flags=re.I)


async def test_readme_commands_and_requests_answer_as_it_says(pg_admin_url, tmp_path, paprika, gecko):  # noqa: F811
    import aiohttp

    port = free_port()
    dsn = await fresh_database(pg_admin_url)
    # README's first command, as it is (all sources, the sample CSV, listening on every interface), except the
    # upstreams: local fakes speaking their real formats, and a free port instead of 8080
    env = service_env(DATABASE_URL=dsn, PORT=port, ETL_SOURCES="coinpaprika,coingecko,csv",
                      COINPAPRIKA_BASE_URL=paprika.url, COINGECKO_BASE_URL=gecko.url)
    env.pop("HOST", None)
    try:
        async with running_service(env, log_dir=tmp_path) as service, aiohttp.ClientSession() as session:
            base = f"http://127.0.0.1:{port}"
            # "a few seconds after start-up": the start-up run of every source has finished
            for _ in range(300):
                async with session.get(f"{base}/runs?limit=10") as response:
                    runs = (await response.json())["data"]
                if len(runs) == 3 and all(run["status"] != "running" for run in runs):
                    break
                await asyncio.sleep(0.2)
            assert sorted((run["source"], run["status"]) for run in runs) == [
                ("coingecko", "success"), ("coinpaprika", "success"), ("csv", "success")], runs

            for path, status, keys in curls():
                if shutil.which("curl"):
                    process = await asyncio.create_subprocess_exec(
                        "curl", "-s", "-w", "\n%{http_code}", f"127.0.0.1:{port}{path}",
                        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
                    out, _ = await asyncio.wait_for(process.communicate(), 30)
                    body, _, code = out.decode().rpartition("\n")
                else:  # the same GET `curl -s` sends, where curl is not installed
                    async with session.get(f"{base}{path}") as response:
                        body, code = await response.text(), str(response.status)
                assert int(code) == status, (path, code, body[:300])
                answer = json.loads(body)
                assert set(keys) <= set(answer), (path, keys, sorted(answer))
                if path.startswith("/rejects"):  # "the sample's 5 invalid rows"
                    assert len(answer["data"]) == 5 and all("deliberately invalid" in r["raw"] for r in answer["data"])

            # the pages README says to open
            for url in sorted(set(re.findall(r"http://localhost:8080(/[\w/]*)", README))):
                async with session.get(f"{base}{url}") as response:
                    assert response.status == 200, url

            # the start-up line README quotes
            listening = [r for r in service.log_records() if r["message"].startswith("service listening")]
            assert listening and listening[0]["message"].startswith(
                f"service listening on http://localhost:{port} (dashboard http://localhost:{port}/dashboard, "
                f"API docs http://localhost:{port}/docs)")
            assert "service listening on http://localhost:8080 (dashboard …/dashboard, API docs …/docs)" in README

            # "the csv source reads stale" on a fresh install, and says why
            async with session.get(f"{base}/health") as response:
                health = await response.json()
            csv = next(s for s in health["sources"] if s["source"] == "csv")
            assert csv["stale"] is True and any(p.startswith("csv: stale") for p in health["problems"])

        # the other commands, on the database the service has just filled ("after the service has run once")
        for args, code, stderr in service_commands():
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "service", *args, env=env, cwd=str(PROJECT_ROOT),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            _, err = await asyncio.wait_for(process.communicate(), 120)
            assert process.returncode == code, (args, err.decode())
            pattern = ".*?".join(re.escape(part) for part in stderr.split("…"))
            assert re.match(pattern, err.decode().strip().splitlines()[-1]), (args, stderr, err.decode())
    finally:
        await drop_database(pg_admin_url, dsn)
