"""Day 3 checks: right answers pass, typical mistakes fail with feedback that names them, models are
run on their own device, and the design's threshold depends on the run mode."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.checks import all_exercises, run_check
from coursekit.checks.cases import seeded_inputs
from coursekit.checks.day3 import labels_per_class, transfer_threshold

# ----------------------------------------------------------------------------- reference answers, with switches
# Each keyword below makes one of the usual mistakes on purpose.


def bottleneck_weights(in_channels, reduce_channels, out_channels, kernel_size):
    return in_channels * out_channels * kernel_size ** 2, \
        in_channels * reduce_channels + reduce_channels * out_channels * kernel_size ** 2


class Inception(nn.Module):
    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, *, pool_padding=1, dim=1,
                 last_relu=True, order=(1, 2, 3, 4), five_padding=2):
        super().__init__()
        self.dim, self.order = dim, order

        def relu():
            return [nn.ReLU(inplace=True)] if last_relu else []

        self.branch1 = nn.Sequential(nn.Conv2d(in_channels, ch1x1, 1), *relu())
        self.branch2 = nn.Sequential(nn.Conv2d(in_channels, ch3x3red, 1), nn.ReLU(),
                                     nn.Conv2d(ch3x3red, ch3x3, 3, padding=1), *relu())
        self.branch3 = nn.Sequential(nn.Conv2d(in_channels, ch5x5red, 1), nn.ReLU(),
                                     nn.Conv2d(ch5x5red, ch5x5, 5, padding=five_padding), *relu())
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=pool_padding),
                                     nn.Conv2d(in_channels, pool_proj, 1), *relu())

    def forward(self, x):
        return torch.cat([getattr(self, f"branch{i}")(x) for i in self.order], dim=self.dim)


class BasicBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1, *, projection="when needed", projection_bn=True,
                 relu_before_add=False, bias=False):
        super().__init__()
        self.relu_before_add = relu_before_add
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=bias)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=bias)
        self.bn2 = nn.BatchNorm2d(out_channels)
        needed = stride != 1 or in_channels != out_channels
        self.downsample = None
        if projection == "always" or projection == "when needed" and needed:
            norm = [nn.BatchNorm2d(out_channels)] if projection_bn else []
            self.downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), *norm)

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.relu_before_add:
            out = F.relu(out)
        out = out + (x if self.downsample is None else self.downsample(x))
        return out if self.relu_before_add else F.relu(out)


def class_activation_map(features, fc_weight, classes):
    return torch.einsum("nchw,nc->nhw", features, fc_weight[classes])


def class_activation_map_by_loop(features, fc_weight, classes):
    return torch.stack([(fc_weight[k].reshape(-1, 1, 1) * f).sum(0) for f, k in zip(features, classes)])


def box_iou(a, b, *, inclusive=0, clamp=True, guard=True):
    width = torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0]) + inclusive
    height = torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1]) + inclusive
    if clamp:
        width, height = width.clamp(min=0), height.clamp(min=0)
    intersection = width * height

    def area(box):
        width, height = box[..., 2] - box[..., 0] + inclusive, box[..., 3] - box[..., 1] + inclusive
        return width.clamp(min=0) * height.clamp(min=0)

    union = area(a) + area(b) - intersection
    if guard:
        union = torch.where(union > 0, union, torch.ones_like(union))
    return intersection / union


def box_iou_by_pixels(a, b):
    """Another way: paint both boxes on a grid and count (integer corners only)."""
    def one(p, q):
        size = int(max(p.max(), q.max(), 1)) + 1
        grid = torch.zeros(2, size, size, dtype=torch.bool)
        grid[0, int(p[1]):int(p[3]), int(p[0]):int(p[2])] = True
        grid[1, int(q[1]):int(q[3]), int(q[0]):int(q[2])] = True
        union = (grid[0] | grid[1]).sum()
        return (grid[0] & grid[1]).sum() / union if union else torch.tensor(0.0)
    dtype = a.dtype if a.is_floating_point() else torch.float32
    if a.dim() == 1:
        return one(a, b).to(dtype)
    return torch.stack([one(p, q) for p, q in zip(a, b)]).to(dtype)


def freeze_backbone(model, head_name, lr, *, all_parameters=False, freeze_head=False, norms_to_eval=True,
                    optimizer=torch.optim.Adam):
    head = model.get_submodule(head_name)
    for p in model.parameters():
        p.requires_grad = False
    for p in head.parameters():
        p.requires_grad = not freeze_head
    if norms_to_eval:
        for name, module in model.named_modules():
            if isinstance(module, nn.BatchNorm2d) and not name.startswith(head_name):
                module.eval()
    return optimizer(model.parameters() if all_parameters else head.parameters(), lr=lr)


def freeze_by_filter(model, head_name, lr):
    """Another way: freeze everything, unfreeze the head, put the whole backbone in eval mode."""
    model.requires_grad_(False)
    model.eval()
    model.get_submodule(head_name).requires_grad_(True).train()
    return torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=lr, momentum=0.9)


RIGHT = [
    ("day3.bottleneck_weights", bottleneck_weights),
    ("day3.inception", Inception),
    ("day3.basic_block", BasicBlock),
    ("day3.class_activation_map", class_activation_map),
    ("day3.class_activation_map", class_activation_map_by_loop),
    ("day3.box_iou", box_iou),
    ("day3.box_iou", lambda a, b: box_iou_by_pixels(a, b) if not a.is_floating_point() or (a == a.round()).all()
     and (b == b.round()).all() else box_iou(a, b)),
    ("day3.freeze_backbone", freeze_backbone),
    ("day3.freeze_backbone", freeze_by_filter),
]


@pytest.mark.parametrize("id, answer", RIGHT)
def test_right_answers_pass(id, answer):
    result = run_check(id, answer)
    assert result.passed, result.message


@pytest.mark.parametrize("id, answer", RIGHT[::2])
def test_right_answers_pass_on_the_graders_inputs_too(id, answer):
    with seeded_inputs(20260):
        result = run_check(id, answer)
    assert result.passed, result.message


def test_the_float64_iou_case_passes_in_float64():
    result = run_check("day3.box_iou", lambda a, b: box_iou(a.double(), b.double()).to(
        a.dtype if a.is_floating_point() else torch.float32))
    assert result, result.message


# ----------------------------------------------------------------------------- typical mistakes


MISTAKES = [
    # (what, id, answer, words the feedback must contain)
    ("the bottleneck's 1x1 weights forgotten", "day3.bottleneck_weights",
     lambda i, r, o, k: (i * o * k * k, r * o * k * k), "the bottleneck's own 1x1 convolution has weights too"),
    ("k taps instead of k * k", "day3.bottleneck_weights",
     lambda i, r, o, k: (i * o * k, i * r + r * o * k), "a k x k kernel has k * k taps"),
    ("the pair swapped", "day3.bottleneck_weights", lambda *a: bottleneck_weights(*a)[::-1], "swapped"),
    ("counts by building layers", "day3.bottleneck_weights",
     lambda i, r, o, k: (nn.Conv2d(i, o, k, bias=False).weight.numel(), 0), "uses torch.empty"),
    ("the pool branch without padding", "day3.inception", lambda *a: Inception(*a, pool_padding=0),
     "branch4 changes the height or width"),
    ("the 5x5 convolution without enough padding", "day3.inception", lambda *a: Inception(*a, five_padding=1),
     "branch3 changes the height or width"),
    ("joined along the batch axis", "day3.inception", lambda *a: Inception(*a, dim=0),
     "join them along the channel axis, dim=1"),
    ("joined along the width", "day3.inception", lambda *a: Inception(*a, dim=3),
     "join them along the channel axis, dim=1"),
    ("no ReLU at the end of the branches", "day3.inception", lambda *a: Inception(*a, last_relu=False),
     "every branch ends with a ReLU"),
    ("the branches joined in another order", "day3.inception", lambda *a: Inception(*a, order=(2, 1, 3, 4)),
     "joined in another order"),
    ("no projection when the stride is 2", "day3.basic_block", lambda *a: BasicBlock(*a, projection="never"),
     "the shortcut needs a projection"),
    ("a projection on every block", "day3.basic_block", lambda *a: BasicBlock(*a, projection="always"),
     "the identity shortcut needs no parameters"),
    ("a projection without batch norm", "day3.basic_block", lambda *a: BasicBlock(*a, projection_bn=False),
     "the projection's batch norm is missing"),
    ("convolutions with biases", "day3.basic_block", lambda *a: BasicBlock(*a, bias=True),
     "needs none (bias=False)"),
    ("the ReLU before the addition", "day3.basic_block", lambda *a: BasicBlock(*a, relu_before_add=True),
     "the ReLU comes after the addition, not before it"),
    ("one class for every image", "day3.class_activation_map",
     lambda f, w, c: class_activation_map(f, w, c[:1].expand_as(c)), "every image got the map of the first image's"),
    ("the predicted class instead of the given one", "day3.class_activation_map",
     lambda f, w, c: class_activation_map(f, w, (f.mean((2, 3)) @ w.T).argmax(1)), "maps of the predicted classes"),
    ("a ReLU on the map", "day3.class_activation_map", lambda f, w, c: class_activation_map(f, w, c).relu(),
     "negative values were cut off"),
    ("the map divided by its maximum", "day3.class_activation_map",
     lambda f, w, c: class_activation_map(f, w, c) / class_activation_map(f, w, c).flatten(1).amax(1)[:, None, None],
     "divided by its maximum"),
    ("inclusive corners (+1)", "day3.box_iou", lambda a, b: box_iou(a, b, inclusive=1),
     "that counts x1 and y1 as inside the box"),
    ("negative widths not clamped", "day3.box_iou", lambda a, b: box_iou(a, b, clamp=False),
     "a negative width times a negative height is a positive area"),
    ("0 / 0 for empty boxes", "day3.box_iou", lambda a, b: box_iou(a, b, guard=False),
     "two empty boxes have a union of 0"),
    ("the optimizer given model.parameters()", "day3.freeze_backbone",
     lambda m, h, lr: freeze_backbone(m, h, lr, all_parameters=True), "as if given model.parameters()"),
    ("the head frozen too", "day3.freeze_backbone", lambda m, h, lr: freeze_backbone(m, h, lr, freeze_head=True),
     "the head's parameters are frozen too"),
    ("batch norm left in training mode", "day3.freeze_backbone",
     lambda m, h, lr: freeze_backbone(m, h, lr, norms_to_eval=False), "changed its running mean"),
    ("the backbone not frozen", "day3.freeze_backbone",
     lambda m, h, lr: torch.optim.Adam(m.get_submodule(h).parameters(), lr=lr), "still have requires_grad True"),
    ("another learning rate", "day3.freeze_backbone", lambda m, h, lr: freeze_backbone(m, h, 0.5),
     "not the lr="),
    ("no optimizer returned", "day3.freeze_backbone", lambda m, h, lr: [freeze_backbone(m, h, lr)],
     "return the optimizer"),
]


def test_every_day3_exercise_has_a_right_and_a_wrong_answer_here():
    ids = {e.id for e in all_exercises() if e.id.startswith("day3.")}
    assert ids == {id for id, _ in RIGHT} | {"day3.transfer_model"}  # the design: tested below, and by its notebook
    assert {id for id, _ in RIGHT} <= {id for _, id, _, _ in MISTAKES}


@pytest.mark.parametrize("what, id, answer, words", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_typical_mistakes_fail_with_feedback_that_names_them(what, id, answer, words, fails_naming):
    fails_naming(id, answer, words, what)


def test_a_block_with_other_names_is_told_which_names():
    class Renamed(BasicBlock):
        def __init__(self, *args):
            super().__init__(*args)
            self.shortcut = self.downsample  # the same layers, registered under another name too

    result = run_check("day3.basic_block", Renamed)
    assert not result and "not expected: shortcut" in result.message


def test_an_inception_module_with_other_branch_names_is_told_so():
    class Renamed(Inception):
        def __init__(self, *args):
            super().__init__(*args)
            self.paths = nn.ModuleList([self.branch1, self.branch2, self.branch3, self.branch4])
            del self.branch1, self.branch2, self.branch3, self.branch4
            self.order = ()

        def forward(self, x):
            return torch.cat([p(x) for p in self.paths], dim=1)

    result = run_check("day3.inception", Renamed)
    assert not result and "branch1" in result.message and "check itself failed" not in result.message


def test_unwritten_exercises_are_not_attempted():
    class Empty(nn.Module):
        def __init__(self, *args):
            super().__init__()

        def forward(self, x):
            return ...

    for id, answer in (("day3.inception", Empty), ("day3.basic_block", Empty),
                       ("day3.freeze_backbone", lambda *a: ...), ("day3.box_iou", lambda *a: ...)):
        assert run_check(id, answer).status == "not attempted", id


# ----------------------------------------------------------------------------- the transfer-learning design


@pytest.fixture
def cifar_in_fast_mode(real_data, monkeypatch):
    monkeypatch.setenv("COURSEKIT_DATA", str(real_data))
    monkeypatch.setenv("COURSEKIT_MODE", "fast")


class RecordsInputDevice(nn.Module):
    """Parameters on ``device``; notes where its inputs arrive; predicts class 0 for everything."""

    def __init__(self, device):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(3, device=device))

    def forward(self, x):
        type(self).last_seen = str(x.device)  # the check runs a copy: note it on the class
        return torch.zeros(x.shape[0], 10, device=x.device)


def test_the_design_model_gets_its_inputs_on_its_own_device(cifar_in_fast_mode):
    for device in ("cpu", "meta"):
        RecordsInputDevice.last_seen = None
        result = run_check("day3.transfer_model", RecordsInputDevice(device))
        assert not result and "check itself failed" not in result.message
        assert RecordsInputDevice.last_seen == device
        if device == "cpu":  # class 0 for everything: about 10%
            assert "below the 30%" in result.message and "10 labelled images per class" in result.message


def test_a_design_model_on_meta_gets_feedback_not_a_crash(cifar_in_fast_mode):
    result = run_check("day3.transfer_model", nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10)).to("meta"))
    assert not result and "check itself failed" not in result.message


def test_a_design_model_with_the_wrong_output_is_told_so(cifar_in_fast_mode):
    result = run_check("day3.transfer_model", nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 5)))
    assert not result and "8 rows of 10 class scores" in result.message


def test_the_threshold_and_the_labels_depend_on_the_mode(monkeypatch):
    thresholds, labels = {}, {}
    for mode in ("fast", "laptop", "full"):
        monkeypatch.setenv("COURSEKIT_MODE", mode)
        thresholds[mode], labels[mode] = transfer_threshold(), labels_per_class()
    assert thresholds["fast"] < thresholds["laptop"] < thresholds["full"]
    assert labels["fast"] < labels["laptop"] < labels["full"]
