"""Where a classifier looks: class activation maps, boxes drawn from them, and how good a box is.

A classifier that ends in global average pooling (GAP) and one linear layer computes, for class k,

    logit_k = b_k + sum_c w_kc * mean_xy f_c(x, y) = b_k + mean_xy [ sum_c w_kc f_c(x, y) ]

so the map inside the brackets, the **class activation map** (CAM, Zhou et al. 2016), says how much
each position adds to the class score: its mean plus the bias *is* the logit.

- :func:`feature_maps`: the output of one layer (the maps that GAP averages) and the logits, in one pass;
- :func:`class_activation_map`: feature maps + the final layer's weights -> one map per image;
- :func:`grad_cam`: Grad-CAM (Selvaraju et al. 2017), the same idea for any layer, from gradients;
- :func:`upsample_cam`: a map at the feature resolution stretched to the image size;
- :func:`cam_box`: the box around the largest connected region above a fraction of the map's maximum;
- :func:`resize_boxes`: boxes stretched or shrunk about their centres (a size correction fitted on
  validation boxes: box supervision, see notebook 04);
- :func:`box_iou`: intersection over union of two boxes.

Boxes are ``(x0, y0, x1, y1)`` in pixels, x to the right and y down, with **x1 and y1 exclusive**
(like Python slices): the box covers columns ``x0 .. x1 - 1`` and rows ``y0 .. y1 - 1``, so
``image[..., y0:y1, x0:x1]`` is its content and its area is ``(x1 - x0) * (y1 - y0)``.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch
from scipy import ndimage
from torch import nn
from torch.nn import functional as F


@contextmanager
def _layer_output(model: nn.Module, layer: nn.Module):
    """Put ``model`` in eval mode and catch what ``layer`` outputs; restore the mode afterwards.

    Yields a function that returns the caught output, and raises when the layer ran other than once.
    """
    caught = []
    handle = layer.register_forward_hook(lambda module, inputs, output: caught.append(output))
    was_training = model.training
    model.eval()

    def output() -> torch.Tensor:
        if len(caught) != 1:
            raise ValueError(f"the layer ran {len(caught)} times in one forward pass; pass a layer of the model "
                             "that runs exactly once (e.g. the last convolutional stage)")
        return caught[0]

    try:
        yield output
    finally:
        handle.remove()
        model.train(was_training)


def feature_maps(model: nn.Module, layer: nn.Module, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``model`` on ``images`` in eval mode without gradients; return ``(maps, logits)``.

    ``maps`` is what ``layer`` (a submodule of ``model``) produced, e.g. the last convolutional
    stage of a GAP network, [N, C, h, w]. A forward hook catches it, so the model needs no changes.
    """
    with _layer_output(model, layer) as output, torch.no_grad():
        logits = model(images)
        return output(), logits


def class_activation_map(features: torch.Tensor, fc_weight: torch.Tensor, classes) -> torch.Tensor:
    """The class activation map of each image for one class each: [N, C, h, w] -> [N, h, w].

    ``features``: the maps that global average pooling turns into the final layer's input;
    ``fc_weight``: that linear layer's weight, [K classes, C channels]; ``classes``: the class
    to map for each image, [N] (the predicted or the true one). ``cam[n] = sum_c w[classes[n], c]
    * features[n, c]``, so ``cam.mean((1, 2)) + bias[classes]`` equals those classes' logits.
    """
    if features.ndim != 4:
        raise ValueError(f"features must be [N, C, h, w] (the maps before global average pooling), "
                         f"got shape {list(features.shape)}")
    if fc_weight.ndim != 2 or fc_weight.shape[1] != features.shape[1]:
        raise ValueError(f"fc_weight must be [classes, {features.shape[1]}] to match the {features.shape[1]} "
                         f"feature channels, got shape {list(fc_weight.shape)}; pass model.fc.weight "
                         "(the linear layer right after the pooling)")
    classes = torch.as_tensor(classes, device=features.device).reshape(-1).long()
    if len(classes) != len(features):
        raise ValueError(f"got {len(features)} feature maps but {len(classes)} classes; give one class per image")
    if len(classes) and (classes.min() < 0 or classes.max() >= len(fc_weight)):
        raise ValueError(f"classes must be in 0..{len(fc_weight) - 1}, got {classes.min()}..{classes.max()}")
    weights = fc_weight[classes].to(features.dtype)  # [N, C]: one row of the final layer per image
    return torch.einsum("nc,nchw->nhw", weights, features)


def grad_cam(model: nn.Module, layer: nn.Module, images: torch.Tensor, classes=None) -> torch.Tensor:
    """Grad-CAM maps [N, h, w] at the output of ``layer`` for ``classes`` (default: the predicted ones).

    Each channel of the layer's output is weighted by the mean gradient of the class score over
    its positions, the weighted channels are summed, and negative values are cut (ReLU). Works
    for any convolutional layer; at the input of a GAP + linear head it is the CAM with its
    negative part cut, divided by h * w (the gradient of a mean is ``1 / (h * w)`` per position).
    """
    with _layer_output(model, layer) as output, torch.enable_grad():
        logits = model(images)
        maps = output()
        if maps.ndim != 4:
            raise ValueError(f"the layer's output must be [N, C, h, w], got shape {list(maps.shape)}")
        classes = logits.argmax(1) if classes is None else torch.as_tensor(classes, device=logits.device)
        scores = logits.gather(1, classes.reshape(-1, 1).long()).sum()  # images do not mix: one sum is fine
        (grads,) = torch.autograd.grad(scores, maps)
    weights = grads.mean(dim=(2, 3), keepdim=True)  # [N, C, 1, 1]: how much each channel raises the score
    return F.relu((weights * maps).sum(1)).detach()


def upsample_cam(cam: torch.Tensor, size) -> torch.Tensor:
    """Maps [N, h, w] (or one [h, w]) stretched to ``size`` = (H, W) or an int, bilinearly.

    The feature grid is laid over the image as a coarser grid of the same extent
    (``align_corners=False``): each feature cell covers an (H / h) x (W / w) patch of pixels.
    """
    if cam.ndim not in (2, 3):
        raise ValueError(f"cam must be [h, w] or [N, h, w], got shape {list(cam.shape)}")
    size = (size, size) if isinstance(size, int) else tuple(size)
    big = F.interpolate(cam.reshape(-1, 1, *cam.shape[-2:]).float(), size=size, mode="bilinear",
                        align_corners=False)
    return big.reshape(*cam.shape[:-2], *size)


def _largest_region_box(cam: np.ndarray, threshold: float) -> list[int]:
    """Box (x0, y0, x1, y1), ends exclusive, of the largest 8-connected region where cam >= threshold * max."""
    height, width = cam.shape
    peak = cam.max()
    if not peak > 0:  # nothing positive (or NaN): no evidence anywhere, so the whole image
        return [0, 0, width, height]
    regions, count = ndimage.label(cam >= threshold * peak, structure=np.ones((3, 3)))  # 8 neighbours
    sizes = np.bincount(regions.ravel(), minlength=count + 1)
    sizes[0] = 0  # label 0 is the background, never a region
    ys, xs = np.nonzero(regions == sizes.argmax())
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]


def cam_box(cam: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """The box around the largest connected region of a map above ``threshold`` times its maximum.

    ``cam``: one map [H, W] or a batch [N, H, W], at image resolution (see :func:`upsample_cam`).
    Pixels with ``cam >= threshold * cam.max()`` are kept, neighbours (8-connected: diagonals
    count) are joined into regions, and the region with the most pixels wins. Returns int64
    boxes ``(x0, y0, x1, y1)`` with x1, y1 exclusive, [4] or [N, 4]. A map with no positive value
    gives the whole image. The default, half the maximum, is near the best measured on validation
    canvases in notebook 04 (small digits on a large canvas); Zhou et al. used 0.2 for photos whose
    objects fill much of the frame. Pick yours on validation data.
    """
    if not isinstance(cam, torch.Tensor) or cam.ndim not in (2, 3):
        shape = list(cam.shape) if isinstance(cam, torch.Tensor) else type(cam).__name__
        raise ValueError(f"cam must be a tensor [H, W] or [N, H, W], got {shape}")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold is a fraction of the map's maximum, in (0, 1], got {threshold}")
    maps = cam.detach().float().cpu().numpy().reshape(-1, *cam.shape[-2:])
    boxes = torch.tensor([_largest_region_box(m, threshold) for m in maps], dtype=torch.int64)
    return boxes[0] if cam.ndim == 2 else boxes


def _as_boxes(boxes, name: str) -> torch.Tensor:
    """A float tensor [..., 4] of boxes with x0 <= x1 and y0 <= y1, or a clear error."""
    boxes = torch.as_tensor(boxes).float()
    if boxes.ndim not in (1, 2) or boxes.shape[-1] != 4:
        raise ValueError(f"{name} must be one box [4] or boxes [N, 4] as (x0, y0, x1, y1), "
                         f"got shape {list(boxes.shape)}")
    if (boxes[..., 2] < boxes[..., 0]).any() or (boxes[..., 3] < boxes[..., 1]).any():
        raise ValueError(f"{name} has a box with x1 < x0 or y1 < y0; boxes are (x0, y0, x1, y1), "
                         "corner with the smaller coordinates first")
    return boxes


def resize_boxes(boxes, x_scale: float, y_scale: float) -> torch.Tensor:
    """Boxes [4] or [N, 4] with their width times ``x_scale`` and height times ``y_scale``, same centres.

    Returns float boxes (the new corners may fall between pixels; :func:`box_iou` takes them as they are).
    """
    if not (x_scale > 0 and y_scale > 0):
        raise ValueError(f"x_scale and y_scale must be positive factors, got {x_scale} and {y_scale}")
    boxes = _as_boxes(boxes, "boxes")
    centre = (boxes[..., :2] + boxes[..., 2:]) / 2
    half = (boxes[..., 2:] - boxes[..., :2]) / 2 * torch.tensor([x_scale, y_scale])
    return torch.cat([centre - half, centre + half], dim=-1)


def box_iou(a, b) -> torch.Tensor:
    """Intersection over union of boxes ``a`` and ``b``, each [4] or [N, 4], pair by pair.

    Boxes are ``(x0, y0, x1, y1)`` with x1, y1 exclusive, so the area is ``(x1 - x0) * (y1 - y0)``
    and boxes that only touch along an edge do not overlap (IoU 0). One box against [N, 4]
    is compared with each of them. Returns a float tensor, [] or [N]; 0 where both boxes are empty.
    """
    a, b = _as_boxes(a, "a"), _as_boxes(b, "b")
    if a.ndim == b.ndim == 2 and len(a) != len(b):
        raise ValueError(f"a has {len(a)} boxes and b has {len(b)}; IoU pairs them one to one")
    width = (torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0])).clamp(min=0)
    height = (torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1])).clamp(min=0)
    inter = width * height

    def area(box):
        return (box[..., 2] - box[..., 0]) * (box[..., 3] - box[..., 1])

    union = area(a) + area(b) - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(union))
