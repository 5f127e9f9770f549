"""Photos attached to requests: real JPEG, PNG and WebP are accepted and re-encoded without
their metadata; anything else is refused with a message that says why."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, PngImagePlugin

from wudian.conftest import City, image_bytes, snapshot, stored_files
from wudian.core.photos import MAX_PHOTO_BYTES, MAX_SIDE, photo_from_bytes
from wudian.workorders.models import WorkOrder, WorkOrderPhoto
from wudian.workorders.services import intake, steps, workorder_add_photos
from wudian.workorders.tests.conftest import FILED

pytestmark = pytest.mark.usefixtures("media")

GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (32.0, 56.0, 30.0)
    gps[3] = "E"
    gps[4] = (117.0, 23.0, 15.0)
    return exif


def reopened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def refusal(data: bytes, name: str = "x.jpg") -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        photo_from_bytes(data, name=name)
    return caught.value


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims the given size: only the header is needed to be refused."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("fmt", "content_type", "suffix"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_a_real_photo_is_accepted_and_re_encoded_without_its_gps_position(
    fmt: str, content_type: str, suffix: str
) -> None:
    original = image_bytes(fmt, size=(64, 48), exif=exif_with_gps())
    assert reopened(original).getexif().get_ifd(GPS_IFD)  # the phone's position is there

    cleaned = photo_from_bytes(original, name=f"IMG_0001.{suffix}")

    data = cleaned.content.read()
    image = reopened(data)
    assert image.format == fmt
    assert image.size == (64, 48)
    assert not image.getexif()
    assert "exif" not in image.info
    assert b"PhoneMaker" not in data
    assert (cleaned.content_type, cleaned.size) == (content_type, len(data))
    assert cleaned.filename == f"{cleaned.digest[:16]}.{suffix}"


def test_other_metadata_is_dropped_too() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "张三 13800000001")
    png = image_bytes("PNG", pnginfo=text)
    jpeg = image_bytes("JPEG", comment=b"owner: zhang san", xmp=b"<x:xmpmeta>secret</x:xmpmeta>")

    for original in (png, jpeg):
        data = photo_from_bytes(original).content.read()
        image = reopened(data)
        assert not {"Comment", "comment", "xmp", "XML:com.adobe.xmp"} & set(image.info)
        assert b"13800000001" not in data
        assert b"zhang san" not in data
        assert b"secret" not in data


def test_a_photo_taken_sideways_is_turned_upright() -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # rotate 90° clockwise to view
    original = image_bytes("JPEG", size=(80, 40), exif=exif)

    image = reopened(photo_from_bytes(original).content.read())

    assert image.size == (40, 80)
    assert not image.getexif()


def test_a_large_photo_is_shrunk() -> None:
    original = image_bytes("JPEG", size=(MAX_SIDE * 2, MAX_SIDE))

    image = reopened(photo_from_bytes(original).content.read())

    assert image.size == (MAX_SIDE, MAX_SIDE // 2)


def test_a_transparent_png_keeps_its_transparency() -> None:
    transparent = image_bytes("PNG", color=(0, 0, 0, 0), size=(10, 10))

    cleaned = reopened(photo_from_bytes(transparent).content.read())

    assert cleaned.mode == "RGBA"
    assert cleaned.getpixel((0, 0))[3] == 0  # type: ignore[index]


NOT_A_PHOTO = "“%(name)s” is not a JPEG, PNG or WebP photo."
DAMAGED = "“%(name)s” is damaged or incomplete: please send the photo again."
TOO_MANY_PIXELS = "“%(name)s” has too many pixels; a photo may have at most %(max)s million."


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"just some text, not a picture", "notes.txt"),
        (b"%PDF-1.4\n1 0 obj<<>>endobj\n", "bill.pdf"),
        (image_bytes("GIF", size=(64, 48)), "anim.gif"),
        (image_bytes("BMP", size=(64, 48)), "scan.bmp"),
        (b"", "empty.jpg"),
    ],
)
def test_what_is_not_a_photo_is_refused(data: bytes, name: str) -> None:
    error = refusal(data, name)

    assert error.error_dict["photos"][0].code == "not_image"
    assert error.message_dict["photos"] == [_(NOT_A_PHOTO) % {"name": name}]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_truncated_photo_is_refused_as_damaged(fmt: str) -> None:
    quality: dict[str, Any] = {"quality": 95} if fmt != "PNG" else {}
    whole = image_bytes(fmt, size=(400, 300), **quality)
    cut = whole[: len(whole) // 2]

    error = refusal(cut, f"half.{fmt.lower()}")

    assert error.error_dict["photos"][0].code in {"damaged", "not_image"}
    assert "half." in error.message_dict["photos"][0]


def test_a_truncated_jpeg_says_it_is_damaged() -> None:
    whole = image_bytes("JPEG", size=(400, 300), quality=95)

    error = refusal(whole[: len(whole) // 2], "half.jpg")

    assert error.error_dict["photos"][0].code == "damaged"
    assert error.message_dict["photos"] == [_(DAMAGED) % {"name": "half.jpg"}]


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8000, 8000),  # 64 megapixels: Pillow would decode it, we do not
        (20000, 20000),  # 400 megapixels: Pillow's own bomb limit
    ],
)
def test_a_decompression_bomb_is_refused_before_it_is_decoded(width: int, height: int) -> None:
    error = refusal(png_header(width, height), "bomb.png")

    assert error.error_dict["photos"][0].code == "too_many_pixels"
    assert error.message_dict["photos"] == [_(TOO_MANY_PIXELS) % {"name": "bomb.png", "max": 50}]


def test_a_file_over_five_megabytes_is_refused() -> None:
    error = refusal(b"\xff\xd8" + b"\0" * MAX_PHOTO_BYTES, "huge.jpg")

    assert error.error_dict["photos"][0].code == "too_large"
    assert "huge.jpg" in error.message_dict["photos"][0]
    assert "5 MB" in error.message_dict["photos"][0]


def test_photos_are_stored_cleaned_with_the_request(city: City, file_request: Any) -> None:
    upload = photo_from_bytes(image_bytes("JPEG", exif=exif_with_gps()), name="IMG_0001.jpg")

    wo = file_request(photos=[upload])

    item = WorkOrderPhoto.objects.get(workorder=wo)
    stored = item.image.read()
    upload.content.seek(0)
    assert stored == upload.content.read()
    assert not reopened(stored).getexif()
    assert (item.content_type, item.size, item.uploaded_by) == (
        "image/jpeg",
        len(stored),
        city.resident,
    )


def test_a_seventh_photo_is_refused_and_none_is_added(city: City, file_request: Any) -> None:
    uploads = [photo_from_bytes(image_bytes("PNG", size=(8 + n, 8))) for n in range(7)]
    wo = file_request(photos=uploads[:5])

    with pytest.raises(ValidationError) as caught:
        workorder_add_photos(workorder=wo, by=city.resident, photos=uploads[5:])

    assert caught.value.error_dict["photos"][0].code == "too_many"
    assert WorkOrderPhoto.objects.filter(workorder=wo).count() == 5
    assert WorkOrder.objects.get(pk=wo.pk).updated_at == wo.updated_at
    workorder_add_photos(workorder=wo, by=city.electrician, photos=uploads[5:6])
    assert WorkOrderPhoto.objects.filter(workorder=wo).count() == 6


def test_a_filing_that_fails_leaves_no_photo_file_behind(
    city: City, file_request: Any, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the timeline could not be written")

    monkeypatch.setattr(intake, "record", broken)
    uploads = [photo_from_bytes(image_bytes("JPEG")), photo_from_bytes(image_bytes("PNG"))]

    before = snapshot(*FILED)

    with pytest.raises(RuntimeError):
        file_request(photos=uploads)

    assert snapshot(*FILED) == before
    assert stored_files(media) == []


def test_photos_added_together_are_all_kept_or_all_removed(
    city: City, file_request: Any, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wo = file_request(photos=[photo_from_bytes(image_bytes("JPEG"))])
    kept = stored_files(media)
    attach = steps.attach
    calls = [0]

    def second_fails(*args: Any, **kwargs: Any) -> WorkOrderPhoto:
        calls[0] += 1
        if calls[0] == 2:
            raise OSError("disk full")
        return attach(*args, **kwargs)

    monkeypatch.setattr(steps, "attach", second_fails)
    uploads = [photo_from_bytes(image_bytes("PNG", size=(8 + n, 8))) for n in range(2)]

    with pytest.raises(OSError, match="disk full"):
        workorder_add_photos(workorder=wo, by=city.resident, photos=uploads)

    assert WorkOrderPhoto.objects.filter(workorder=wo).count() == 1
    assert stored_files(media) == kept
