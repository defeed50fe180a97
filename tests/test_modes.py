import pytest

from coursekit import modes


@pytest.fixture(autouse=True)
def clean_mode(monkeypatch):
    monkeypatch.delenv(modes.ENV_VAR, raising=False)
    monkeypatch.setattr(modes, "_chosen_in_code", None)


def test_default_comes_from_the_hardware():
    import torch

    mode = modes.run_mode()
    assert mode.name == ("full" if torch.cuda.is_available() else "laptop")
    assert "automatically" in mode.reason


def test_environment_variable_overrides_hardware(monkeypatch):
    monkeypatch.setenv(modes.ENV_VAR, " Fast ")
    mode = modes.run_mode()
    assert mode.name == "fast" and modes.ENV_VAR in mode.reason


def test_code_overrides_environment_variable(monkeypatch):
    monkeypatch.setenv(modes.ENV_VAR, "fast")
    assert modes.set_run_mode("full").name == "full"
    assert modes.run_mode().reason.startswith("set in code")
    assert modes.set_run_mode(None).name == "fast"


def test_pick_returns_the_value_for_the_mode():
    assert modes.set_run_mode("fast").pick(fast=1, laptop=5, full=30) == 1
    assert modes.set_run_mode("laptop").pick(fast=1, laptop=5, full=30) == 5
    assert modes.set_run_mode("full").pick(fast=1, laptop=5, full=30) == 30


def test_pick_needs_all_three_values():
    with pytest.raises(TypeError):
        modes.set_run_mode("fast").pick(fast=1, laptop=5)


@pytest.mark.parametrize("bad", ["quick", "", "gpu"])
def test_unknown_mode_in_code_names_the_choices(bad):
    with pytest.raises(ValueError, match="fast, laptop, full"):
        modes.set_run_mode(bad)


def test_unknown_mode_in_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv(modes.ENV_VAR, "turbo")
    with pytest.raises(ValueError, match=r"\$COURSEKIT_MODE is 'turbo'"):
        modes.run_mode()
