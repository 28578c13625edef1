"""The file types evidence may carry, decided from the first bytes of the content.

Never from the file's name or the type the client claims: a ``.pdf`` holding HTML, or
an SVG (which may carry scripts), starts with none of these signatures and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD_BYTES = 16  # enough to read every signature below


@dataclass(frozen=True)
class FileType:
    """A type we accept: its name for people, its media type and its file extensions."""

    name: str
    media_type: str
    extensions: tuple[str, ...]

    def matches(self, head: bytes) -> bool:
        """Whether content starting with ``head`` is of this type."""
        if self.media_type == "application/pdf":
            return head.startswith(b"%PDF-")
        if self.media_type == "image/png":
            return head.startswith(b"\x89PNG\r\n\x1a\n")
        if self.media_type == "image/jpeg":
            return head.startswith(b"\xff\xd8\xff")
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"  # RIFF, size, WEBP


PDF = FileType("PDF", "application/pdf", (".pdf",))
PNG = FileType("PNG", "image/png", (".png",))
JPEG = FileType("JPEG", "image/jpeg", (".jpg", ".jpeg"))
WEBP = FileType("WebP", "image/webp", (".webp",))
ACCEPTED = (PDF, PNG, JPEG, WEBP)
BY_MEDIA_TYPE = {file_type.media_type: file_type for file_type in ACCEPTED}
ACCEPTED_NAMES = ", ".join(t.name for t in ACCEPTED[:-1]) + f" or {ACCEPTED[-1].name}"
# For the file picker only (it filters what it offers); the content decides.
ACCEPT_ATTRIBUTE = ",".join([*BY_MEDIA_TYPE, *(e for t in ACCEPTED for e in t.extensions)])


def detect(head: bytes) -> FileType | None:
    """The accepted type content starting with ``head`` is, or None."""
    return next((file_type for file_type in ACCEPTED if file_type.matches(head)), None)
