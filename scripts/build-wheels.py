#!/usr/bin/env python3
"""Builds the djintegrity wheels from the release executables.

    python3 scripts/build-wheels.py VERSION DIR        e.g. v0.1.0 dist/release

For each executable DIR/djintegrity-OS-ARCH[.exe] that scripts/release.sh
built, writes DIR/djintegrity-VERSION-py3-none-PLATFORM.whl: a wheel that
installs the executable itself as the `djintegrity` command (into the
environment's bin/ or Scripts/, as the wheels of ruff and squawk-cli do),
and a small `djintegrity` module so that `python -m djintegrity` runs it
too (scripts/wheelfile.py writes the zip: standard library only, no
network, and the same input always gives the same bytes).
"""

import re
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # leave no __pycache__ in scripts/
sys.path.insert(0, str(Path(__file__).resolve().parent))
from wheelfile import metadata, write_wheel  # noqa: E402

NAME = "djintegrity"
SUMMARY = "Reviews Django changes for the causes of IntegrityError"
URL = "https://github.com/djintegrity/djintegrity"

# The executables are static, so they need no particular libc: each Linux
# wheel says it runs on glibc 2.17 or later and on musl (Alpine).
PLATFORMS = {
    "linux-amd64": ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "musllinux_1_1_x86_64"],
    "linux-arm64": ["manylinux_2_17_aarch64", "manylinux2014_aarch64", "musllinux_1_1_aarch64"],
    "windows-amd64": ["win_amd64"],
}

DESCRIPTION = f"""\
# djintegrity

djintegrity reviews a change to a Django project for the causes of
`django.db.utils.IntegrityError`: migrations that fail on a table that
already has rows, model changes with no migration, foreign keys the database
will refuse, and views that race, write a unique field with no handler or
trust an id from the URL. It reports only on the lines the change touches
and reads source text; it never imports or runs the project.

This wheel holds the `djintegrity` executable for one platform:

```sh
pip install djintegrity
djintegrity check                # the branch against its merge-base with main
djintegrity check --staged       # what `git commit` would commit
```

Documentation, the GitHub App, the GitHub Action and the pre-commit hook:
{URL}
"""

INIT = '''\
"""djintegrity reviews Django changes for the causes of IntegrityError.

The wheel installs the djintegrity executable as a command; this module
only finds it (``python -m djintegrity`` runs it).
"""

import os
import sys
import sysconfig


def find_djintegrity_bin() -> str:
    """Return the path of the djintegrity executable this wheel installed."""
    exe = "djintegrity" + (sysconfig.get_config_var("EXE") or "")
    dirs = [sysconfig.get_path("scripts")]
    try:  # pip install --user
        dirs.append(sysconfig.get_path("scripts", scheme=f"{os.name}_user"))
    except KeyError:
        pass
    for d in dirs:
        path = os.path.join(d, exe)
        if os.path.isfile(path):
            return path
    # pip install --target DIR puts the package in DIR and the command in DIR/bin.
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "bin", exe)
    if os.path.isfile(path):
        return path
    raise FileNotFoundError(f"{exe} is not installed next to this Python ({sys.prefix})")
'''

MAIN = '''\
import os
import subprocess
import sys

from djintegrity import find_djintegrity_bin


def main() -> None:
    exe = find_djintegrity_bin()
    if sys.platform == "win32":
        sys.exit(subprocess.call([exe, *sys.argv[1:]]))
    os.execv(exe, [exe, *sys.argv[1:]])


if __name__ == "__main__":
    main()
'''


def pep440(tag: str) -> str:
    """The wheel's version for a release tag: v1.2.3 -> 1.2.3,
    v1.2.3-rc.1 -> 1.2.3rc1, v1.2.3-beta2 -> 1.2.3b2."""
    m = re.fullmatch(r"v?(\d+(?:\.\d+)*)(?:[-.]?(a|alpha|b|beta|rc)[-.]?(\d+))?(?:[-.]?(dev)[-.]?(\d+))?", tag)
    if not m:
        raise SystemExit(f"build-wheels: {tag!r} is not a release version (v1.2.3, v1.2.3-rc.1, v1.2.3-dev.1)")
    version = m.group(1)
    if m.group(2):
        version += {"alpha": "a", "beta": "b"}.get(m.group(2), m.group(2)) + m.group(3)
    if m.group(4):
        version += ".dev" + m.group(5)
    return version


def build_wheel(exe: Path, platform: str, version: str, out: Path) -> Path:
    command = NAME + (".exe" if exe.suffix == ".exe" else "")
    files = [
        (f"{NAME}/__init__.py", INIT.encode(), 0o644),
        (f"{NAME}/__main__.py", MAIN.encode(), 0o644),
        (f"{NAME}-{version}.data/scripts/{command}", exe.read_bytes(), 0o755),
    ]
    meta = metadata(
        NAME,
        version,
        [
            ("Summary", SUMMARY),
            ("Home-page", URL),
            ("Project-URL", f"Source, {URL}"),
            ("Requires-Python", ">=3.8"),
            ("Classifier", "Framework :: Django"),
            ("Classifier", "Topic :: Software Development :: Quality Assurance"),
            ("Description-Content-Type", "text/markdown"),
        ],
        DESCRIPTION,
    )
    return write_wheel(out, NAME, version, PLATFORMS[platform], files, meta)


def main(argv: list) -> None:
    if len(argv) != 3:
        raise SystemExit("usage: python3 scripts/build-wheels.py VERSION DIR")
    version, out = pep440(argv[1]), Path(argv[2])
    built = 0
    for platform in PLATFORMS:
        for exe in (out / f"{NAME}-{platform}", out / f"{NAME}-{platform}.exe"):
            if exe.is_file():
                wheel = build_wheel(exe, platform, version, out)
                print(f"build-wheels: {wheel} ({wheel.stat().st_size} bytes)")
                built += 1
    if not built:
        raise SystemExit(f"build-wheels: no executable djintegrity-OS-ARCH in {out}: run scripts/release.sh first")


if __name__ == "__main__":
    main(sys.argv)
