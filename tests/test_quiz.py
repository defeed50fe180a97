"""Quizzes: valid data files, a static form with the answers hidden, widgets that explain."""

from __future__ import annotations

import copy
import json
import math

import ipywidgets
import pytest

from coursekit import quiz

QUIZ_FILES = sorted(quiz.QUIZ_DIR.glob("*.json"))
GOOD = {
    "day": "dayX",
    "title": "T",
    "questions": [
        {"question": "Q1", "options": ["a", "b"], "answers": ["a"], "explanation": "E1"},
        {"question": "Q2", "options": ["a", "b", "c"], "answers": ["a", "c"], "multiple": True, "explanation": "E2"},
    ],
}


@pytest.fixture(autouse=True)
def static_quiz(monkeypatch):
    monkeypatch.setenv(quiz.STATIC_ENV, "1")


def test_there_is_a_quiz_for_day0():
    assert quiz.QUIZ_DIR / "day0.json" in QUIZ_FILES


@pytest.mark.parametrize("path", QUIZ_FILES, ids=lambda p: p.name)
def test_quiz_files_are_valid(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    assert quiz.problems(data) == []
    assert data["day"] == path.stem
    loaded = quiz.load(path.stem)
    assert 3 <= len(loaded.questions) <= 20  # a short quiz: a quarter of an hour at most
    assert any(q.multiple for q in loaded.questions) and any(not q.multiple for q in loaded.questions)


def broken(change):
    data = copy.deepcopy(GOOD)
    change(data["questions"][0])
    return quiz.problems(data)


@pytest.mark.parametrize("change, words", [
    (lambda q: q.update(answers=["z"]), "the answer 'z' is not one of its options"),
    (lambda q: q.update(answers=["a", "b"]), "one answer to choose but 2 answers given"),
    (lambda q: q.update(answers=[]), "needs a list of 'answers'"),
    (lambda q: q.pop("explanation"), "has no 'explanation' text"),
    (lambda q: q.update(question="  "), "has no 'question' text"),
    (lambda q: q.update(options=["a"]), "at least two 'options'"),
    (lambda q: q.update(options=["a", "a"]), "the same option twice"),
    (lambda q: q.update(multiple="yes"), "'multiple' must be true or false"),
    (lambda q: q.update(answer="a"), "unknown key 'answer'"),
])
def test_problems_are_found(change, words):
    assert quiz.problems(GOOD) == []
    assert any(words in problem for problem in broken(change)), broken(change)


def test_a_file_without_questions_is_a_problem():
    assert quiz.problems({"title": "T", "questions": []})
    assert quiz.problems([1, 2])


def test_unknown_day():
    with pytest.raises(quiz.QuizError, match="There is no quiz 'day42'.*day0"):
        quiz.load("day42")


@pytest.mark.parametrize("day", [p.stem for p in QUIZ_FILES])
def test_static_form_shows_questions_and_options_but_hides_answers(day, capsys):
    loaded = quiz.load(day)
    quiz.show(day)
    text = capsys.readouterr().out
    assert text.strip() == str(loaded).strip()
    for number, q in enumerate(loaded.questions, 1):
        assert f"{number}. {q.text}" + (" (choose all that apply)" if q.multiple else "") + "\n" in text
        assert q.explanation not in text
        box = "[ ]" if q.multiple else "( )"
        for option in q.options:  # the right answers look like any other option
            assert f"   {box} {option}\n" in text + "\n"
    html = loaded._repr_html_()
    assert all(q.explanation not in html for q in loaded.questions) and "<code>" in html


def test_in_a_kernel_the_widget_comes_with_the_static_form_as_fallback(monkeypatch):
    shown = []
    monkeypatch.delenv(quiz.STATIC_ENV)
    monkeypatch.setattr(quiz, "_kernel_shell", lambda: object())
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle))
    quiz.show("day0")
    (bundle,) = shown
    assert set(bundle) == {"application/vnd.jupyter.widget-view+json", "text/plain", "text/html"}
    assert bundle["text/plain"] == str(quiz.load("day0"))


def test_widgets_explain_after_answering():
    box = quiz.widget(quiz.load("day0"))
    single = box.children[1]  # question 1: choose one
    radio, button, feedback = single.children[1:]
    button.click()
    assert feedback.value == "Choose an answer first."
    radio.value = "It raises an error that stops the notebook"
    button.click()
    assert "Not quite." in feedback.value and "never raises" in feedback.value
    radio.value = "It reports that the exercise is not attempted yet"
    button.click()
    assert "Right." in feedback.value

    multiple = box.children[3]  # question 3: choose all that apply
    checkboxes, button, feedback = multiple.children[1].children, multiple.children[2], multiple.children[3]
    for checkbox in checkboxes:
        checkbox.value = checkbox.description in ("x.clamp_(min=0)", "x[x < 0] = 0")
    button.click()
    assert "Not quite." in feedback.value
    next(c for c in checkboxes if c.description == "x += 1").value = True
    button.click()
    assert "Right." in feedback.value


def pick(question_box, options):
    """Choose ``options`` in one question's widget, as a learner would, and press Check."""
    choice, button, feedback = question_box.children[1:]
    if isinstance(choice, ipywidgets.RadioButtons):
        (choice.value,) = options
    else:
        for checkbox in choice.children:
            checkbox.value = checkbox.description in options
    button.click()
    return feedback.value


@pytest.mark.parametrize("day", [p.stem for p in QUIZ_FILES])
def test_every_question_accepts_its_answers_and_only_them(day):
    loaded = quiz.load(day)
    box = quiz.widget(loaded)
    for q, question_box in zip(loaded.questions, box.children[1:]):
        assert isinstance(question_box.children[1], ipywidgets.VBox) == q.multiple  # checkboxes, else radio buttons
        assert "Right." in pick(question_box, q.answers)
        wrong = next(o for o in q.options if o not in q.answers)
        assert "Not quite." in pick(question_box, [wrong] if not q.multiple else q.answers + [wrong])
        if q.multiple and len(q.answers) > 1:
            assert "Not quite." in pick(question_box, q.answers[:1])  # half right is not right


# Day 1: every answer that is a number, a shape or a checkable fact is computed here, so the quiz
# cannot drift from the truth. A question is found by words from its text: rephrase it and the
# test says which question it lost.

DAY1 = quiz.load("day1")


def day1(words: str) -> quiz.Question:
    found = [q for q in DAY1.questions if words in q.text]
    assert len(found) == 1, f"expected one day-1 question containing {words!r}, found {len(found)}"
    return found[0]


def true_options(q: quiz.Question, truths: list[bool]) -> set[str]:
    """The options whose statements were computed to be true (``truths`` in the order of the options)."""
    assert len(truths) == len(q.options)
    return {option for option, true in zip(q.options, truths) if true}


def test_day1_options_fit_on_one_line_of_the_widget():
    # Radio-button and checkbox labels do not wrap in JupyterLab: a long option is cut off or overlaps.
    assert max(len(option) for q in DAY1.questions for option in q.options) <= 95


def test_day1_output_shape_of_a_batch_through_an_mlp():
    import torch
    from torch import nn

    q = day1("What is the shape of `model(x)`")
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    assert "nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)" in q.text and "[64, 1, 28, 28]" in q.text
    shape = list(model(torch.zeros(64, 1, 28, 28)).shape)
    assert q.answers == [str(shape)] == ["[64, 10]"]


def test_day1_parameter_count_of_a_linear_layer():
    from torch import nn

    q = day1("trainable parameters does `nn.Linear(784, 128)`")
    by_hand = 784 * 128 + 128
    assert sum(p.numel() for p in nn.Linear(784, 128).parameters()) == by_hand
    assert q.answers == [f"{by_hand:,}"]
    assert f"{784 * 128:,}" in q.options and f"{784 * 128 + 784:,}" in q.options  # the two usual slips


def test_day1_only_the_sigmoid_has_a_slope_of_at_most_a_quarter():
    import torch
    import torch.nn.functional as F

    q = day1("derivative of at most 0.25")
    functions = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "ReLU": torch.relu, "Leaky ReLU": F.leaky_relu}
    assert set(q.options) == set(functions)
    x = torch.linspace(-10, 10, 20_001, requires_grad=True)
    steepest = {}
    for name, f in functions.items():
        (slope,) = torch.autograd.grad(f(x).sum(), x)
        steepest[name] = slope.max().item()
    assert steepest["sigmoid"] == pytest.approx(0.25, abs=1e-6)
    assert set(q.answers) == {name for name, top in steepest.items() if top <= 0.25 + 1e-6}


def test_day1_what_cross_entropy_takes():
    import torch
    import torch.nn.functional as F

    q = day1("nn.CrossEntropyLoss()(input, target)")
    torch.manual_seed(0)
    logits, target = torch.randn(8, 5), torch.randint(0, 5, (8,))
    loss = torch.nn.CrossEntropyLoss()
    applies_log_softmax_itself = torch.allclose(loss(logits, target), F.nll_loss(logits.log_softmax(1), target))
    softmax_twice_is_the_same = torch.allclose(loss(logits.softmax(1), target), loss(logits, target))
    try:
        loss(logits, target[:, None])
        column_target_works = True
    except (RuntimeError, ValueError):
        column_target_works = False
    assert applies_log_softmax_itself and target.dtype == torch.long
    truths = [applies_log_softmax_itself, softmax_twice_is_the_same, True, column_target_works]
    assert true_options(q, truths) == set(q.answers)


def test_day1_iterations_per_run():
    q = day1("How many optimizer steps")
    assert q.answers == [f"{math.ceil(10_000 / 100) * 5:,}"]


def descend(a: float, lr: float, w: float = 1.0, steps: int = 6) -> tuple[list[float], list[float]]:
    """Gradient descent on (a/2)·w²: the weights and the losses after each step."""
    weights, losses = [], []
    for _ in range(steps):
        w -= lr * a * w
        weights.append(w)
        losses.append(a / 2 * w * w)
    return weights, losses


def test_day1_a_learning_rate_above_two_over_the_curvature_diverges():
    q = day1("curvature a = 10, from w = 1, with learning rate 0.3")
    weights, losses = descend(a=10, lr=0.3)
    start = 10 / 2 * 1.0**2
    ratios = [after / before for before, after in zip([start] + losses, losses)]
    assert all(r == pytest.approx(ratios[0]) for r in ratios) and ratios[0] > 1
    assert all(w1 * w2 < 0 for w1, w2 in zip(weights, weights[1:]))  # w flips sign at every step
    assert q.answers == [f"It grows {ratios[0]:g} times at every step, while w flips sign"]
    # the explanation's boundaries: 1/a lands on the minimum, below 2/a the loss shrinks, at 2/a it stays
    assert descend(a=10, lr=0.1)[1][0] == 0
    assert descend(a=10, lr=0.19)[1][-1] < start and descend(a=10, lr=0.21)[1][-1] > start
    assert descend(a=10, lr=0.2)[1][-1] == pytest.approx(start)


def test_day1_size_of_adams_first_step():
    import torch

    q = day1("Adam with learning rate 0.001")
    lr, beta1, beta2, eps, gradient = 0.001, 0.9, 0.999, 1e-8, 50.0
    w = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.Adam([w], lr=lr, betas=(beta1, beta2), eps=eps)
    (gradient * w).sum().backward()
    optimizer.step()
    m, v = (1 - beta1) * gradient, (1 - beta2) * gradient**2
    by_hand = lr * (m / (1 - beta1)) / (math.sqrt(v / (1 - beta2)) + eps)
    assert abs(w.item()) == pytest.approx(by_hand, rel=1e-5)
    assert q.answers == [f"{by_hand:.2g}"]
    without_correction = lr * m / (math.sqrt(v) + eps)
    assert {f"{without_correction:.2g}", f"{lr * gradient:.2g}"} <= set(q.options)  # the explanation's numbers


def test_day1_xavier_and_he_variances_and_what_they_keep_constant():
    import torch

    q = day1("Xavier (Glorot) and He (Kaiming)")
    assert "2/(n_in + n_out)" in q.explanation and "2/n_in" in q.explanation
    torch.manual_seed(0)
    n_out, n_in = 256, 512
    xavier = torch.nn.init.xavier_normal_(torch.empty(n_out, n_in))
    he = torch.nn.init.kaiming_normal_(torch.empty(n_out, n_in), nonlinearity="relu")
    assert xavier.var().item() == pytest.approx(2 / (n_in + n_out), rel=0.03)
    assert he.var().item() == pytest.approx(2 / n_in, rel=0.03)

    def spread_after_relu_layers(variance: float, layers: int = 20, width: int = 512) -> float:
        x = torch.randn(256, width)
        for _ in range(layers):
            x = torch.relu(x @ (torch.randn(width, width) * math.sqrt(variance)))
        return x.pow(2).mean().sqrt().item()

    first = spread_after_relu_layers(2 / 512, layers=1)
    assert 0.5 < spread_after_relu_layers(2 / 512) / first < 2  # He: the signal keeps its size over 20 layers
    assert spread_after_relu_layers(1 / 512) / first < 0.01  # half the variance: it dies out
    assert q.answers == ["To keep the spread of activations (and gradients) roughly constant from layer to layer"]


def test_day1_what_l1_and_l2_penalties_do():
    import torch

    q = day1("L1 adds λ·|w|, L2 adds λ·w²")
    lam = 0.01
    l1, l2 = (lambda w: lam * w.abs()), (lambda w: lam * w**2)

    def gradient(penalty, value: float) -> float:
        w = torch.tensor(value, dtype=torch.float64, requires_grad=True)
        penalty(w).backward()
        return w.grad.item()

    l2_proportional = all(gradient(l2, w) == pytest.approx(2 * lam * w) for w in (-3.0, 0.1, 2.0))
    l1_constant = all(abs(gradient(l1, w)) == pytest.approx(lam) for w in (-3.0, 0.1, 2.0))
    # A weight the data pulls only a little away from 0: fit 0.5·(w - 0.005)² plus the penalty, by brute force.
    grid = torch.arange(-20_000, 20_001, dtype=torch.float64) * 1e-6  # steps of 1e-6, 0 exactly among them
    best = {name: grid[(0.5 * (grid - 0.005) ** 2 + penalty(grid)).argmin()].item()
            for name, penalty in (("l1", l1), ("l2", l2))}
    assert best["l2"] == pytest.approx(0.005 / (1 + 2 * lam), abs=1e-6)
    assert l2_proportional and l1_constant  # the explanation: L1 pulls the same at every size, L2 in proportion
    truths = [abs(gradient(l2, 0.01)) < abs(gradient(l2, 0.1)),
              best["l1"] == 0.0,
              abs(gradient(l2, 0.1)) > abs(gradient(l1, 0.1)),
              best["l2"] == 0.0]
    assert true_options(q, truths) == set(q.answers)
    assert gradient(l2, 2.0) > gradient(l1, 2.0)  # the explanation: at w = 2 L2 pulls harder


def test_day1_concatenate_add_and_a_two_input_parameter_count():
    import torch
    from torch import nn

    q = day1("keras.Input(shape=(10,))")
    assert "keras.Input(shape=(6,))" in q.text
    a, b = torch.zeros(3, 10), torch.zeros(3, 6)  # torch.cat and + follow the same rules as Concatenate and Add

    def keras_shape(tensor):
        return "(None, " + ", ".join(str(n) for n in tensor.shape[1:]) + ")"

    try:
        added = keras_shape(a + b)
    except RuntimeError:
        added = "an error"
    parameters = sum(p.numel() for p in nn.Sequential(nn.Linear(16, 8), nn.Linear(8, 1)).parameters())
    truths = [f"has shape {keras_shape(torch.cat([a, b], dim=1))}" in q.options[0],
              f"has shape {added}" in q.options[1],
              f"has shape {keras_shape(a + a)}" in q.options[2],
              f": {parameters} parameters" in q.options[3]]
    assert true_options(q, truths) == set(q.answers)


# Day 3: the same rule; the numbers come from PyTorch's layers, the IoUs from boxes painted as pixels.

DAY3 = quiz.load("day3")


def day3(words: str) -> quiz.Question:
    found = [q for q in DAY3.questions if words in q.text]
    assert len(found) == 1, f"expected one day-3 question containing {words!r}, found {len(found)}"
    return found[0]


def _count(*layers) -> int:
    return sum(p.numel() for layer in layers for p in layer.parameters())


def test_day3_inception_output_channels():
    import torch
    from torch import nn

    q = day3("How many channels does it output?")
    branches = [nn.Conv2d(192, 64, 1),
                nn.Sequential(nn.Conv2d(192, 96, 1), nn.Conv2d(96, 128, 3, padding=1)),
                nn.Sequential(nn.Conv2d(192, 16, 1), nn.Conv2d(16, 32, 5, padding=2)),
                nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(192, 32, 1))]
    out = torch.cat([branch(torch.zeros(1, 192, 28, 28)) for branch in branches], dim=1)
    assert q.answers == [str(out.shape[1])]


def test_day3_bottleneck_savings():
    from torch import nn

    q = day3("a 1x1 reduction to 16 channels")
    direct = nn.Conv2d(192, 32, 5, bias=False).weight.numel()
    reduced = _count(nn.Conv2d(192, 16, 1, bias=False), nn.Conv2d(16, 32, 5, bias=False))
    assert q.answers == [f"{direct:,} against {reduced:,}"]


def test_day3_basic_block_parameters():
    from torch import nn

    def block(c_in, c_out, stride, projection):
        layers = [nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out),
                  nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out)]
        if projection:
            layers += [nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)]
        return _count(*layers)

    assert day3("64 channels in and out, stride 1").answers == [f"{block(64, 64, 1, False):,}"]
    assert "78,208" in day3("64 channels in and out, stride 1").options  # the needless projection
    assert block(64, 64, 1, True) == 78_208
    assert day3("from 64 to 128 channels with stride 2").answers == [f"{block(64, 128, 2, True):,}"]
    assert block(64, 128, 2, False) == 221_696 and block(64, 128, 2, True) - 256 == 229_888


def test_day3_option_a_costs_nothing_and_resnet20_uses_it():
    import torch

    from coursekit.models import resnet20

    x = torch.randn(2, 16, 8, 8)
    option_a = torch.cat([x[:, :, ::2, ::2], torch.zeros(2, 16, 4, 4)], dim=1)  # subsample, then zero channels
    assert option_a.shape == (2, 32, 4, 4)
    assert sum(p.numel() for p in resnet20().parameters()) == 269_722
    q = day3("the shortcut must change shape too")
    assert set(q.answers) == {q.options[0], q.options[1]}


def test_day3_dense_weights_after_pooling_and_after_flattening():
    from torch import nn

    q = day3("1024x7x7")
    pooled = nn.Linear(1024, 1000, bias=False, device="meta").weight.numel()
    flat = nn.Linear(1024 * 7 * 7, 1000, bias=False, device="meta").weight.numel()
    assert q.answers == [f"{pooled:,} against {flat:,}"]


def test_day3_the_mean_of_a_cam_is_the_logit():
    import torch
    from torch import nn

    features, fc = torch.randn(3, 16, 5, 5), nn.Linear(16, 10)
    cam = torch.einsum("nchw,kc->nkhw", features, fc.weight)
    with torch.no_grad():
        assert torch.allclose(cam.mean(dim=(2, 3)) + fc.bias, fc(features.mean(dim=(2, 3))), atol=1e-5)
    assert "the map's mean is the logit" in day3("class activation map be computed").answers[0]


def _iou_by_pixels(a, b) -> float:
    def pixels(box):
        x0, y0, x1, y1 = box
        return {(x, y) for x in range(x0, x1) for y in range(y0, y1)}

    pa, pb = pixels(a), pixels(b)
    return len(pa & pb) / len(pa | pb)


def test_day3_ious():
    from fractions import Fraction

    q = day3("a = (0, 0, 4, 4) and b = (2, 2, 6, 6)")
    iou = _iou_by_pixels((0, 0, 4, 4), (2, 2, 6, 6))
    assert Fraction(iou).limit_denominator(100) == Fraction(1, 7) and q.answers == ["1/7 ≈ 0.143"]
    assert _iou_by_pixels((0, 0, 5, 5), (2, 2, 7, 7)) == 9 / 41  # the inclusive-corner slip in the options
    shifted = _iou_by_pixels((0, 0, 28, 28), (7, 0, 35, 28))
    assert day3("shifted 7 pixels").answers == [f"{shifted:g}"] == ["0.6"]


def test_day3_what_freezing_does():
    import torch
    from torch import nn

    q = day3("on every parameter of a pretrained backbone")
    backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).requires_grad_(False).train()
    before = backbone[1].running_mean.clone()
    out = backbone(torch.randn(4, 3, 8, 8))
    statistics_move = not torch.equal(before, backbone[1].running_mean)
    no_graph = not out.requires_grad  # nothing to backpropagate into the backbone
    weight = backbone[0].weight.clone()
    optimizer = torch.optim.SGD(backbone.parameters(), lr=0.1, weight_decay=0.5)
    optimizer.step()
    decay_shrinks = not torch.equal(weight, backbone[0].weight)
    truths = [no_graph, statistics_move, decay_shrinks, False]  # the forward pass runs every layer
    assert true_options(q, truths) == set(q.answers)


def test_day3_a_linear_head_on_lite0_features_has_12810_parameters():
    from torch import nn

    assert _count(nn.Linear(1280, 10)) == 12_810
    assert "12,810" in day3("10 labelled images per class").explanation


# Day 4: the same rule; parameter counts and shapes come from PyTorch's layers, the rest is computed here.

DAY4 = quiz.load("day4")


def day4(words: str) -> quiz.Question:
    found = [q for q in DAY4.questions if words in q.text]
    assert len(found) == 1, f"expected one day-4 question containing {words!r}, found {len(found)}"
    return found[0]


def test_day4_options_fit_on_one_line_of_the_widget():
    assert max(len(option) for q in DAY4.questions for option in q.options) <= 95


def test_day4_recurrent_parameter_counts():
    from torch import nn

    q = day4("`nn.LSTM(input_size=10, hidden_size=20)`")
    assert q.answers == [f"{_count(nn.LSTM(10, 20)):,}"]
    one_bias = _count(nn.LSTM(10, 20)) - nn.LSTM(10, 20).bias_hh_l0.numel()
    assert {f"{one_bias:,}", f"{_count(nn.RNN(10, 20)):,}", f"{_count(nn.GRU(10, 20)):,}"} == set(q.options) - set(q.answers)
    q = day4("`nn.GRU(input_size=28, hidden_size=128)`")
    assert q.answers == [f"{_count(nn.GRU(28, 128)):,}"]
    one_bias = _count(nn.GRU(28, 128)) - nn.GRU(28, 128).bias_hh_l0.numel()
    assert {f"{one_bias:,}", f"{_count(nn.RNN(28, 128)):,}", f"{_count(nn.LSTM(28, 128)):,}"} == set(q.options) - set(q.answers)


def test_day4_lstm_output_shapes():
    import torch
    from torch import nn

    output, (h_n, c_n) = nn.LSTM(8, 32, num_layers=2, batch_first=True)(torch.zeros(16, 50, 8))
    assert c_n.shape == h_n.shape
    assert day4("num_layers=2, batch_first=True").answers == [f"output {list(output.shape)}, h_n {list(h_n.shape)}"]


def test_day4_truncation_cuts_the_gradient_but_keeps_the_state():
    import torch
    from torch import nn

    torch.manual_seed(0)
    rnn = nn.RNN(1, 4)
    first, second = torch.randn(3, 1, 1, requires_grad=True), torch.randn(3, 1, 1)
    _, h = rnn(first)
    out, _ = rnn(second, h.detach())
    out.sum().backward()
    assert first.grad is None  # no gradient reaches the previous chunk
    out_from_zero, _ = rnn(second)
    assert not torch.allclose(out, out_from_zero)  # but its state still changes what the next chunk computes
    assert "at most 100 steps" in day4("truncated backpropagation through time").answers[0]


def test_day4_clipping_only_shrinks():
    import torch

    def clipped_norm(norm):
        w = torch.zeros(3, requires_grad=True)
        w.grad = torch.tensor([norm, 0.0, 0.0])
        torch.nn.utils.clip_grad_norm_([w], max_norm=1.0)
        return w.grad.norm().item()

    assert clipped_norm(50.0) == pytest.approx(1.0) and clipped_norm(0.01) == pytest.approx(0.01)
    assert day4("Gradient-norm clipping").answers[0].startswith("Exploding gradients")


def test_day4_a_gradient_through_50_linear_steps():
    import torch

    factors = []
    for w in (0.9, 1.1):
        h0 = torch.tensor(1.0, requires_grad=True)
        h = h0
        for _ in range(50):
            h = w * h
        h.backward()
        factors.append(h0.grad.item())
    assert day4("h_t = w · h_(t-1)").answers == [f"{factors[0]:.2g} and {factors[1]:.3g}"]


def test_day4_what_leaks():
    import torch

    from coursekit.forecasting import Scaler, make_windows

    series = torch.arange(100.0)
    whole, train_only = Scaler().fit(series), Scaler().fit(series[:80])
    scaler_leaks = whole.mean_ != train_only.mean_  # the whole series' statistics include the test period's
    x_val, y_val = make_windows(series, 10, start=80)
    reading_the_past_leaks = bool((y_val < 80).any())  # inputs reach back into training; no target does
    assert x_val.min() < 80 and not reading_the_past_leaks
    shuffled = torch.randperm(90, generator=torch.Generator().manual_seed(0))
    shuffle_leaks = bool(shuffled[:72].max() > shuffled[72:].min())  # some training target lies after a test one
    q = day4("leak information from the test period")
    truths = [shuffle_leaks, reading_the_past_leaks, scaler_leaks, True]  # choosing by the test score always leaks
    assert true_options(q, truths) == set(q.answers)


def test_day4_naive_rmse_of_a_short_series():
    import torch

    from coursekit.forecasting import mae, make_windows, naive_forecast, rmse

    inputs, targets = make_windows(torch.tensor([3.0, 5.0, 4.0, 8.0, 6.0]), lookback=1)
    assert day4("3, 5, 4, 8, 6").answers == [f"{rmse(naive_forecast(inputs), targets):g}"]
    assert f"{mae(naive_forecast(inputs), targets):g}" in day4("3, 5, 4, 8, 6").options  # the MAE slip


def test_day4_seasonal_naive_repeats_the_same_months():
    import torch

    from coursekit.forecasting import seasonal_naive_forecast

    months = torch.arange(1.0, 13.0)[None]  # January = 1 ... December = 12 of the year just ended
    assert seasonal_naive_forecast(months, season=12, horizon=3).tolist() == [[1.0, 2.0, 3.0]]
    assert day4("seasonal-naive forecast with a season of 12").answers[0].startswith("the January, February and March")


def test_day4_temperature():
    import torch

    q = day4("logits [2, 0] for two tokens")
    probabilities = {t: torch.softmax(torch.tensor([2.0, 0.0]) / t, 0)[0].item() for t in (0.5, 1.0, 2.0)}
    assert q.answers == [f"{probabilities[0.5]:.3f}"]
    assert {f"{probabilities[1.0]:.3f}", f"{probabilities[2.0]:.3f}"} <= set(q.options)


def test_day4_uniform_model_over_65_characters():
    import torch
    import torch.nn.functional as F

    loss = F.cross_entropy(torch.zeros(65, 65), torch.arange(65)).item()  # every character equally likely
    q = day4("65 characters the same probability")
    assert q.answers == [f"ln 65 ≈ {loss:.2f}"] and f"log2 65 ≈ {loss / math.log(2):.2f}" in q.options


def test_day4_mse_lands_between_the_branches():
    import torch

    targets = torch.tensor([1.0, -1.0])
    grid = torch.linspace(-2, 2, 4001)
    mse = ((grid[:, None] - targets) ** 2).mean(dim=1)
    best = round(grid[mse.argmin()].item(), 6) + 0.0  # a tiny negative (or -0.0) would print as "-0"
    assert best == pytest.approx(0.0, abs=1e-6)
    assert day4("the target is +1 or −1").answers == [f"{best:.0f}, with an MSE of {mse.min().item():.0f}"]
