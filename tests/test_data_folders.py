"""load_image_folder on folders of images the tests write: PNG and JPEG, grey and transparent images,
a corrupt file, a non-image file, empty and missing folders. Every problem must be a clear DataError."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from coursekit.data import DataError, ImageData, load_image_folder


def write_image(path, color, size=(40, 30), mode="RGB"):
    """A solid-colour image (``color`` as an RGB triple) saved in the format its suffix names."""
    image = Image.new("RGB", size, tuple(color))
    if mode != "RGB":
        image = image.convert(mode)
    image.save(path)


@pytest.fixture
def photo_folder(tmp_path):
    """red/ (3 PNG + a note), blue/ (2 JPEG, one grey PNG, one transparent PNG)."""
    (tmp_path / "red").mkdir()
    (tmp_path / "blue").mkdir()
    for i in range(3):
        write_image(tmp_path / "red" / f"r{i}.png", (250, 10, 10))
    (tmp_path / "red" / "notes.txt").write_text("not an image")
    write_image(tmp_path / "blue" / "b0.jpg", (10, 10, 240), size=(64, 48))
    write_image(tmp_path / "blue" / "b1.JPEG", (10, 10, 240), size=(20, 50))
    write_image(tmp_path / "blue" / "grey.png", (128, 128, 128), mode="L")
    write_image(tmp_path / "blue" / "clear.png", (10, 10, 240), mode="RGBA")
    return tmp_path


def test_loads_every_image_as_rgb_in_unit_range(photo_folder):
    photos = load_image_folder(photo_folder, size=16)
    assert photos.classes == ["blue", "red"]  # sorted folder names
    assert photos.x.shape == (7, 3, 16, 16) and photos.x.dtype == torch.float32
    assert photos.y.tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert 0.0 <= photos.x.min() and photos.x.max() <= 1.0
    red = photos.x[photos.y == 1].mean((0, 2, 3))
    assert red[0] > 0.9 and red[1] < 0.1 and red[2] < 0.1
    by_name = {p.name: photos.x[i] for i, p in enumerate(photos.paths)}
    assert torch.allclose(by_name["grey.png"], torch.full((3, 16, 16), 128 / 255), atol=1 / 255)
    assert by_name["b0.jpg"][2].mean() > 0.85  # JPEG is lossy: close to the blue it was saved with
    assert [p.name for p in photos.skipped] == ["notes.txt"]


def test_crop_keeps_the_centre_and_squash_keeps_everything(tmp_path):
    (tmp_path / "stripes").mkdir()
    wide = np.zeros((10, 30, 3), dtype=np.uint8)
    wide[:, 10:20] = 255  # white middle third, black sides
    Image.fromarray(wide).save(tmp_path / "stripes" / "wide.png")
    cropped = load_image_folder(tmp_path, size=10).x[0]
    squashed = load_image_folder(tmp_path, size=10, crop=False).x[0]
    assert cropped.mean() > 0.95  # the centre square is all white
    assert 0.25 < squashed.mean() < 0.45  # the whole width: about one third white


def test_limit_per_class_and_split(photo_folder):
    photos = load_image_folder(photo_folder, size=8, limit_per_class=2)
    assert torch.bincount(photos.y).tolist() == [2, 2]
    data = load_image_folder(photo_folder, size=8).split(test_fraction=0.3, seed=1)
    assert isinstance(data, ImageData)
    assert torch.bincount(data.y_test).tolist() == [1, 1]  # round(0.3 * 4) and round(0.3 * 3)
    assert len(data.x_train) == 5 and data.classes == ["blue", "red"]


def test_corrupt_images_are_named_with_what_to_do(photo_folder):
    (photo_folder / "red" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    (photo_folder / "blue" / "empty.png").write_bytes(b"")
    with pytest.raises(DataError) as error:
        load_image_folder(photo_folder, size=8)
    message = str(error.value)
    assert "broken.jpg" in message and "empty.png" in message and "2 of the 9" in message
    assert "re-save" in message and "delete" in message


def test_missing_or_empty_folders_say_what_to_do(tmp_path):
    with pytest.raises(DataError, match="is not a folder"):
        load_image_folder(tmp_path / "nowhere")
    write_image(tmp_path / "loose.png", (0, 0, 0))  # an image, but not in a class folder
    with pytest.raises(DataError, match="no subfolders.*subfolder named after"):
        load_image_folder(tmp_path)
    (tmp_path / "cats").mkdir()
    (tmp_path / "cats" / "readme.md").write_text("photos to come")
    with pytest.raises(DataError, match="cats holds no images"):
        load_image_folder(tmp_path)


def test_too_few_images_to_split_and_too_much_memory(tmp_path):
    (tmp_path / "only").mkdir()
    write_image(tmp_path / "only" / "one.png", (1, 2, 3))
    with pytest.raises(DataError, match="only 1 image"):
        load_image_folder(tmp_path, size=8).split()
    with pytest.raises(DataError, match="smaller size or limit_per_class"):
        load_image_folder(tmp_path, size=40_000)
