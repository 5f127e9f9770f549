"""Photos attached to requests: checked to be real images of a bounded size, turned upright,
shrunk to a sensible size and re-encoded, so that no metadata (a phone's GPS position, its
serial number) is kept."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_SIDE = 2560
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


@dataclass(frozen=True)
class PhotoUpload:
    filename: str
    content: ContentFile
    content_type: str
    size: int
    digest: str


def photo_from_bytes(data: bytes, *, name: str = "photo") -> PhotoUpload:
    """A checked, cleaned photo, or ValidationError naming what is wrong with it."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(
            {
                "photos": _("“%(name)s” is %(size)s MB; a photo may be at most %(max)s MB.")
                % {
                    "name": name,
                    "size": f"{len(data) / 1024 / 1024:.1f}",
                    "max": MAX_PHOTO_BYTES // 1024 // 1024,
                }
            },
            code="too_large",
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image: Image.Image = Image.open(io.BytesIO(data))
        kind = image.format or ""
        if kind not in FORMATS:
            raise UnidentifiedImageError(kind)
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            {"photos": _("“%(name)s” is not a JPEG, PNG or WebP photo.") % {"name": name}},
            code="not_image",
        ) from None
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if kind == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format=kind, **({"quality": 85} if kind in ("JPEG", "WEBP") else {}))
    cleaned = out.getvalue()
    content_type, suffix = FORMATS[kind]
    digest = hashlib.sha256(cleaned).hexdigest()
    return PhotoUpload(
        filename=f"{digest[:16]}.{suffix}",
        content=ContentFile(cleaned),
        content_type=content_type,
        size=len(cleaned),
        digest=digest,
    )
