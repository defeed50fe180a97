"""Exercise checks: right answers pass, every kind of wrong answer becomes feedback, nothing leaks out."""

from __future__ import annotations

import threading
import time
import warnings

import pytest
import torch
from torch import nn

from coursekit.checks import Case, Result, all_exercises, check, compare, describe, exercise, run_check
from coursekit.checks.cases import _REGISTRY
from coursekit.checks.result import show


@pytest.fixture(autouse=True)
def private_progress(tmp_path, monkeypatch):
    """Checks record progress: never in the developer's own file."""
    file = tmp_path / "progress.json"
    monkeypatch.setenv("COURSEKIT_PROGRESS", str(file))
    return file


@pytest.fixture
def registry():
    """Register test-only exercises for one test, then forget them."""
    saved = dict(_REGISTRY)
    yield
    _REGISTRY.clear()
    _REGISTRY.update(saved)


# ----------------------------------------------------------------------------- right answers


def relu(x):
    return torch.where(x > 0, x, 0.0)


def gradient(f, x):
    x = x.detach().requires_grad_()
    f(x).backward()
    return x.grad


def make_model():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


@pytest.mark.parametrize("id, answer", [
    ("day0.relu", relu),
    ("day0.relu", lambda x: x.clamp(min=0)),
    ("day0.gradient", gradient),
    ("day0.gradient", lambda f, x: torch.autograd.grad(f(t := x.detach().requires_grad_()), t)[0]),
    ("day0.model", make_model()),
])
def test_right_answers_pass(id, answer):
    result = run_check(id, answer)
    assert result.passed, result.message
    assert result and result.status == "passed"
    assert result.points == result.max_points == 1
    assert result.message.count("\n") == 0  # a single success line


def test_every_exercise_is_listed():
    assert [e.id for e in all_exercises()][:3] == ["day0.relu", "day0.gradient", "day0.model"]


# ----------------------------------------------------------------------------- wrong answers


def endless(x):
    while True:
        pass


def clamp_in_place(x):
    return x.clamp_(min=0)


def gradient_on_the_input(f, x):
    x.requires_grad_()
    f(x).backward()
    return x.grad


def forgot_return(x):
    torch.where(x > 0, x, 0.0)


class ShrinkingModel(nn.Sequential):
    """A model whose forward pass changes its own weights."""

    def forward(self, x):
        with torch.no_grad():
            self[0].weight.mul_(0.5)
        return super().forward(x)


def warns(x):
    warnings.warn("this is the learner's warning", stacklevel=1)
    return x


BAD_ANSWERS = [
    # (what was tried, id, answer, status, words the feedback must contain)
    ("an exception", "day0.relu", lambda x: x.nonexistent(), "failed", "AttributeError"),
    ("`...`", "day0.relu", ..., "not attempted", "not attempted yet"),
    ("None", "day0.model", None, "not attempted", "not attempted yet"),
    ("a function that forgets to return", "day0.relu", forgot_return, "not attempted", "`return` missing"),
    ("the result instead of the function", "day0.relu", relu(torch.ones(3)), "failed", "expected a function"),
    ("wrong shape", "day0.relu", lambda x: relu(x).sum(), "failed", "the shape is () but should be (5,)"),
    ("wrong dtype", "day0.relu", lambda x: relu(x).float(), "failed",
     "the dtype is torch.float32 but should be torch.float64"),
    ("NaN", "day0.relu", lambda x: x * (x > 0), "failed", "NaN where numbers were expected"),
    ("wrong values", "day0.relu", torch.abs, "failed", "|got - expected| <= 1e-06 + 1e-05 * |expected|"),
    ("tensor on another device", "day0.relu", lambda x: torch.empty(x.shape, device="meta"), "failed",
     "the tensor is on meta"),
    ("model on another device", "day0.model", make_model().to("meta"), "failed", "parameters are on meta"),
    ("endless loop", "day0.relu", endless, "failed", "did not finish in time"),
    ("input changed in place", "day0.relu", clamp_in_place, "failed", "changed an input (its values) in place"),
    ("input's requires_grad changed", "day0.gradient", gradient_on_the_input, "failed",
     "changed an input (its requires_grad flag) in place"),
    ("model that changes itself in place", "day0.model",
     ShrinkingModel(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)), "failed", "changed the model (its 0.weight)"),
    ("model without activation", "day0.model", nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 3)), "failed",
     "is the ReLU missing?"),
    ("too many parameters", "day0.model", nn.Sequential(nn.Linear(4, 9), nn.ReLU(), nn.Linear(9, 3)), "failed",
     "got 75, expected 67"),
    ("a list instead of a model", "day0.model", [nn.Linear(4, 8)], "failed", "expected a model"),
    ("a warning and a wrong answer", "day0.relu", warns, "failed", "your code warned: UserWarning"),
    ("a mistyped exercise id", "day0.rleu", relu, "failed", "Did you mean 'day0.relu'?"),
]


@pytest.mark.parametrize("what, id, answer, status, words", BAD_ANSWERS, ids=[b[0] for b in BAD_ANSWERS])
def test_bad_answers_become_feedback(what, id, answer, status, words, capfd):
    result = run_check(id, answer, time_limit=0.5)
    assert result.status == status, result.message
    assert words in result.message, result.message
    assert not result
    out, err = capfd.readouterr()
    assert out == "" and err == "", "run_check printed something"
    if status == "failed" and "Did you mean" not in words:
        assert "hint" in result.message


def test_an_endless_loop_is_stopped_in_time():
    start = time.perf_counter()
    result = run_check("day0.relu", endless, time_limit=0.3)
    assert time.perf_counter() - start < 3
    assert "so the check stopped it" in result.message
    time.sleep(0.2)
    assert not [t for t in threading.enumerate() if t.name == "coursekit-check"]


def test_the_failure_feedback_says_given_expected_got_problem_and_hint():
    lines = run_check("day0.relu", lambda x: relu(x).float()).message.splitlines()
    assert lines[0] == "✘ day0.relu: not right yet (case 3 of 4)."
    assert [line.split()[0] for line in lines[1:]] == ["given", "expected", "got", "problem", "hint"]
    assert lines[1].endswith("(shape (2, 3), float64)")


def test_a_broken_check_is_reported_not_raised(registry):
    @exercise("test.broken", expects="function", hint="")
    def broken_cases():
        raise RuntimeError("bug in the check")
        yield  # pragma: no cover

    result = run_check("test.broken", relu)
    assert result.status == "failed" and "the check itself failed" in result.message


def test_a_property_test_that_trips_is_feedback(registry):
    @exercise("test.property", expects="function", hint="h")
    def property_cases():
        yield Case("x = 1", args=(1,), test=lambda out: out.missing_attribute)

    assert "could not make sense" in run_check("test.property", lambda x: x).message


# ----------------------------------------------------------------------------- side effects


def test_the_learners_tensors_and_models_are_not_changed():
    model = make_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.eval()
    assert run_check("day0.model", model).passed
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())
    assert not model.training

    shrinking = ShrinkingModel(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    weight = shrinking[0].weight.clone()
    run_check("day0.model", shrinking)
    assert torch.equal(shrinking[0].weight, weight)


def test_random_state_is_kept():
    model = make_model()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    run_check("day0.model", model)  # the check itself makes random inputs and models
    run_check("day0.relu", lambda x: torch.rand_like(x))  # and so does this answer
    assert torch.equal(torch.rand(3), expected)


def test_warnings_stay_off_stderr(capfd):
    run_check("day0.relu", warns)
    run_check("day0.relu", lambda x: warns(relu(x)))
    assert capfd.readouterr().err == ""


# ----------------------------------------------------------------------------- check() and Result


def test_check_shows_records_and_returns_the_result(capsys, private_progress):
    result = check("day0.relu", relu)
    assert isinstance(result, Result) and result
    assert capsys.readouterr().out == "✔ day0.relu: passed, all 4 cases right.\n"
    assert '"day0.relu"' in private_progress.read_text()
    assert not check("day0.gradient", ...)
    assert "not attempted" in capsys.readouterr().out


def test_check_can_skip_recording_and_ignores_unknown_ids(capsys, private_progress):
    check("day0.relu", torch.abs, record=False)
    check("nope.nothing", relu)
    assert not private_progress.exists()
    assert "there is no exercise called 'nope.nothing'" in capsys.readouterr().out


def test_a_broken_progress_file_does_not_break_a_check(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSEKIT_PROGRESS", str(tmp_path))  # a folder, not a file
    assert check("day0.relu", relu)
    assert "passed" in capsys.readouterr().out


def test_result_html_and_dict():
    result = run_check("day0.relu", lambda x: "<b>")
    html = result._repr_html_()
    assert "&#x27;&lt;b&gt;&#x27;" in html and "'<b>'" not in html
    assert "day0.relu" in html and "#cf222e" in html
    assert result.to_dict()["status"] == "failed" and result.to_dict()["max_points"] == 1


def test_shown_once_in_a_cell(monkeypatch):
    shown = []
    monkeypatch.setattr("coursekit.checks.result._cell_number", lambda: 7)
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append(a))
    result = run_check("day0.relu", relu)
    show(result)  # what check() does
    result._ipython_display_()  # the same cell then displays its last value: skipped
    assert len(shown) == 1
    monkeypatch.setattr("coursekit.checks.result._cell_number", lambda: 8)
    result._ipython_display_()  # shown again in a later cell
    assert len(shown) == 2


# ----------------------------------------------------------------------------- compare()


@pytest.mark.parametrize("got, expected, words", [
    (torch.zeros(3), torch.zeros(3), None),
    (torch.zeros(3) + 1e-7, torch.zeros(3), None),
    ([1, 2], torch.zeros(2), "expected a tensor, got a list"),
    (torch.zeros(2, 3), torch.zeros(3, 2), "the shape is (2, 3) but should be (3, 2)"),
    (torch.zeros(3, dtype=torch.int64), torch.zeros(3), "the dtype is torch.int64 but should be torch.float32"),
    (torch.empty(3, device="meta"), torch.zeros(3), "the tensor is on meta"),
    (torch.tensor([0.0, float("nan")]), torch.zeros(2), "1 value(s) are NaN"),
    (torch.tensor([float("nan")]), torch.tensor([float("nan")]), None),
    (torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]), "1 of 2 values differ; at index (1,) got 2.5, expected 2"),
    (torch.tensor([1, 3]), torch.tensor([1, 2]), "(tolerance: exact)"),
    (torch.tensor(2.0), torch.tensor(3.0), "at index () got 2"),
    (3, 3, None),
    (3.0000001, 3.0, None),
    (torch.tensor(67), 67, None),
    ("67", 67, "expected a number, got a str"),
    (float("nan"), 1.0, "got NaN"),
    ((torch.zeros(2), 1), (torch.zeros(2), 2), "item 1: got 1, expected 2"),
    ((1,), (1, 2), "expected 2 items, got 1"),
    ("a", "a", None),
])
def test_compare_says_what_differs(got, expected, words):
    problem = compare(got, expected)
    assert problem == words if words is None else words in problem


def test_describe_is_one_short_line():
    text = describe(torch.randn(100, 100, dtype=torch.float64))
    assert "\n" not in text and len(text) < 130 and text.endswith("(shape (100, 100), float64)")
    assert describe(torch.empty(2, device="meta")) == "a tensor without data (shape (2,), float32, on meta)"
