"""coursekit.training: fit, evaluate, History, early stopping, checkpoints."""

import matplotlib
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

matplotlib.use("Agg")

from coursekit.training import History, evaluate, fit, load_checkpoint, make_loader, save_checkpoint  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_thread")  # see tests/conftest.py


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


# --------------------------------------------------------------------------- Day 2 additions


def test_a_per_batch_scheduler_steps_after_every_batch():
    x, y = blobs()  # 200 samples, batches of 50: 4 steps per epoch
    model = small_net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, total_steps=3 * 4)
    history = fit(model, (x, y), epochs=3, batch_size=50, optimizer=optimizer, scheduler=scheduler,
                  scheduler_step="batch", device="cpu", verbose=False)
    assert scheduler.last_epoch == 12  # one step per batch, not per epoch

    # The same schedule stepped by hand: the learning rate at the start of epochs 1, 2, 3.
    twin = torch.optim.SGD(small_net().parameters(), lr=0.1, momentum=0.9)
    twin_schedule = torch.optim.lr_scheduler.OneCycleLR(twin, max_lr=0.5, total_steps=12)
    expected = []
    for step in range(12):
        if step % 4 == 0:
            expected.append(twin.param_groups[0]["lr"])
        twin.step()
        twin_schedule.step()
    assert history["lr"] == pytest.approx(expected)
    assert expected[0] < expected[1] and expected[2] < expected[1]  # warm up, then anneal


def test_scheduler_step_must_be_epoch_or_batch():
    x, y = blobs()
    with pytest.raises(ValueError, match="scheduler_step"):
        fit(small_net(), (x, y), epochs=1, scheduler_step="step", device="cpu", verbose=False)


class InputRecorder(nn.Module):
    """small_net that remembers what it was given: (training?, inputs, is it channels-last?)."""

    def __init__(self, net):
        super().__init__()
        self.net, self.seen = net, []

    def forward(self, x):
        channels_last = x.ndim == 4 and x.is_contiguous(memory_format=torch.channels_last) and x.shape[1] > 1
        self.seen.append((self.training, x.clone(), channels_last, torch.is_autocast_enabled("cpu")))
        return self.net(x)


def test_batch_transform_changes_training_batches_only():
    x, y = blobs(100)
    calls = []

    def negate(batch):
        calls.append(len(batch))
        return -batch

    model = InputRecorder(small_net())
    fit(model, (x, y), epochs=2, batch_size=40, val_data=(x, y), batch_transform=negate, device="cpu",
        verbose=False)
    assert calls == [40, 40, 20] * 2  # every training batch, each epoch
    train_inputs = torch.cat([seen for training, seen, *_ in model.seen if training])
    val_inputs = [seen for training, seen, *_ in model.seen if not training]
    assert sorted((-train_inputs).sum(1).tolist()) == sorted(torch.cat([x, x]).sum(1).tolist())
    assert all(torch.equal(v, x) for v in val_inputs)  # validation sees the data as it is


def test_batch_transform_gets_every_input_of_a_two_input_model():
    x, y = blobs(64)

    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.head, self.pairs = nn.Linear(2, 2), []

        def forward(self, first, second):
            self.pairs.append((first.clone(), second.clone()))
            return self.head(torch.cat([first, second], dim=1))

    model = TwoInputs()
    fit(model, (x[:, :1], x[:, 1:], y), epochs=1, batch_size=64, batch_transform=lambda a, b: (b, a),
        device="cpu", verbose=False)
    (first, second), = model.pairs
    assert sorted(first.flatten().tolist()) == sorted(x[:, 1].tolist())  # swapped by the transform
    assert sorted(second.flatten().tolist()) == sorted(x[:, 0].tolist())


def test_label_smoothing_is_a_loss_and_keeps_the_loss_above_its_floor():
    # With smoothing 0.2 and 2 classes the targets become (0.9, 0.1): even a perfect model pays the
    # entropy of that distribution, 0.325, so the loss cannot fall below it; without smoothing it can.
    x, y = blobs()
    floor = -(0.9 * torch.log(torch.tensor(0.9)) + 0.1 * torch.log(torch.tensor(0.1))).item()
    runs = {}
    for smoothing in (0.0, 0.2):
        model = small_net()
        runs[smoothing] = fit(model, (x, y), epochs=40, val_data=(x, y), batch_size=32, device="cpu",
                              loss_fn=nn.CrossEntropyLoss(label_smoothing=smoothing), verbose=False,
                              optimizer=torch.optim.Adam(model.parameters(), lr=0.02))
    assert runs[0.0]["val_loss"][-1] < 0.2
    assert min(runs[0.2]["val_loss"]) > floor - 1e-4
    assert runs[0.2]["val_loss"][-1] < floor + 0.1  # it did learn: close to the floor
    assert runs[0.2]["val_accuracy"][-1] > 0.95


def test_mixed_precision_on_the_cpu_computes_in_bfloat16_and_still_learns():
    x, y = blobs()
    model = InputRecorder(small_net())
    dtypes = []
    model.net[0].register_forward_hook(lambda module, inputs, output: dtypes.append(output.dtype))
    history = fit(model, (x, y), epochs=15, batch_size=32, val_data=(x, y), mixed_precision=True, device="cpu",
                  optimizer=torch.optim.Adam(model.parameters(), lr=0.01), verbose=False)
    assert set(dtypes) == {torch.bfloat16}  # training and validation
    assert all(autocast_on for *_, autocast_on in model.seen)
    assert model.net[0].weight.dtype == torch.float32  # the weights themselves stay float32
    assert history["accuracy"][-1] > 0.95 and history["val_accuracy"][-1] > 0.95
    assert not torch.is_autocast_enabled("cpu")  # switched off again after training


def test_float16_mixed_precision_scales_the_loss_as_on_a_gpu():
    # The CUDA recipe (float16 + GradScaler), run on the CPU: the gradient that reaches the
    # outputs is the scaled one (x 65536), the step uses the unscaled one, and learning works.
    x, y = blobs()
    output_grads = {}
    for setting in (False, "float16"):
        model = small_net()
        grads = output_grads[setting] = []

        def record(module, inputs, output):
            output.register_hook(lambda grad: grads.append(grad.abs().sum().item()))

        model[2].register_forward_hook(record)
        # plain SGD: a step with gradients still 65536 times too large would throw the weights far away
        history = fit(model, (x, y), epochs=15, batch_size=32, mixed_precision=setting, device="cpu",
                      optimizer=torch.optim.SGD(model.parameters(), lr=0.1), verbose=False)
        assert history["accuracy"][-1] > 0.95
        assert model[0].weight.abs().max() < 10
    # Same start, same first batch: the float16 run's first output gradient is 65536 (2**16, the
    # scaler's initial factor) times larger, up to float16 rounding.
    assert max(output_grads[False]) <= 2  # cross-entropy averaged over a batch, unscaled
    assert output_grads["float16"][0] == pytest.approx(2**16 * output_grads[False][0], rel=0.01)


def test_channels_last_changes_the_layout_not_the_result():
    torch.manual_seed(0)
    x, y = torch.randn(64, 3, 8, 8), torch.randint(0, 3, (64,))

    def conv_net():
        torch.manual_seed(1)
        return InputRecorder(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                                           nn.Linear(4 * 8 * 8, 3)))

    runs = {}
    for layout in (False, True):
        model = conv_net()
        torch.manual_seed(2)
        runs[layout] = fit(model, (x, y), epochs=3, batch_size=16, val_data=(x, y), channels_last=layout,
                           device="cpu", verbose=False)
        assert all(seen_channels_last == layout for _, _, seen_channels_last, _ in model.seen)
        assert model.net[0].weight.is_contiguous(memory_format=torch.channels_last) == layout
    assert runs[True]["loss"] == pytest.approx(runs[False]["loss"], rel=1e-4)
    assert runs[True]["val_loss"] == pytest.approx(runs[False]["val_loss"], rel=1e-4)


def test_evaluate_with_mixed_precision_is_close_to_float32():
    x, y = blobs()
    model = small_net()
    exact = evaluate(model, (x, y))
    rounded = evaluate(model, (x, y), mixed_precision=True, channels_last=True)
    assert rounded["loss"] == pytest.approx(exact["loss"], rel=0.02)
    assert rounded["loss"] != exact["loss"]  # bfloat16 really was used


def test_early_stopping_on_accuracy_keeps_the_checkpoint_of_the_best_epoch(tmp_path):
    x, y = blobs()
    model = small_net()
    history = fit(model, (x, y), epochs=40, val_data=(x, 1 - y), monitor="val_accuracy", patience=2,
                  checkpoint=tmp_path / "best.pt", device="cpu", verbose=False, mixed_precision=True,
                  optimizer=torch.optim.Adam(model.parameters(), lr=0.01))
    assert history.stopped_early
    best = max(history["val_accuracy"])
    assert history["val_accuracy"][history.best_epoch - 1] == best
    fresh = small_net(seed=5)
    assert load_checkpoint(tmp_path / "best.pt", fresh)["epoch"] == history.best_epoch
    assert evaluate(fresh, (x, 1 - y), mixed_precision=True)["accuracy"] == pytest.approx(best)


def test_an_unknown_mixed_precision_is_explained():
    x, y = blobs()
    with pytest.raises(ValueError, match="mixed_precision"):
        fit(small_net(), (x, y), epochs=1, mixed_precision="int8", device="cpu", verbose=False)
