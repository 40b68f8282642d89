"""The image's lock file (.ci/requirements.lock) pins, with hashes, what setup.cfg asks for."""
from __future__ import annotations

import configparser
import re

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from service.settings import PROJECT_ROOT

LOCK = PROJECT_ROOT / ".ci" / "requirements.lock"
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")


def locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of each pinned requirement."""
    pins = {}
    for block in re.split(r"\n(?=\S)", LOCK.read_text()):
        match = _PIN.match(block)
        if match:
            pins[canonicalize_name(match[1])] = (match[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return pins


def required() -> list[Requirement]:
    setup = configparser.ConfigParser()
    setup.read(PROJECT_ROOT / "setup.cfg")
    lines = setup["options"]["install_requires"].splitlines()
    return [Requirement(line.strip()) for line in lines if line.strip() and not line.strip().startswith("#")]


def test_every_requirement_of_setup_cfg_is_pinned_within_its_range():
    pins = locked()
    for requirement in required():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is missing from the lock: regenerate it (README, Deploy)"
        assert requirement.specifier.contains(pins[name][0], prereleases=True), (
            f"{name}=={pins[name][0]} is outside setup.cfg's {requirement.specifier}: regenerate the lock")


def test_every_pin_carries_hashes_and_nothing_else_is_named():
    pins = locked()
    assert pins and all(hashes for _, hashes in pins.values())
    assert not re.search(r"^--(find-links|index-url|extra-index-url)", LOCK.read_text(), re.MULTILINE)
