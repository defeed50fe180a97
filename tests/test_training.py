"""coursekit.training: fit, evaluate, History, early stopping, checkpoints."""

import matplotlib
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

matplotlib.use("Agg")

from coursekit.training import History, evaluate, fit, load_checkpoint, make_loader, save_checkpoint  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models: one thread is faster, and immune to a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def blobs(n=200, seed=0):
    """Two Gaussian clouds in the plane, classes 0 and 1: learnable to near 100%."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 2, generator=g) * 0.6 + (y.float() * 2 - 1).unsqueeze(1) * torch.tensor([1.5, 1.0])
    return x, y


def small_net(seed=0, outputs=2):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, outputs))


def test_loss_decreases_and_accuracy_rises_on_a_learnable_problem():
    x, y = blobs()
    model = small_net()
    before = evaluate(model, (x, y))
    history = fit(model, (x, y), epochs=15, batch_size=32, device="cpu", verbose=False,
                  optimizer=torch.optim.Adam(model.parameters(), lr=0.01))
    after = evaluate(model, (x, y))
    assert history["loss"][-1] < 0.3 * history["loss"][0]
    assert history["accuracy"][-1] > 0.95
    assert after["loss"] < 0.3 * before["loss"] and after["accuracy"] > 0.95


def test_history_has_one_entry_per_epoch_for_every_number():
    x, y = blobs()
    history = fit(small_net(), (x, y), epochs=4, val_data=(x[:50], y[:50]), device="cpu", verbose=False)
    assert isinstance(history, History)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    assert history.epochs == 4
    assert all(len(values) == 4 for values in history.values())
    assert history["lr"] == [pytest.approx(1e-3)] * 4
    assert all(s > 0 for s in history["seconds"])
    assert set(history.curves()) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert "4 epochs" in repr(history)


def test_evaluate_matches_a_hand_computation_with_uneven_batches():
    torch.manual_seed(1)
    x, y = torch.randn(53, 2), torch.randint(0, 3, (53,))
    model = nn.Sequential(nn.Linear(2, 3))
    with torch.no_grad():
        logits = model(x)
    expected_loss = nn.functional.cross_entropy(logits, y).item()
    expected_acc = (logits.argmax(1) == y).float().mean().item()
    scores = evaluate(model, (x, y), batch_size=7)  # 7 batches of 7 and one of 4
    assert scores["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert scores["accuracy"] == pytest.approx(expected_acc)
    assert 0 < expected_acc < 1  # a test that could fail: not all right, not all wrong


def test_evaluate_uses_eval_mode_and_gives_the_mode_back():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 64), nn.Dropout(0.5), nn.Linear(64, 2))
    x, y = blobs(64)
    model.train()
    first, second = evaluate(model, (x, y)), evaluate(model, (x, y))
    assert first == second  # dropout off: the same numbers twice
    assert model.training


def test_regression_outputs_of_width_one_are_not_broadcast():
    torch.manual_seed(0)
    x = torch.randn(40, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.1 * torch.randn(40)  # shape [40]
    model = nn.Linear(3, 1)  # outputs [40, 1]
    with torch.no_grad():
        expected = ((model(x).squeeze(1) - y) ** 2).mean().item()
    assert evaluate(model, (x, y), loss_fn=nn.MSELoss(), metrics=None)["loss"] == pytest.approx(expected, rel=1e-5)
    history = fit(model, (x, y), epochs=60, loss_fn=nn.MSELoss(), metrics=(), batch_size=8,
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.05), device="cpu", verbose=False)
    assert history["loss"][-1] < 0.05
    assert set(history) == {"loss", "lr", "seconds"}


def test_binary_accuracy_with_one_logit_and_bce():
    x, y = blobs()
    model = small_net(outputs=1)
    history = fit(model, (x, y.float()), epochs=15, batch_size=32, loss_fn=nn.BCEWithLogitsLoss(),
                  device="cpu", verbose=False)
    assert history["accuracy"][-1] > 0.95
    with torch.no_grad():
        by_hand = ((model(x).squeeze(1) > 0).long() == y).float().mean().item()
    assert evaluate(model, (x, y.float()), loss_fn=nn.BCEWithLogitsLoss())["accuracy"] == pytest.approx(by_hand)


def test_a_metric_can_be_any_function():
    def error_rate(outputs, targets):
        return (outputs.argmax(1) != targets).float().mean().item()

    x, y = blobs()
    history = fit(small_net(), (x, y), epochs=3, metrics=["accuracy", error_rate], val_data=(x, y),
                  device="cpu", verbose=False)
    for prefix in ("", "val_"):
        for acc, err in zip(history[prefix + "accuracy"], history[prefix + "error_rate"]):
            assert acc + err == pytest.approx(1.0)


def test_early_stopping_stops_and_restores_the_best_weights(tmp_path):
    x, y = blobs()
    # Validation labels are the opposite of the training labels: the better the model learns,
    # the worse the validation loss, so the best epoch is an early one and patience runs out.
    history = fit(small_net(), (x, y), epochs=50, val_data=(x, 1 - y), patience=3, device="cpu",
                  verbose=False, checkpoint=tmp_path / "best.pt")
    assert history.stopped_early
    assert history.epochs == history.best_epoch + 3 < 50
    best = history["val_loss"][history.best_epoch - 1]
    assert best == min(history["val_loss"])
    assert best < history["val_loss"][-1]


def test_the_restored_model_is_the_best_one(tmp_path):
    x, y = blobs()
    model = small_net()
    history = fit(model, (x, y), epochs=50, val_data=(x, 1 - y), patience=3, device="cpu", verbose=False,
                  checkpoint=tmp_path / "best.pt")
    best = history["val_loss"][history.best_epoch - 1]
    assert evaluate(model, (x, 1 - y))["loss"] == pytest.approx(best, rel=1e-6)
    saved = torch.load(tmp_path / "best.pt")
    assert saved["epoch"] == history.best_epoch
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, saved["model"][name])


def test_without_patience_training_runs_all_epochs_and_keeps_the_last_weights():
    x, y = blobs()
    model = small_net()
    history = fit(model, (x, y), epochs=6, val_data=(x, 1 - y), device="cpu", verbose=False)
    assert history.epochs == 6 and not history.stopped_early
    assert evaluate(model, (x, 1 - y))["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-6)


def test_checkpoint_round_trip_restores_model_optimizer_and_epoch(tmp_path):
    x, y = blobs()
    model = small_net()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    fit(model, (x, y), epochs=3, optimizer=optimizer, device="cpu", verbose=False)
    path = save_checkpoint(tmp_path / "sub" / "model.pt", model, optimizer, epoch=3, note="hello")

    fresh = small_net(seed=123)
    fresh_optimizer = torch.optim.Adam(fresh.parameters(), lr=0.5)
    assert not torch.equal(fresh[0].weight, model[0].weight)
    state = load_checkpoint(path, fresh, fresh_optimizer)
    assert state["epoch"] == 3 and state["note"] == "hello"
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, fresh.state_dict()[name])
    assert fresh_optimizer.param_groups[0]["lr"] == 0.01
    steps = [s["step"] for s in fresh_optimizer.state_dict()["state"].values()]
    assert steps and all(float(s) == 3 * 4 for s in steps)  # 3 epochs of ceil(200 / 64) = 4 batches


def test_a_dataset_a_dataloader_and_a_pair_of_tensors_give_the_same_run():
    x, y = blobs()
    runs = []
    for data in [(x, y), TensorDataset(x, y), DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)]:
        torch.manual_seed(7)  # the same shuffling for each
        runs.append(fit(small_net(), data, epochs=3, batch_size=32, device="cpu", verbose=False))
    assert runs[0]["loss"] == runs[1]["loss"] == runs[2]["loss"]


def test_make_loader_keeps_every_sample_once():
    x, y = torch.arange(10.0).unsqueeze(1), torch.arange(10)
    loader = make_loader((x, y), batch_size=4, shuffle=True)
    assert len(loader) == 3
    seen = torch.cat([yb for _, yb in loader])
    assert sorted(seen.tolist()) == list(range(10))
    assert [len(yb) for _, yb in make_loader((x, y), batch_size=4)] == [4, 4, 2]
    with pytest.raises(TypeError, match="Dataset"):
        make_loader([1, 2, 3])


def test_model_and_batches_go_to_the_device_asked_for():
    x, y = blobs()
    seen = []

    class Recorder(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = small_net()

        def forward(self, inputs):
            seen.append((inputs.device, next(self.parameters()).device, self.training))
            return self.net(inputs)

    model = Recorder()
    fit(model, (x, y), epochs=1, batch_size=100, val_data=(x, y), device="cpu", verbose=False)
    cpu = torch.device("cpu")
    assert seen == [(cpu, cpu, True), (cpu, cpu, True), (cpu, cpu, False)]  # 2 training batches, 1 validation
    assert evaluate(model, (x, y), device=torch.device("cpu"))["accuracy"] >= 0


def test_a_callback_sees_every_epoch_and_can_stop_training():
    x, y = blobs()
    calls = []

    def stop_after_two(epoch, history, model):
        calls.append((epoch, history.epochs))
        return epoch == 2

    history = fit(small_net(), (x, y), epochs=10, callbacks=[stop_after_two], device="cpu", verbose=False)
    assert calls == [(1, 1), (2, 2)]
    assert history.epochs == 2


def test_the_learning_rate_of_each_epoch_is_recorded_with_a_scheduler():
    x, y = blobs()
    model = small_net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    history = fit(model, (x, y), epochs=5, optimizer=optimizer, scheduler=scheduler, device="cpu", verbose=False)
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_live_plot_and_progress_bars_run_outside_a_notebook(capsys):
    x, y = blobs()
    history = fit(small_net(), (x, y), epochs=2, val_data=(x, y), device="cpu", live_plot=True, verbose=True)
    assert history.epochs == 2
    assert len(history.plot().axes) == 2  # loss and accuracy panels


def test_unknown_metric_and_monitor_are_explained():
    x, y = blobs()
    with pytest.raises(ValueError, match="Unknown metric"):
        fit(small_net(), (x, y), epochs=1, metrics=["f1"], device="cpu", verbose=False)
    with pytest.raises(ValueError, match="monitor"):
        fit(small_net(), (x, y), epochs=1, monitor="val_accuracy", device="cpu", verbose=False)


def test_a_model_with_two_inputs_gets_both():
    x, y = blobs()

    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.head = nn.Linear(1, 8), nn.Linear(1, 8), nn.Linear(16, 2)

        def forward(self, first, second):
            return self.head(torch.relu(torch.cat([self.a(first), self.b(second)], dim=1)))

    torch.manual_seed(0)
    model = TwoInputs()
    data = (x[:, :1], x[:, 1:], y)
    history = fit(model, data, epochs=10, batch_size=32, device="cpu", verbose=False,
                  optimizer=torch.optim.Adam(model.parameters(), lr=0.01))
    assert history["accuracy"][-1] > 0.9
    with torch.no_grad():
        by_hand = (model(x[:, :1], x[:, 1:]).argmax(1) == y).float().mean().item()
    assert evaluate(model, data)["accuracy"] == pytest.approx(by_hand)
