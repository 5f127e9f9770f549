"""Photos people upload (to a request, an article, a circle): checked to be real images of a
bounded size, turned upright, shrunk to a sensible size and re-encoded from their pixels alone,
so that no metadata (a phone's GPS position, its serial number, an XMP packet, a comment) is
kept."""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# A phone photo is 12–50 megapixels; more, in a file under 5 MB, is a decompression bomb.
MAX_PIXELS = 50_000_000
MAX_SIDE = 2560
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
# What the re-encoded file keeps of the original's info: how it is drawn, nothing about
# where, when or with what it was taken.
KEPT_INFO = ("transparency", "icc_profile")


@dataclass(frozen=True)
class PhotoUpload:
    filename: str
    content: ContentFile
    content_type: str
    size: int
    digest: str


Stored = TypeVar("Stored", bound=models.Model)


def photo_store(item: Stored, photo: PhotoUpload) -> Stored:
    """Writes the photo's file and then its row. `item` is an unsaved row of a photo model
    (an `image` file field, `digest`, `content_type` and `size`) with its other fields set."""
    row: Any = item
    row.digest, row.content_type, row.size = photo.digest, photo.content_type, photo.size
    row.image.save(photo.filename, photo.content, save=False)
    item.save()
    return item


@contextmanager
def photos_removed_on_failure() -> Iterator[list[Any]]:
    """Collects the photo rows stored in the block. Their files are written to storage at
    once, outside the transaction; if the block fails, the rolled-back rows no longer name
    them, so they are deleted again. Enter it outside the block's transaction, so that the
    rollback has happened by then."""
    attached: list[Any] = []
    try:
        yield attached
    except BaseException:
        for item in attached:
            item.image.delete(save=False)
        raise


def _refusal(message: str, code: str) -> ValidationError:
    return ValidationError({"photos": ValidationError(message, code=code)})


def _decode(data: bytes, *, name: str) -> Image.Image:
    """The image's pixels, fully decoded, or a refusal that says why."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its two bomb limits; ours is stricter, checked below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except Image.DecompressionBombError:
        raise _too_many_pixels(name) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise _refusal(
            _("“%(name)s” is not a JPEG, PNG or WebP photo.") % {"name": name}, "not_image"
        ) from None
    if image.width * image.height > MAX_PIXELS:
        raise _too_many_pixels(name)
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
            probe.verify()
        # WeasyPrint switches Pillow to accepting truncated images when it is imported; a
        # photo that stops half way must still be refused here.
        truncated_ok, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        try:
            image.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok
    except (OSError, ValueError, SyntaxError):
        raise _refusal(
            _("“%(name)s” is damaged or incomplete: please send the photo again.") % {"name": name},
            "damaged",
        ) from None
    return image


def _too_many_pixels(name: str) -> ValidationError:
    return _refusal(
        _("“%(name)s” has too many pixels; a photo may have at most %(max)s million.")
        % {"name": name, "max": MAX_PIXELS // 1_000_000},
        "too_many_pixels",
    )


def photo_from_bytes(data: bytes, *, name: str = "photo") -> PhotoUpload:
    """A checked, cleaned photo, or ValidationError naming what is wrong with it."""
    if len(data) > MAX_PHOTO_BYTES:
        raise _refusal(
            _("“%(name)s” is %(size)s MB; a photo may be at most %(max)s MB.")
            % {
                "name": name,
                "size": f"{len(data) / 1024 / 1024:.1f}",
                "max": MAX_PHOTO_BYTES // 1024 // 1024,
            },
            "too_large",
        )
    image = _decode(data, name=name)
    kind = image.format or ""
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if kind == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.info = {key: image.info[key] for key in KEPT_INFO if key in image.info}
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
