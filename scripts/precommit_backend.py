"""The build backend (PEP 517) of the pre-commit hook's package, which
pyproject.toml names: `pip install .` of this repository builds a wheel
holding no file, only metadata that requires the djintegrity wheel of the
version pyproject.toml pins. It needs nothing to be installed first (no
setuptools), so pre-commit sets the hook up with one download, the
djintegrity wheel, and a test can do it with no network at all.
"""

import re
import tarfile
import io
from pathlib import Path

from wheelfile import metadata, write_wheel

ROOT = Path(__file__).resolve().parent.parent


def _project() -> tuple:
    """Name, version and the djintegrity pin of pyproject.toml's [project]
    (read with a pattern: tomllib is Python 3.11 or later)."""
    text = (ROOT / "pyproject.toml").read_text()
    name = re.search(r'^name = "([^"]+)"$', text, re.M)
    version = re.search(r'^version = "([^"]+)"$', text, re.M)
    pin = re.search(r'^dependencies = \["djintegrity==([^"]+)"\]$', text, re.M)
    if not (name and version and pin):
        raise RuntimeError("pyproject.toml: [project] needs name, version and dependencies = [\"djintegrity==VERSION\"]")
    if pin.group(1) != version.group(1):
        raise RuntimeError(f"pyproject.toml: version {version.group(1)} pins djintegrity=={pin.group(1)}: make them equal")
    return name.group(1), version.group(1), pin.group(1)


def _metadata() -> bytes:
    name, version, pin = _project()
    return metadata(
        name,
        version,
        [
            ("Summary", "The pre-commit hook of djintegrity: installs the djintegrity wheel"),
            ("Requires-Python", ">=3.8"),
            ("Requires-Dist", f"djintegrity=={pin}"),
        ],
    )


def _dist_name() -> str:
    return _project()[0].replace("-", "_")


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _, version, _ = _project()
    return write_wheel(Path(wheel_directory), _dist_name(), version, ["any"], [], _metadata()).name


def build_sdist(sdist_directory, config_settings=None):
    _, version, _ = _project()
    base = f"{_dist_name()}-{version}"
    path = Path(sdist_directory) / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        members = [("PKG-INFO", _metadata())]
        for rel in ("pyproject.toml", "scripts/precommit_backend.py", "scripts/wheelfile.py"):
            members.append((rel, (ROOT / rel).read_bytes()))
        for rel, data in members:
            info = tarfile.TarInfo(f"{base}/{rel}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return path.name
