"""A runtime bundle's dependency lock: edge-avatar's declared requirements, followed through their own,
pinned to what the admin tested with — and the kiosk's check of it.

Both sides walk the same graph, each in its own environment: from the project's ``Requires-Dist``
(its wheel's metadata: the pyproject ``dependencies``) through every installed distribution's
``importlib.metadata`` requirements, honouring markers (``python_version``, ``platform_machine``, …,
and ``extra`` for a requirement with extras). So an arm64 kiosk is not asked for what only an x86
admin needs, and whatever else either environment holds (dev tools, extras, other programs) is not
part of the lock.

- ``build_lock(requirements)`` (the admin): ``name==version`` of each distribution reached, sorted;
  a declared requirement not installed here is an error (the version was not tested with it).
- ``check_lock(lock_text, requirements)`` (the kiosk, inside the new slot): each distribution the
  walk reaches there must be installed, at the locked version when the lock names it; problems come
  back naming the package. A locked package the kiosk's walk does not reach is not checked.

This file is also run as a script by the slot's Python (``python -c`` with its source: the
installer's code, never the slot's); it imports only the standard library and ``packaging``.
"""

from __future__ import annotations

import importlib.metadata as md
import re
import sys

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

HEADER = ("# edge-avatar's declared dependencies, followed through their requirements (markers honoured),\n"
          "# at the versions of the environment that built this bundle; nothing else is checked\n")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _applies(req: Requirement, extras: frozenset[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({"extra": e}) for e in (extras or {""}))


def walk(requirements: list[str], installed: dict[str, md.Distribution] | None = None
         ) -> tuple[dict[str, str | None], list[str]]:
    """(normalised name -> installed version, or None when missing; requirement lines that do not
    parse). Follows each reached distribution's requirements with the extras asked of it."""
    if installed is None:
        installed = {normalise(d.metadata["Name"]): d for d in md.distributions() if d.metadata["Name"]}
    reached: dict[str, str | None] = {}
    asked: dict[str, frozenset[str]] = {}
    bad: list[str] = []
    todo = [(line, frozenset()) for line in requirements]
    while todo:
        line, extras = todo.pop()
        try:
            req = Requirement(line)
        except InvalidRequirement as err:
            bad.append(f"{line!r} ({err})")
            continue
        if not _applies(req, extras):
            continue
        name = normalise(req.name)
        want = asked.get(name, frozenset()) | frozenset(req.extras)
        if name in reached and want == asked.get(name):
            continue
        asked[name] = want
        dist = installed.get(name)
        reached[name] = dist.version if dist is not None else None
        if dist is not None:
            todo += [(r, want) for r in (dist.requires or [])]
    return reached, bad


def build_lock(requirements: list[str], installed: dict[str, md.Distribution] | None = None) -> str:
    """The lock text for these declared requirements, from this environment (or `installed`)."""
    reached, bad = walk(requirements, installed)
    missing = sorted(n for n, v in reached.items() if v is None)
    if bad or missing:
        raise ValueError("the dependency lock: " + "; ".join(
            [f"requirement {b} does not parse" for b in bad] +
            [f"{n} is required but not installed here (install the project's dependencies first)" for n in missing]))
    return HEADER + "".join(f"{n}=={v}\n" for n, v in sorted(reached.items()))


def read_lock(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[normalise(name.strip())] = version.strip()
    return pins


def _same(pinned: str, have: str) -> bool:
    """PEP 440 equality (a local build label such as +cpu on the kiosk's side is the same release)."""
    try:
        return SpecifierSet(f"=={pinned}").contains(have, prereleases=True)
    except InvalidSpecifier:
        return pinned == have


def check_lock(text: str, requirements: list[str], installed: dict[str, md.Distribution] | None = None
               ) -> list[str]:
    """What in this environment (or `installed`) does not meet the lock, each naming its package
    (empty: it does)."""
    pins = read_lock(text)
    reached, bad = walk(requirements, installed)
    problems = [f"requirement {b} does not parse" for b in bad]
    for name, have in sorted(reached.items()):
        if have is None:
            problems.append(f"{name}{'==' + pins[name] if name in pins else ''} (here: missing)")
        elif name in pins and not _same(pins[name], have):
            problems.append(f"{name}=={pins[name]} (here: {have})")
    return problems


def project_requirements(project: str = "edge-avatar") -> list[str]:
    """The installed project's declared requirements (its Requires-Dist)."""
    return list(md.distribution(project).requires or [])


def _main(argv: list[str]) -> int:
    """``python -c SOURCE LOCK_FILE``: check the lock in this environment against the installed
    edge-avatar's requirements; the problems on stdout, exit 1 when there are any."""
    with open(argv[0], encoding="utf-8") as f:
        problems = check_lock(f.read(), project_requirements())
    print("; ".join(problems[:5]) + (f" and {len(problems) - 5} more" if len(problems) > 5 else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
