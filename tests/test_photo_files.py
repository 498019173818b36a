"""catalog/photos.py without HTTP: the file store, sniffing, and how scales are made."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image, ImageFile

from tests import images
from xmlapi.catalog import photo_store
from xmlapi.catalog import scales as photo_scales
from xmlapi.catalog.errors import DecoderBusy, ImageTooLarge, UnsupportedImage


@pytest.fixture
def store(tmp_path):
    return photo_store.FileSystemStore(root=tmp_path / "photos")


def names(store) -> set[tuple[str, bool]]:
    return {(entry.name, entry.pending) for entry in store.entries()}


def test_a_written_file_waits_under_its_temporary_name_until_published(store):
    written = store.write("ab/abc_512.jpg", [b"hello ", b"world"])
    assert (written.size, len(written.digest)) == (11, 64)
    assert names(store) == {("ab/abc_512.jpg", True)}
    store.publish(["ab/abc_512.jpg"])
    assert names(store) == {("ab/abc_512.jpg", False)}
    opened = store.open("ab/abc_512.jpg")
    with opened.stream:
        assert (opened.stream.read(), opened.size) == (b"hello world", 11)


def test_discard_removes_what_was_never_published(store):
    store.write("ab/abc_original.png", [b"x"])
    store.discard(["ab/abc_original.png"])
    assert names(store) == set()


def test_a_write_that_fails_midway_leaves_nothing(store):
    def chunks():
        yield b"part of it"
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        store.write("ab/abc_original.jpg", chunks())
    assert names(store) == set()


def test_opening_a_committed_but_unrenamed_file_finishes_the_rename(store):
    store.write("ab/abc_256.jpg", [b"bytes"])  # the process died before publish()
    opened = store.open("ab/abc_256.jpg")
    opened.stream.close()
    assert names(store) == {("ab/abc_256.jpg", False)}
    store.publish(["ab/abc_256.jpg"])  # the late publish of the same file is harmless
    with pytest.raises(FileNotFoundError):
        store.open("ab/gone_256.jpg")


def test_delete_removes_both_names_and_ignores_missing_files(store):
    store.write("ab/one.jpg", [b"1"])
    store.write("ab/two.jpg", [b"2"])
    store.publish(["ab/two.jpg"])
    store.delete(["ab/one.jpg", "ab/two.jpg", "ab/never.jpg"])
    assert names(store) == set()


@pytest.mark.parametrize("name", ["../outside.jpg", "/etc/passwd", "ab/../../x", ""])
def test_names_cannot_leave_the_store(store, name):
    with pytest.raises(ValueError):
        store.write(name, [b"x"])


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (images.jpeg(), "jpeg"),
        (images.png_with_alpha(), "png"),
        (images.gif(), "gif"),
        (images.webp(), "webp"),
        (images.encode(images.halves((8, 8)), "BMP"), None),
        (b"<product/>", None),
        (b"", None),
    ],
)
def test_the_bytes_decide_the_type(data, kind):
    assert photo_scales.sniff(data[:12]) == kind


def scales(data: bytes, kind: str, **options) -> photo_scales.Picture:
    return photo_scales.make_scales(io.BytesIO(data), kind, **options)


def test_scales_fit_their_box_keep_the_aspect_and_are_never_upscaled():
    picture = scales(images.jpeg((1000, 500)), "jpeg")
    assert [(s.size, s.width, s.height) for s in picture.scales] == [
        ("512", 512, 256),
        ("256", 256, 128),
    ]
    small = scales(images.jpeg((100, 30)), "jpeg")
    assert [(s.width, s.height) for s in small.scales] == [(100, 30), (100, 30)]


def test_a_bomb_is_refused_from_its_header_before_any_pixel_is_decoded(monkeypatch):
    def no_decoding(self):
        raise AssertionError("decoded a bomb")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(ImageTooLarge):
        scales(
            images.jpeg((40, 30)), "jpeg", limits=photo_scales.DecodeLimits(max_pixels=40 * 30 - 1)
        )
    with pytest.raises(ImageTooLarge):
        scales(images.jpeg_bomb(), "jpeg")  # Pillow's own limit refuses it first
    with pytest.raises(ImageTooLarge):
        scales(images.png_bomb(), "png")


def test_bytes_of_another_type_than_they_claim_are_refused():
    with pytest.raises(UnsupportedImage):
        scales(images.jpeg(), "png")


def test_cmyk_jpegs_become_rgb_scales():
    data = images.encode(Image.new("CMYK", (20, 10), (0, 255, 255, 0)), "JPEG")
    picture = scales(data, "jpeg")
    with Image.open(io.BytesIO(picture.scales[0].data)) as scale:
        assert (scale.format, scale.mode) == ("JPEG", "RGB")
        red, green, blue = scale.getpixel((5, 5))
        assert red > 200 and green < 60 and blue < 60


def test_sixteen_bit_and_greyscale_pngs_are_scaled():
    grey16 = images.encode(Image.new("I;16", (20, 10), 40000), "PNG")
    assert scales(grey16, "png").scales[0].format == "jpeg"
    grey_alpha = images.encode(Image.new("LA", (20, 10), (128, 0)), "PNG")
    assert scales(grey_alpha, "png").scales[0].format == "png"


def test_scales_keep_the_colour_profile():
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture = scales(images.jpeg(icc_profile=profile), "jpeg")
    with Image.open(io.BytesIO(picture.scales[1].data)) as scale:
        assert scale.info.get("icc_profile") == profile


def test_an_image_over_the_decode_byte_cap_is_refused_before_decoding(monkeypatch):
    def no_decoding(self):
        raise AssertionError("decoded an image over the cap")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    limits = photo_scales.DecodeLimits(max_bytes=30 * 20 * 4 - 1)
    with pytest.raises(ImageTooLarge, match="MB of memory"):
        scales(images.png_with_alpha((30, 20)), "png", limits=limits)
    with pytest.raises(ImageTooLarge):
        scales(images.rgba16_png(), "png")  # 88 MP RGBA: 353 MB against the default cap


def test_a_webp_counts_three_times_its_pixels():
    data = images.webp((30, 20))  # Pillow's decoder holds it three times while decoding
    assert scales(data, "webp", limits=photo_scales.DecodeLimits(max_bytes=30 * 20 * 4 * 3)).scales
    with pytest.raises(ImageTooLarge):
        scales(data, "webp", limits=photo_scales.DecodeLimits(max_bytes=30 * 20 * 4 * 3 - 1))


def test_a_jpeg_is_counted_at_its_reduced_decode_size():
    data = images.jpeg((4096, 2048))  # 33.5 MB whole; decoded at 1/4 for the 512 box
    picture = scales(data, "jpeg", limits=photo_scales.DecodeLimits(max_bytes=1024 * 512 * 4))
    assert (picture.width, picture.height) == (4096, 2048)
    with pytest.raises(ImageTooLarge):
        scales(data, "jpeg", limits=photo_scales.DecodeLimits(max_bytes=1024 * 512 * 4 - 1))


def test_no_slot_free_in_time_is_decoder_busy():
    slots = photo_scales.DecodeSlots(1, wait=0.01)
    with slots.held(), pytest.raises(DecoderBusy) as busy:
        scales(images.jpeg(), "jpeg", limits=photo_scales.DecodeLimits(slots=slots))
    assert busy.value.retry_after > 0
    assert scales(images.jpeg(), "jpeg", limits=photo_scales.DecodeLimits(slots=slots)).scales


SIXTY_FOUR = bytes(i % 64 for i in range(256))


@pytest.mark.parametrize("mode", ["RGBA", "RGB", "P", "LA", "L"])
def test_reducing_strip_by_strip_equals_reducing_whole(mode):
    size = (3001, 1103)  # strips of uneven count, and a last one cut short
    noise = random.Random(mode).randbytes(size[0] * size[1] * 4)  # the same every run
    if mode == "P":  # 64 colours in any order (quantizing noise would take seconds)
        image = Image.frombytes("P", size, noise[: size[0] * size[1]].translate(SIXTY_FOUR))
        image.putpalette(noise[: 64 * 3])
    else:
        image = Image.frombytes("RGBA", size, noise).convert(mode)
    reduced = photo_scales._reduced(image, 512)
    assert reduced.size == (1501, 552)  # halved: still no less than twice the box
    whole = photo_scales._scalable(image).reduce(2)
    assert (reduced.mode, reduced.tobytes()) == (whole.mode, whole.tobytes())


def test_sixteen_bit_greys_are_brought_down_to_eight_bits():
    with Image.open(io.BytesIO(images.grey16_gradient_png(600, 10))) as image:
        grey = photo_scales._scalable(image.crop((0, 0, 600, 10)))
    assert grey.mode == "L"
    assert [grey.getpixel((x, 5)) for x in (0, 150, 300, 599)] == [0, 64, 128, 255]
