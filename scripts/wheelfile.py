"""Writes a wheel: a zip holding the files and the three metadata files of
PEP 427 (METADATA, WHEEL, RECORD). Shared by scripts/build-wheels.py (the
djintegrity wheels) and scripts/precommit_backend.py (the pre-commit hook's
package); only Python's standard library, and the same input always gives
the same bytes.
"""

import base64
import hashlib
import zipfile
from pathlib import Path

# A fixed time for every zip entry: the wheel depends only on its content.
EPOCH = (1980, 1, 1, 0, 0, 0)


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def metadata(name: str, version: str, fields: list, description: str = "") -> bytes:
    """METADATA (core metadata 2.1): fields are (key, value) pairs after
    Name and Version; the description is the body."""
    head = [("Metadata-Version", "2.1"), ("Name", name), ("Version", version), *fields]
    text = "".join(f"{k}: {v}\n" for k, v in head)
    if description:
        text += "\n" + description
    return text.encode()


def write_wheel(out: Path, name: str, version: str, platforms: list, files: list, meta: bytes) -> Path:
    """Writes OUT/NAME-VERSION-py3-none-PLATFORMS.whl holding files, a list
    of (path, bytes, mode), and the metadata; returns its path. A pure
    Python wheel has the one platform "any"."""
    wheel = out / f"{name}-{version}-py3-none-{'.'.join(platforms)}.whl"
    dist_info = f"{name}-{version}.dist-info"
    wheel_file = (
        "Wheel-Version: 1.0\n"
        "Generator: djintegrity scripts/wheelfile.py\n"
        f"Root-Is-Purelib: {'true' if platforms == ['any'] else 'false'}\n"
        + "".join(f"Tag: py3-none-{p}\n" for p in platforms)
    )
    files = [*files, (f"{dist_info}/METADATA", meta, 0o644), (f"{dist_info}/WHEEL", wheel_file.encode(), 0o644)]
    record = "".join(f"{p},{record_hash(data)},{len(data)}\n" for p, data, _ in files)
    files.append((f"{dist_info}/RECORD", (record + f"{dist_info}/RECORD,,\n").encode(), 0o644))

    tmp = wheel.with_name(wheel.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path, data, mode in files:
            info = zipfile.ZipInfo(path, EPOCH)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    tmp.replace(wheel)
    return wheel
