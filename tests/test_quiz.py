"""Quizzes: valid data files, a static form with the answers hidden, widgets that explain."""

from __future__ import annotations

import copy
import json

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
    assert 3 <= len(loaded.questions) <= 12  # a short quiz: a few minutes at the end of a day
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


def test_static_form_shows_questions_and_options_but_hides_answers(capsys):
    day0 = quiz.load("day0")
    quiz.show("day0")
    text = capsys.readouterr().out
    assert text.strip() == str(day0).strip()
    for number, q in enumerate(day0.questions, 1):
        assert f"{number}. {q.text}" in text
        assert q.explanation not in text
        box = "[ ]" if q.multiple else "( )"
        for option in q.options:  # the right answers look like any other option
            assert f"   {box} {option}\n" in text + "\n"
    html = day0._repr_html_()
    assert all(q.explanation not in html for q in day0.questions) and "<code>" in html


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
