"""Checks of solutions/day3/02_cam_and_iou.ipynb: a class activation map, the IoU of two boxes.

The expected maps come from ``torch.einsum`` on the features and the dense layer's weights; the
expected IoUs from boxes written out as sets of pixels where that is possible (integer corners), so
the check does not share the arithmetic it tests. Boxes are (x0, y0, x1, y1) with x1 and y1
exclusive, as in ``coursekit.localization``: (0, 0, 2, 2) covers the pixels 0 and 1 of rows 0 and 1.
"""

from __future__ import annotations

import torch

from ..cases import Case, exercise
from ..day0 import _random
from ..mistakes import has_nan, judged

# ----------------------------------------------------------------------------- 1. a class activation map


def _cam(features, weight, classes):
    return torch.einsum("nchw,nc->nhw", features, weight[classes])


def _cam_mistakes(features, weight, classes):
    logits = features.mean(dim=(2, 3)) @ weight.T
    mistakes = []
    if len(set(classes.tolist())) > 1:
        mistakes.append((_cam(features, weight, classes[:1].expand_as(classes)),
                         "every image got the map of the first image's class: take each image's own class"))
    predicted = logits.argmax(1)
    if not torch.equal(predicted, classes):
        mistakes.append((_cam(features, weight, predicted),
                         "those are the maps of the predicted classes; the map asked for is that of the given class "
                         "(which may be another, e.g. the true label)"))
    right = _cam(features, weight, classes)
    mistakes.append((right.clamp(min=0), "negative values were cut off: the map is the weighted sum itself (a ReLU "
                                         "or a rescaling is for showing it, later)"))
    mistakes.append((right / right.flatten(1).amax(1).reshape(-1, 1, 1),
                     "the map was divided by its maximum: return the weighted sum itself"))
    return mistakes


def _cam_case(n, c, h, w, k, classes, seed, what, hint="", dtype=torch.float32):
    features = _random(n, c, h, w, seed=seed, dtype=dtype)
    weight = _random(k, c, seed=seed + 1, dtype=dtype)
    classes = torch.tensor(classes)
    expected = _cam(features, weight, classes)
    return Case(f"{what}: features of shape {[n, c, h, w]}, fc_weight {[k, c]}, classes {classes.tolist()}"
                + ("" if dtype == torch.float32 else ", float64"), args=(features, weight, classes), hint=hint,
                test=judged(expected, _cam_mistakes(features, weight, classes), atol=1e-5, rtol=1e-4))


def _mean_is_logit(features, weight, classes):
    logits = features.mean(dim=(2, 3)) @ weight.T
    expected = logits[torch.arange(len(classes)), classes]

    def test(got):
        if not isinstance(got, torch.Tensor) or got.shape != features.shape[:1] + features.shape[2:]:
            return f"expected a map of shape {tuple(features.shape[:1] + features.shape[2:])}"
        means = got.mean(dim=(1, 2))
        if torch.allclose(means, expected, atol=1e-5, rtol=1e-4):
            return None
        return (f"the maps' means are {means.tolist()}, but each should equal its class's logit (bias aside), "
                f"{expected.tolist()}: averaging the map is what global average pooling and the dense layer do")
    return test


@exercise("day3.class_activation_map", expects="function", answer="class_activation_map",
          hint="For one image: weight each of its C feature maps by the dense layer's weight from that channel to "
               "the class, and add them up. Then do it for every image of the batch at once.")
def class_activation_map_cases():
    yield _cam_case(1, 4, 3, 3, 5, [2], seed=900, what="one image")
    yield _cam_case(3, 8, 5, 4, 6, [0, 5, 2], seed=910, what="three images, each with its own class",
                    hint="classes[i] is the class of image i: each image gets the map of its own class.")
    yield _cam_case(4, 6, 7, 7, 3, [1, 1, 0, 2], seed=920, what="a class that need not be the predicted one",
                    hint="Use the classes you are given, not the classes the logits would predict.")
    yield _cam_case(2, 16, 1, 1, 10, [9, 0], seed=930, what="1x1 feature maps")
    yield _cam_case(2, 5, 3, 6, 4, [3, 1], seed=940, what="double precision", dtype=torch.float64,
                    hint="Keep the input's dtype: make no float32 tensors of your own.")
    features, weight = _random(5, 12, 6, 6, seed=950), _random(10, 12, seed=951)
    classes = torch.tensor([7, 3, 3, 0, 9])
    yield Case("the identity behind CAM: for 5 images, the mean of each map equals the class's logit "
               "(global average pooling, then the dense layer without its bias)", args=(features, weight, classes),
               test=_mean_is_logit(features, weight, classes))


# ----------------------------------------------------------------------------- 2. the IoU of two boxes


def _pixels(box) -> set:
    """The pixels an integer box covers (x1, y1 exclusive)."""
    x0, y0, x1, y1 = (int(v) for v in box)
    return {(x, y) for x in range(x0, x1) for y in range(y0, y1)}


def _iou_by_pixels(a, b) -> float:
    pa, pb = _pixels(a), _pixels(b)
    union = len(pa | pb)
    return len(pa & pb) / union if union else 0.0


def _iou_by_area(a, b, inclusive=0.0, clamp=True):
    """The IoU by arithmetic; ``inclusive`` and ``clamp`` make the usual mistakes."""
    width = torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0]) + inclusive
    height = torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1]) + inclusive
    if clamp:
        width, height = width.clamp(min=0), height.clamp(min=0)
    inter = width * height

    def area(box):
        width, height = box[..., 2] - box[..., 0] + inclusive, box[..., 3] - box[..., 1] + inclusive
        return width.clamp(min=0) * height.clamp(min=0)

    union = area(a) + area(b) - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(union))


def _iou_mistakes(a, b, dtype):
    a, b = a.double(), b.double()
    return [
        (has_nan, "a NaN or an infinity came out: two empty boxes have a union of 0, and their IoU is defined as 0"),
        (_iou_by_area(a, b, inclusive=1.0).to(dtype), "that counts x1 and y1 as inside the box (the +1 of inclusive "
                                                    "corners); here x1 and y1 are exclusive: a box is x1 - x0 wide"),
        (_iou_by_area(a, b, clamp=False).to(dtype), "boxes that do not overlap got an intersection: a negative width "
                                                  "times a negative height is a positive area. Clamp each at 0"),
    ]


def _iou_case(a, b, what, hint="", dtype=torch.float32):
    a, b = torch.tensor(a, dtype=dtype), torch.tensor(b, dtype=dtype)
    if a.is_floating_point() and not (a == a.round()).all() or b.is_floating_point() and not (b == b.round()).all():
        expected = _iou_by_area(a.double(), b.double())
    elif a.dim() == 1:
        expected = torch.tensor(_iou_by_pixels(a, b), dtype=torch.float64)
    else:
        expected = torch.tensor([_iou_by_pixels(p, q) for p, q in zip(a, b)], dtype=torch.float64)
    expected = expected.to(dtype if dtype.is_floating_point else torch.float32)
    return Case(f"{what}: a = {a.tolist()}, b = {b.tolist()}" + (f" ({str(dtype).removeprefix('torch.')})"
                                                                  if dtype != torch.float32 else ""),
                args=(a, b), hint=hint,
                test=judged(expected, _iou_mistakes(a, b, expected.dtype), atol=1e-6, rtol=1e-5))


@exercise("day3.box_iou", expects="function", answer="box_iou",
          hint="The intersection of two boxes is a box too: its left edge is the larger of the two left edges, its "
               "right edge the smaller of the two right edges; a width or height below 0 means no overlap.")
def box_iou_cases():
    yield _iou_case([0, 0, 4, 4], [0, 0, 4, 4], "two identical boxes")
    yield _iou_case([0, 0, 4, 4], [2, 2, 6, 6], "two 4x4 boxes overlapping in a 2x2 corner")
    yield _iou_case([0, 0, 2, 2], [5, 5, 8, 8], "disjoint boxes, apart in both directions",
                    hint="When the boxes do not overlap, the intersection's width and height both come out negative.")
    yield _iou_case([0, 0, 2, 2], [2, 0, 4, 2], "boxes that touch along an edge (x1 is exclusive: no pixel shared)",
                    hint="x1 is exclusive: the box (0, 0, 2, 2) covers columns 0 and 1 only, so it is 2 pixels wide.")
    yield _iou_case([0, 0, 3, 3], [3, 3, 5, 5], "boxes that touch at a corner")
    yield _iou_case([0, 0, 10, 10], [2, 3, 6, 5], "a box inside another")
    yield _iou_case([5, 5, 5, 9], [5, 5, 5, 9], "two identical empty boxes (zero width): union 0, IoU defined as 0",
                    hint="An empty box has area 0, so two of them have a union of 0: return 0, not 0 / 0.")
    yield _iou_case([3, 3, 3, 3], [0, 0, 6, 6], "an empty box inside a large one")
    yield _iou_case([0.5, 1.25, 3.5, 4.0], [1.0, 0.0, 2.5, 5.5], "boxes with fractional corners")
    yield _iou_case([[0, 0, 4, 4], [0, 0, 2, 2], [1, 1, 5, 3]], [[2, 2, 6, 6], [2, 0, 4, 2], [1, 1, 5, 3]],
                    "a batch of three pairs, [3, 4] each: one IoU per pair",
                    hint="Index the last dimension (box[..., 0]) so the same code works for [4] and [N, 4].")
    yield _iou_case([[0, 0, 84, 84], [10, 20, 30, 40]], [[20, 20, 48, 48], [0, 0, 1, 1]],
                    "integer boxes (torch.long), as pixel coordinates come: the IoU is a float",
                    hint="Integer boxes give an integer intersection and union; their ratio is a float.",
                    dtype=torch.long)
    yield _iou_case([1.0, 2.0, 7.0, 5.0], [2.0, 1.0, 4.0, 9.0], "double precision", dtype=torch.float64,
                    hint="Float boxes keep their dtype: float64 in, float64 out.")
