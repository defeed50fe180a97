"""Quizzes: multiple-choice questions with explanations, one JSON file per day in ``coursekit/quizzes/``.

``coursekit.quiz.show("day0")`` shows the day's quiz. In JupyterLab (or any front end with
ipywidgets) each question has its options, a Check button, and the explanation once answered.
Where no widget can be shown, the quiz appears in a static form, the questions and their
options with the answers hidden. The rule:

- ``COURSEKIT_STATIC_QUIZ=1`` (the tests set it): static form only;
- outside a Jupyter kernel (a terminal, a script): static form, printed;
- in a Jupyter kernel: one output that holds the widgets *and* the static form as its
  fallback, so a front end without ipywidgets (nbval, nbconvert, a notebook viewer) shows the
  static form and JupyterLab shows the widgets. No guessing about the front end is needed.

A quiz file looks like this; ``answers`` must be among ``options``, a question with
``"multiple": false`` (the default) has exactly one answer::

    {"day": "day0", "title": "How exercises work", "questions": [
      {"question": "...", "options": ["...", "..."], "answers": ["..."],
       "multiple": false, "explanation": "..."}]}

Text between `backticks` is shown as code.
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

QUIZ_DIR = Path(__file__).resolve().parent / "quizzes"
STATIC_ENV = "COURSEKIT_STATIC_QUIZ"
_KEYS = {"question", "options", "answers", "multiple", "explanation"}


class QuizError(ValueError):
    """A quiz file that is missing or not written as described above."""


@dataclass
class Question:
    text: str
    options: list[str]
    answers: list[str]
    multiple: bool
    explanation: str


@dataclass
class Quiz:
    day: str
    title: str
    questions: list[Question]

    def __str__(self) -> str:
        lines = [f"Quiz, {self.day}: {self.title} ({len(self.questions)} questions; "
                 "answer them in JupyterLab to see the explanations)"]
        for number, q in enumerate(self.questions, 1):
            lines += ["", f"{number}. {q.text}" + (" (choose all that apply)" if q.multiple else "")]
            box = "[ ]" if q.multiple else "( )"
            lines += [f"   {box} {option}" for option in q.options]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        items = "".join(
            f"<li><p>{_html(q.text)}{' <i>(choose all that apply)</i>' if q.multiple else ''}</p><ul>"
            + "".join(f"<li>{_html(option)}</li>" for option in q.options) + "</ul></li>"
            for q in self.questions)
        return f"<h4>Quiz: {_html(self.title)}</h4><ol>{items}</ol>"


def problems(data) -> list[str]:
    """Everything wrong with a quiz file's contents (an empty list when it is fine)."""
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list) or not data["questions"]:
        return ["the file must hold an object with a non-empty list of 'questions'"]
    found = [] if isinstance(data.get("title"), str) and data["title"] else ["the quiz has no 'title'"]
    for number, q in enumerate(data["questions"], 1):
        where = f"question {number}"
        if not isinstance(q, dict):
            found.append(f"{where} is not an object")
            continue
        found += [f"{where} has an unknown key {key!r}" for key in sorted(set(q) - _KEYS)]
        for key in ("question", "explanation"):
            if not isinstance(q.get(key), str) or not q[key].strip():
                found.append(f"{where} has no '{key}' text")
        options, answers = q.get("options"), q.get("answers")
        if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) and o for o in options):
            found.append(f"{where} needs at least two 'options', each a text")
        elif len(set(options)) != len(options):
            found.append(f"{where} has the same option twice")
        elif not isinstance(answers, list) or not answers:
            found.append(f"{where} needs a list of 'answers'")
        else:
            found += [f"{where}: the answer {a!r} is not one of its options" for a in answers if a not in options]
            if not isinstance(q.get("multiple", False), bool):
                found.append(f"{where}: 'multiple' must be true or false")
            elif not q.get("multiple", False) and len(answers) != 1:
                found.append(f"{where} has one answer to choose but {len(answers)} answers given "
                             "(set \"multiple\": true for choose-all-that-apply)")
    return found


def load(day: str) -> Quiz:
    """The quiz of ``day`` ("day0"), checked; raises QuizError when the file is missing or malformed."""
    file = QUIZ_DIR / f"{day}.json"
    if not file.is_file():
        known = ", ".join(sorted(p.stem for p in QUIZ_DIR.glob("*.json"))) or "none"
        raise QuizError(f"There is no quiz {day!r} (quizzes: {known}).")
    data = json.loads(file.read_text(encoding="utf-8"))
    found = problems(data)
    if found:
        raise QuizError(f"{file.name}: " + "; ".join(found))
    questions = [Question(q["question"], q["options"], q["answers"], q.get("multiple", False), q["explanation"])
                 for q in data["questions"]]
    return Quiz(day, data["title"], questions)


def show(day: str) -> None:
    """Show the quiz of ``day``: widgets in JupyterLab, the static form elsewhere (see the module's doc)."""
    quiz = load(day)
    shell = _kernel_shell()
    if shell is None or os.environ.get(STATIC_ENV, "").strip().lower() in ("1", "true", "yes"):
        if shell is None:
            print(quiz)
        else:
            from IPython.display import display

            display({"text/plain": str(quiz), "text/html": quiz._repr_html_()}, raw=True)
        return
    from IPython.display import display

    bundle = widget(quiz)._repr_mimebundle_()
    bundle.update({"text/plain": str(quiz), "text/html": quiz._repr_html_()})
    display(bundle, raw=True)


def _kernel_shell():
    """The IPython shell when running in a Jupyter kernel, else None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and hasattr(shell, "kernel") else None


def widget(quiz: Quiz):
    """The whole quiz as one ipywidgets box."""
    import ipywidgets as w

    title = w.HTML(f"<h4>Quiz: {_html(quiz.title)}</h4>")
    return w.VBox([title] + [_question_widget(n, q) for n, q in enumerate(quiz.questions, 1)])


def _question_widget(number: int, q: Question):
    import ipywidgets as w

    wide = w.Layout(width="auto")
    if q.multiple:
        boxes = [w.Checkbox(value=False, description=option, indent=False, layout=wide) for option in q.options]
        choice, chosen = w.VBox(boxes), lambda: {b.description for b in boxes if b.value}
    else:
        choice = w.RadioButtons(options=q.options, value=None, layout=wide)
        chosen = lambda: {choice.value} - {None}  # noqa: E731
    button = w.Button(description="Check")
    feedback = w.HTML()

    def answer(_):
        picked = chosen()
        if not picked:
            feedback.value = "Choose an answer first."
            return
        right = picked == set(q.answers)
        verdict = "<b style='color:#1a7f37'>Right.</b>" if right else "<b style='color:#cf222e'>Not quite.</b>"
        feedback.value = f"{verdict} {_html(q.explanation)}"

    button.on_click(answer)
    hint = " <i>(choose all that apply)</i>" if q.multiple else ""
    return w.VBox([w.HTML(f"<p><b>{number}.</b> {_html(q.text)}{hint}</p>"), choice, button, feedback])


def _html(text: str) -> str:
    """Escape ``text`` for HTML and show `backticked` parts as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))
