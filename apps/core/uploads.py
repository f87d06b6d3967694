"""Uploaded files: a safe stored name, and whether the content is what the name says.

The name is cleaned and cut to length *before* its extension is checked, so the extension that
was checked is the one that is stored (cutting ``"a" * 145 + ".html.txt"`` afterwards would store
a ``.html``). The content must then start the way files of that type start, so a page renamed
``.pdf`` is refused too. Downloads are served as attachments with ``nosniff`` and the type of
the checked extension, never the type the client claimed.
"""

from __future__ import annotations

import codecs
import os

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import get_valid_filename

MAX_NAME_LENGTH = 150
MAX_EXTENSION_LENGTH = 10
SNIFF_BYTES = 4096

# How files of each allowed type begin. A type configured but not listed here is checked by its
# name only.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "pptx": (b"PK\x03\x04",),
    "odt": (b"PK\x03\x04",),
    "zip": (b"PK\x03\x04",),
    "doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "ppt": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
}
TEXT_TYPES = frozenset(["txt", "csv", "md"])


def clean_upload_name(name: str | None) -> str:
    """A storable file name of at most MAX_NAME_LENGTH characters that keeps its extension."""
    try:
        base = get_valid_filename(os.path.basename((name or "").replace("\\", "/")) or "file")
    except SuspiciousFileOperation:  # "..", "." and the like
        base = "file"
    stem, extension = os.path.splitext(base)
    extension = extension.lower()[: MAX_EXTENSION_LENGTH + 1]
    stem = stem[: MAX_NAME_LENGTH - len(extension)] or "file"
    return f"{stem}{extension}"


def extension_of(name: str) -> str:
    return os.path.splitext(name)[1].lower().lstrip(".")


def _head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode()


def content_matches_extension(upload: UploadedFile, extension: str) -> bool:
    head = _head(upload)
    if extension in TEXT_TYPES:
        if b"\x00" in head:
            return False
        try:
            # Incremental: the sample may end in the middle of a multi-byte character.
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError:
            return False
        return True
    signatures = SIGNATURES.get(extension)
    if signatures is None:
        return True
    return head.startswith(signatures)
