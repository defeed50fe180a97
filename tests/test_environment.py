import subprocess
import sys

import pytest
import torch

from coursekit import environment
from coursekit.environment import doctor, get_device


def test_get_device_defaults_to_the_best_available(monkeypatch):
    monkeypatch.delenv(environment.DEVICE_ENV_VAR, raising=False)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert get_device().type == expected


def test_get_device_can_be_forced_to_cpu(monkeypatch):
    monkeypatch.setenv(environment.DEVICE_ENV_VAR, "cpu")
    assert get_device() == torch.device("cpu")
    assert get_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_a_missing_device_says_which_exist(monkeypatch):
    monkeypatch.delenv(environment.DEVICE_ENV_VAR, raising=False)
    with pytest.raises(ValueError, match="has only: .*cpu"):
        get_device("cuda")


def test_doctor_reports_versions_device_and_speed(capsys):
    report = doctor(tensorflow=False)
    printed = capsys.readouterr().out
    assert report, report.to_text()
    names = {c.name for c in report.checks}
    assert {"Python", "version", "device for the course", "run mode", "data root"} <= names
    assert torch.__version__.split("+")[0] in printed
    assert "GFLOP/s" in printed
    assert report.device == str(get_device())


def test_doctor_checks_every_pinned_package():
    pins = environment._pinned_requirements()
    assert pins["torch"] == "2.13.0" and "numpy" in pins and "jupyterlab" in pins
    report = doctor(tensorflow=False, speed=False, verbose=False)
    packages = {c.name for c in report.checks if c.section == "packages"}
    assert set(pins) <= packages


def test_doctor_turns_a_version_mismatch_into_advice(monkeypatch):
    real_version = environment.metadata.version
    monkeypatch.setattr(environment.metadata, "version",
                        lambda name: "0.0.1" if name == "tqdm" else real_version(name))
    report = doctor(tensorflow=False, speed=False, verbose=False)
    (tqdm_row,) = [c for c in report.checks if c.name == "tqdm"]
    assert tqdm_row.status == "warn" and "./setup.sh" in tqdm_row.advice
    assert "tqdm" in report.to_text(brief=True)


def test_doctor_turns_a_missing_package_into_a_failure_not_a_traceback(monkeypatch):
    real_version = environment.metadata.version

    def version(name):
        if name == "matplotlib":
            raise environment.metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(environment.metadata, "version", version)
    report = doctor(tensorflow=False, speed=False, verbose=False)
    assert not report
    assert "matplotlib==" in report.to_text()


def test_doctor_survives_a_broken_tensorflow(monkeypatch):
    monkeypatch.setattr(environment, "_TF_PROBE", "raise ImportError('libtensorflow.so: cannot open')")
    report = doctor(speed=False, verbose=False)
    (row,) = [c for c in report.checks if c.section == "tensorflow"]
    assert row.status == "fail" and "libtensorflow.so" in row.value


def test_doctor_html_form_has_a_row_per_check():
    report = doctor(tensorflow=False, speed=False, verbose=False)
    assert report._repr_html_().count("<tr>") == len(report.checks) + 1


def test_doctor_command_runs_with_tensorflow():
    out = subprocess.run([sys.executable, "-m", "coursekit", "doctor"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "TensorFlow 2.21.0, Keras 3" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


def test_cli_reports_a_bad_mode_without_a_traceback():
    out = subprocess.run([sys.executable, "-m", "coursekit", "mode"], capture_output=True, text=True,
                         env={**__import__("os").environ, "COURSEKIT_MODE": "warp"})
    assert out.returncode == 1
    assert "not a run mode" in out.stderr and "Traceback" not in out.stderr
