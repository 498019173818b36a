"""The pinned installs' lock (requirements/constraints.txt, made by pip-compile from
setup.cfg): stamp it with a digest of setup.cfg's requirements, or check it is current.

    python scripts/lock.py --stamp   # after pip-compile (make lock does both)
    python scripts/lock.py --check   # CI: offline, a few milliseconds

Current means: made from today's requirements (the digest matches) and pinning every
requirement, at a version its specifier allows.
"""

from __future__ import annotations

import argparse
import configparser
import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUP_CFG = ROOT / "setup.cfg"
LOCK = ROOT / "requirements" / "constraints.txt"
STAMP = "# setup.cfg requirements sha256: "
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.MULTILINE)


def requirements(setup_cfg: Path = SETUP_CFG) -> list[str]:
    """install_requires, every extra's requirements and python_requires, as written."""
    config = configparser.ConfigParser()
    config.read(setup_cfg)
    lines = [f"python_requires {config.get('options', 'python_requires', fallback='')}"]
    lines += _lines(config.get("options", "install_requires", fallback=""))
    if config.has_section("options.extras_require"):
        for extra, value in sorted(config.items("options.extras_require")):
            lines += [f"[{extra}] {line}" for line in _lines(value)]
    return lines


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def digest(setup_cfg: Path = SETUP_CFG) -> str:
    return hashlib.sha256("\n".join(requirements(setup_cfg)).encode()).hexdigest()


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def stamp(setup_cfg: Path = SETUP_CFG, lock: Path = LOCK) -> None:
    """Put the digest of setup.cfg's requirements on the lock's first line."""
    lines = [line for line in lock.read_text().splitlines() if not line.startswith(STAMP)]
    lock.write_text("\n".join([STAMP + digest(setup_cfg), *lines]) + "\n")


def problems(setup_cfg: Path = SETUP_CFG, lock: Path = LOCK) -> list[str]:
    """Why the lock is not current (empty: it is)."""
    if not lock.exists():
        return [f"{lock.name} is missing: run make lock"]
    text = lock.read_text()
    found = [line for line in text.splitlines() if line.startswith(STAMP)]
    found_digest = found[0].removeprefix(STAMP).strip() if found else None
    issues = []
    if found_digest != digest(setup_cfg):
        issues.append("setup.cfg's requirements changed since the lock was made: run make lock")
    pins = {canonical(name): version for name, version in _PIN.findall(text)}
    for line in requirements(setup_cfg)[1:]:
        requirement = line.split("] ", 1)[-1]
        name = canonical(_NAME.match(requirement).group(1))
        if name not in pins:
            issues.append(f"{name} is not pinned in {lock.name}: run make lock")
        elif not _allows(requirement, pins[name]):
            issues.append(f"{name}=={pins[name]} is outside {requirement}: run make lock")
    return issues


def _allows(requirement: str, version: str) -> bool:
    try:
        from packaging.requirements import Requirement
    except ImportError:  # no packaging here: the digest check has to do
        return True
    return Requirement(requirement).specifier.contains(version, prereleases=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--stamp", action="store_true")
    action.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.stamp:
        stamp()
        return 0
    issues = problems()
    for issue in issues:
        print(f"lock: {issue}", file=sys.stderr)
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())
