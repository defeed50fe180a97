"""Checks of day 3, one module per exercise notebook of solutions/day3/:

- ``inception_and_residual_blocks``: the weights a 1x1 bottleneck saves, an Inception module, a
  basic residual block with an identity or a projection shortcut (01);
- ``cam_and_iou``: a class activation map, the IoU of two boxes (02);
- ``transfer_learning``: freezing a backbone and giving the optimizer only the head, and a
  transfer-learning design on a few labelled CIFAR-10 images with a test accuracy that depends on
  the run mode (03).

The expected values come from reference code inside these modules, written with PyTorch's own layers.
"""

from . import inception_and_residual_blocks, cam_and_iou, transfer_learning  # noqa: I001 - the exercises' order
from .transfer_learning import labels_per_class, transfer_threshold

__all__ = ["labels_per_class", "transfer_threshold"]
