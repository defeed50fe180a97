"""Class activation maps, boxes from maps, IoU, and the MNIST canvas data set."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from coursekit.data.canvas import ink_box, make_mnist_canvas
from coursekit.localization import (box_iou, cam_box, class_activation_map, feature_maps, grad_cam, resize_boxes,
                                    upsample_cam)


class TinyGapNet(nn.Module):
    """Two convolutions, global average pooling, one linear layer: the shape CAM needs."""

    def __init__(self, channels=6, classes=4):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 5, 3, padding=1), nn.ReLU(), nn.Conv2d(5, channels, 3, padding=1),
                                      nn.ReLU())
        self.fc = nn.Linear(channels, classes)

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))


# --------------------------------------------------------------------------- CAM


def test_cam_mean_plus_bias_is_the_logit_for_every_class():
    torch.manual_seed(0)
    net = TinyGapNet()
    x = torch.randn(5, 1, 12, 10)
    maps, logits = feature_maps(net, net.features, x)
    for k in range(4):
        cam = class_activation_map(maps, net.fc.weight, torch.full((5,), k))
        assert cam.shape == (5, 12, 10)
        torch.testing.assert_close(cam.mean(dim=(1, 2)) + net.fc.bias[k], logits[:, k])


def test_cam_uses_each_images_own_class():
    features = torch.zeros(2, 2, 3, 3)
    features[0, 0, 0, 0] = 1.0  # image 0: channel 0 fires in the top-left corner
    features[1, 1, 2, 2] = 1.0  # image 1: channel 1 fires in the bottom-right corner
    weight = torch.tensor([[2.0, 0.0], [0.0, 3.0]])  # class 0 reads channel 0, class 1 channel 1
    cam = class_activation_map(features, weight, [0, 1])
    assert cam[0, 0, 0] == 2.0 and cam[1, 2, 2] == 3.0 and cam.abs().sum() == 5.0
    assert class_activation_map(features, weight, [1, 0]).abs().sum() == 0  # wrong classes see nothing


def test_cam_rejects_bad_shapes_with_clear_messages():
    with pytest.raises(ValueError, match=r"\[N, C, h, w\]"):
        class_activation_map(torch.zeros(2, 3, 4), torch.zeros(5, 3), [0, 1])
    with pytest.raises(ValueError, match="model.fc.weight"):
        class_activation_map(torch.zeros(2, 3, 4, 4), torch.zeros(5, 4), [0, 1])
    with pytest.raises(ValueError, match="one class per image"):
        class_activation_map(torch.zeros(2, 3, 4, 4), torch.zeros(5, 3), [0])
    with pytest.raises(ValueError, match=r"0\.\.4"):
        class_activation_map(torch.zeros(2, 3, 4, 4), torch.zeros(5, 3), [0, 5])


def test_grad_cam_at_the_gap_input_is_the_relu_of_cam_over_the_grid_size():
    torch.manual_seed(1)
    net = TinyGapNet()
    x = torch.randn(3, 1, 8, 8)
    maps, logits = feature_maps(net, net.features, x)
    predicted = logits.argmax(1)
    expected = class_activation_map(maps, net.fc.weight, predicted).clamp(min=0) / (8 * 8)
    torch.testing.assert_close(grad_cam(net, net.features, x), expected)


def test_feature_maps_leaves_the_model_in_training_mode():
    net = TinyGapNet().train()
    feature_maps(net, net.features, torch.randn(1, 1, 6, 6))
    assert net.training


def test_upsample_cam_keeps_a_constant_map_and_the_batch():
    cam = torch.full((2, 3, 3), 0.7)
    big = upsample_cam(cam, 12)
    assert big.shape == (2, 12, 12)
    torch.testing.assert_close(big, torch.full((2, 12, 12), 0.7))
    assert upsample_cam(cam[0], (6, 9)).shape == (6, 9)


# --------------------------------------------------------------------------- boxes


def test_box_iou_known_values():
    a = torch.tensor([0, 0, 10, 10])
    assert box_iou(a, a).item() == 1.0
    assert box_iou(a, [20, 20, 30, 30]).item() == 0.0                      # far apart
    assert box_iou(a, [10, 0, 20, 10]).item() == 0.0                       # sharing an edge: x1 is exclusive
    assert box_iou(a, [9, 0, 19, 10]).item() == pytest.approx(10 / 190)    # one column in common
    assert box_iou(a, [2, 2, 7, 7]).item() == pytest.approx(25 / 100)      # contained
    assert box_iou(a, [0, 0, 10, 5]).item() == pytest.approx(0.5)          # half of it
    assert box_iou(a, [5, 0, 15, 10]).item() == pytest.approx(50 / 150)    # shifted by half its width


def test_box_iou_pairs_batches_and_broadcasts_one_box():
    a = torch.tensor([[0, 0, 4, 4], [0, 0, 2, 2]])
    b = torch.tensor([[0, 0, 4, 4], [1, 1, 3, 3]])
    torch.testing.assert_close(box_iou(a, b), torch.tensor([1.0, 1 / 7]))
    torch.testing.assert_close(box_iou(torch.tensor([0, 0, 4, 4]), b), torch.tensor([1.0, 4 / 16]))
    assert box_iou([3, 3, 3, 3], [3, 3, 3, 3]).item() == 0.0  # two empty boxes: defined as 0, not NaN


def test_box_iou_rejects_bad_boxes():
    with pytest.raises(ValueError, match=r"\[N, 4\]"):
        box_iou(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="x1 < x0"):
        box_iou([5, 0, 2, 4], [0, 0, 1, 1])
    with pytest.raises(ValueError, match="one to one"):
        box_iou(torch.zeros(2, 4), torch.zeros(3, 4))


def test_resize_boxes_keeps_centres_and_scales_each_side():
    boxes = torch.tensor([[10, 20, 30, 60], [0, 0, 4, 2]])
    resized = resize_boxes(boxes, 0.5, 1.5)
    assert torch.allclose(resized, torch.tensor([[15.0, 10.0, 25.0, 70.0], [1.0, -0.5, 3.0, 2.5]]))
    assert torch.allclose(resize_boxes(boxes[0], 1.0, 1.0), boxes[0].float())
    # a box shrunk to half its width inside the original: IoU 0.5 exactly
    assert box_iou(resize_boxes(boxes[0], 0.5, 1.0), boxes[0]).item() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="positive"):
        resize_boxes(boxes, 0.0, 1.0)
    with pytest.raises(ValueError, match="x1 < x0"):
        resize_boxes(torch.tensor([5, 0, 1, 3]), 1.0, 1.0)


def test_cam_box_picks_the_largest_region_not_the_highest_peak():
    cam = torch.zeros(30, 40)
    cam[5:9, 3:6] = 1.0        # small but brightest blob
    cam[12:25, 20:31] = 0.8    # large blob
    cam[12, 31] = 0.5          # a dimmer pixel next to the large blob: part of it at low thresholds
    assert cam_box(cam, threshold=0.3).tolist() == [20, 12, 32, 25]
    # above 0.9 of the maximum only the small blob is left
    assert cam_box(cam, threshold=0.9).tolist() == [3, 5, 6, 9]


def test_cam_box_joins_diagonal_neighbours_and_handles_batches():
    cam = torch.zeros(2, 10, 10)
    cam[0, 2, 2] = cam[0, 3, 3] = cam[0, 4, 4] = 1.0   # a diagonal line: one region with 8 neighbours
    cam[0, 8, 8] = cam[0, 8, 9] = 1.0                  # two pixels, a smaller region
    cam[1] = -1.0                                      # nothing positive: the whole image
    boxes = cam_box(cam, threshold=0.5)
    assert boxes.dtype == torch.int64 and boxes.tolist() == [[2, 2, 5, 5], [0, 0, 10, 10]]


def test_cam_box_box_is_exclusive_so_it_slices_the_region():
    cam = torch.zeros(9, 9)
    cam[2:5, 3:8] = 1.0
    x0, y0, x1, y1 = cam_box(cam).tolist()
    assert cam[y0:y1, x0:x1].sum() == cam.sum() == (x1 - x0) * (y1 - y0)


def test_cam_box_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\[N, H, W\]"):
        cam_box(torch.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match="fraction"):
        cam_box(torch.ones(4, 4), threshold=20)


# --------------------------------------------------------------------------- canvas


def _digits(n=6, seed=0):
    """Fake 28x28 digits: a bright rectangle of random size and place inside each frame, faint noise around."""
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 1, 28, 28, generator=g) * 0.1
    for i in range(n):
        top, left = torch.randint(2, 10, (2,), generator=g).tolist()
        h, w = torch.randint(6, 16, (2,), generator=g).tolist()
        images[i, 0, top:top + h, left:left + w] = 1.0
    return images, torch.arange(n) % 10


def test_ink_box_is_tight():
    image = torch.zeros(28, 28)
    image[4:20, 9:15] = 0.9
    image[3, 12] = 0.2  # faint pixel below the ink level
    assert ink_box(image, ink=0.25) == [9, 4, 15, 20]
    with pytest.raises(ValueError, match="no pixel"):
        ink_box(torch.zeros(28, 28))


def test_canvas_boxes_hold_the_digit_exactly_where_they_say():
    images, labels = _digits()
    canvases, out_labels, boxes = make_mnist_canvas(images, labels, size=60, seed=3)
    assert canvases.shape == (6, 1, 60, 60) and torch.equal(out_labels, labels)
    for canvas, image, box in zip(canvases[:, 0], images[:, 0], boxes):
        x0, y0, x1, y1 = box.tolist()
        inside = canvas[y0:y1, x0:x1]
        assert (canvas > 0.25).sum() == (inside > 0.25).sum()          # every bright pixel is in the box
        assert (inside[0] > 0.25).any() and (inside[-1] > 0.25).any()  # and the box is tight on all sides
        assert (inside[:, 0] > 0.25).any() and (inside[:, -1] > 0.25).any()
        ix0, iy0, ix1, iy1 = ink_box(image)
        assert torch.equal(inside, image[iy0:iy1, ix0:ix1])            # the digit's own pixels, unchanged


def test_canvas_is_deterministic_and_positions_vary():
    images, labels = _digits(20)
    first = make_mnist_canvas(images, labels, size=84, clutter=3, seed=7)
    again = make_mnist_canvas(images, labels, size=84, clutter=3, seed=7)
    other = make_mnist_canvas(images, labels, size=84, clutter=3, seed=8)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not torch.equal(first[2], other[2])
    assert len(set(first[2][:, 0].tolist())) > 5  # digits land at many different places


def test_clutter_adds_ink_outside_the_box_and_keeps_the_digit():
    images, labels = _digits(10)
    plain, _, boxes = make_mnist_canvas(images, labels, size=84, seed=1)
    cluttered, _, cluttered_boxes = make_mnist_canvas(images, labels, size=84, clutter=6, seed=1)
    assert torch.equal(boxes, cluttered_boxes)  # the digits' places do not depend on clutter
    outside = cluttered.clone()
    for n, (x0, y0, x1, y1) in enumerate(cluttered_boxes.tolist()):
        ix0, iy0, ix1, iy1 = ink_box(images[n, 0])
        assert (cluttered[n, 0, y0:y1, x0:x1] >= images[n, 0, iy0:iy1, ix0:ix1]).all()  # no digit pixel darkened
        outside[n, 0, y0:y1, x0:x1] = 0
    assert (outside > 0.5).sum() > 0 and (plain > 0.5).sum() < (cluttered > 0.5).sum()


def test_canvas_rejects_bad_input():
    images, labels = _digits(2)
    with pytest.raises(ValueError, match=r"\[N, 1, 28, 28\]"):
        make_mnist_canvas(images[:, 0], labels)
    with pytest.raises(ValueError, match="at least as large"):
        make_mnist_canvas(images, labels, size=20)
    with pytest.raises(ValueError, match="labels"):
        make_mnist_canvas(images, labels[:1])


# --------------------------------------------------------------------------- plots


def test_cam_plots_draw_boxes_on_pixel_edges_and_title_the_iou():
    import matplotlib

    matplotlib.use("Agg")
    from coursekit import plots

    images, cams = torch.rand(3, 1, 20, 20), torch.rand(3, 5, 5)
    true_boxes = torch.tensor([[2, 3, 8, 9]] * 3)
    predicted_boxes = torch.tensor([[2, 3, 8, 9], [2, 3, 8, 6], [12, 12, 15, 15]])
    fig = plots.plot_cam_grid(images, cams, [1, 2, 0], [1, 1, 0], ["a", "b", "c"], true_boxes=true_boxes,
                              predicted_boxes=predicted_boxes, ncols=3)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["b (b)\nIoU 1.00", "c (b)\nIoU 0.50", "a (a)\nIoU 0.00"]
    rectangle = fig.axes[0].patches[0]
    assert rectangle.get_xy() == (1.5, 2.5) and (rectangle.get_width(), rectangle.get_height()) == (6, 6)
    ax = plots.plot_iou_histogram({"CAM": torch.tensor([0.9, 0.6, 0.1, 0.2])})
    assert ax.get_legend().get_texts()[0].get_text() == "CAM: 50% ≥ 0.5"
    with pytest.raises(ValueError, match="one entry per image"):
        plots.plot_cam_grid(images, cams[:2], [0, 1, 2])
    matplotlib.pyplot.close("all")
