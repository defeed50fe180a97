"""Your own images: a folder with one subfolder per class, decoded with Pillow into one tensor.

    my_photos/
        cats/    img001.jpg, img002.png, ...
        dogs/    ...

    from coursekit.data import load_image_folder
    photos = load_image_folder("my_photos", size=128)
    photos.x.shape       # [N, 3, 128, 128], float32 in [0, 1]
    photos.classes       # ['cats', 'dogs']: subfolder names, sorted; photos.y indexes them
    data = photos.split(test_fraction=0.2)   # an ImageData, like load_cifar10() returns

Every image is converted to RGB (grey, palette and transparent images too), turned upright
according to its EXIF orientation (phone photos), then its shorter side is scaled to ``size`` and
the centre cropped to a square (``crop=False`` squashes the whole image to a square instead).
Files that are not images by their extension (notes.txt, .DS_Store) are skipped and listed in
``skipped``; an image file that Pillow cannot decode stops the load with its name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .errors import DataError
from .images import ImageData

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
MAX_BYTES = 4 * 1024**3  # refuse to build an image tensor over 4 GiB: that is more than a laptop can spare


@dataclass(repr=False)
class FolderImages:
    """Images from a class-per-subfolder tree: ``x`` float32 [N, 3, size, size] in [0, 1], ``y`` int64 [N]."""

    x: torch.Tensor
    y: torch.Tensor
    classes: list[str]
    paths: list[Path]
    skipped: list[Path] = field(default_factory=list)

    def split(self, test_fraction: float = 0.2, seed: int = 0, name: str = "image folder") -> ImageData:
        """Train and test sets as an ImageData: ``test_fraction`` of every class (at least one image) for testing."""
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must be between 0 and 1 (e.g. 0.2), not {test_fraction}")
        generator = torch.Generator().manual_seed(seed)
        train, test = [], []
        for label in range(len(self.classes)):
            members = torch.nonzero(self.y == label).flatten()
            members = members[torch.randperm(len(members), generator=generator)]
            n_test = max(1, round(test_fraction * len(members)))
            if n_test >= len(members):
                raise DataError(f"Class {self.classes[label]!r} has only {len(members)} image(s): too few to keep "
                                "some for training and some for testing. Add images to it (5 or more each).")
            test.append(members[:n_test])
            train.append(members[n_test:])
        train, test = torch.cat(train), torch.cat(test)
        return ImageData(name, self.x[train], self.y[train], self.x[test], self.y[test], list(self.classes))

    def __repr__(self) -> str:
        counts = torch.bincount(self.y, minlength=len(self.classes)).tolist()
        per_class = ", ".join(f"{c}: {n}" for c, n in zip(self.classes, counts))
        return f"FolderImages({list(self.x.shape)}, {len(self.classes)} classes: {per_class})"


def load_image_folder(root: str | os.PathLike, *, size: int = 128, crop: bool = True,
                      limit_per_class: int | None = None) -> FolderImages:
    """Read every image under ``root/<class>/`` into one tensor, resized to ``size`` x ``size``.

    ``limit_per_class`` keeps the first N files of each class (sorted by name). Raises a DataError that
    says what to do when the folder is missing, has no class subfolders, a class has no images, or
    some image cannot be decoded (all such files are named).
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"{root} is not a folder. Give the folder that holds one subfolder per class.")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not class_dirs:
        raise DataError(f"{root} has no subfolders. Put the images of each class in a subfolder named after "
                        f"the class, e.g. {root}/cats/ and {root}/dogs/.")
    files, labels, skipped = [], [], []
    for label, folder in enumerate(class_dirs):
        images = [p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
        skipped += [p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() not in IMAGE_SUFFIXES]
        if not images:
            raise DataError(f"The class folder {folder} holds no images (looked for {sorted(IMAGE_SUFFIXES)}). "
                            "Add images to it or remove the folder.")
        images = images[:limit_per_class]
        files += images
        labels += [label] * len(images)
    _check_memory(len(files), size)
    x = np.empty((len(files), size, size, 3), dtype=np.uint8)
    unreadable = []
    for i, path in enumerate(files):
        try:
            x[i] = _read_image(path, size, crop)
        except Exception as error:  # Pillow raises many kinds (UnidentifiedImageError, OSError, ...)
            unreadable.append(f"{path} ({type(error).__name__})")
    if unreadable:
        shown = "\n  ".join(unreadable[:20]) + (f"\n  ... and {len(unreadable) - 20} more" if len(unreadable) > 20 else "")
        raise DataError(f"{len(unreadable)} of the {len(files)} image files under {root} cannot be decoded:\n  {shown}\n"
                        "Open them in an image viewer: re-save the ones you want as PNG or JPEG, delete the others, "
                        "then load again.")
    images = torch.from_numpy(x).permute(0, 3, 1, 2).float().div_(255).contiguous()
    return FolderImages(images, torch.tensor(labels, dtype=torch.int64), [d.name for d in class_dirs], files, skipped)


def _read_image(path: Path, size: int, crop: bool) -> np.ndarray:
    """One file -> uint8 [size, size, 3]: decode, upright, RGB, resize (and centre crop)."""
    from PIL import Image, ImageOps  # Pillow comes with matplotlib

    with Image.open(path) as image:
        image.draft("RGB", (size, size))  # JPEG: decode at a reduced scale when the file is much larger
        image = ImageOps.exif_transpose(image).convert("RGB")
        if crop:
            image = ImageOps.fit(image, (size, size), Image.Resampling.BILINEAR)
        else:
            image = image.resize((size, size), Image.Resampling.BILINEAR)
        return np.asarray(image)


def _check_memory(n_images: int, size: int) -> None:
    needed = n_images * 3 * size * size * 4  # float32
    if needed > MAX_BYTES:
        raise DataError(f"{n_images:,} images of {size}x{size} would take {needed / 1024**3:.1f} GiB as float32. "
                        "Pass a smaller size or limit_per_class to load fewer.")
