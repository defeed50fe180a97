"""Training helpers: the loop you wrote by hand in Day 1, packed into ``fit`` and ``evaluate``.

    from coursekit.training import fit, evaluate
    history = fit(model, (x_train, y_train), epochs=10, val_data=(x_val, y_val))
    evaluate(model, (x_test, y_test))          # {'loss': 0.07, 'accuracy': 0.978}

Nothing here is new: each epoch runs the same five steps as the hand-written loop
(forward, loss, ``zero_grad``, ``backward``, ``step``) with a progress bar around it,
and writes its numbers into a :class:`History`. On top of that:

- ``patience=N`` stops when the monitored number has not improved for N epochs and
  puts back the weights of the best epoch (early stopping);
- ``checkpoint="best.pt"`` saves model, optimizer and epoch whenever the monitored
  number improves; :func:`load_checkpoint` reads it back;
- ``live_plot=True`` redraws the training curves in the notebook after every epoch.

For the Day 2 ablation, four switches that each change one thing about a step:

- ``scheduler=..., scheduler_step="batch"`` moves the learning rate after every batch
  (one-cycle, cosine with warm-up) instead of after every epoch;
- ``batch_transform=f`` gives the model ``f(inputs)`` instead of ``inputs`` during training
  (augmentation, a new random version of every batch; validation data is left alone);
- ``mixed_precision=True`` and ``channels_last=True`` (see ``coursekit.speed``).

Label smoothing needs no switch: it is a loss, ``loss_fn=nn.CrossEntropyLoss(label_smoothing=0.1)``.

Data is a ``Dataset``, a ``DataLoader`` or a pair of tensors ``(X, y)``. Each batch is
``(inputs, target)``; a model with two inputs gets batches ``(x1, x2, target)`` (from the
tuple ``(X1, X2, y)``, say) and is called as ``model(x1, x2)``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler, TensorDataset

from .speed import amp_dtype, autocast, grad_scaler, to_channels_last

# --------------------------------------------------------------------------- history


class History(dict):
    """The numbers of a training run, one list per name, one entry per epoch.

    ``history["val_loss"][4]`` is the validation loss after the fifth epoch. Names:
    ``loss``, ``accuracy`` (training), ``val_loss``, ``val_accuracy``, ``lr`` (the
    learning rate used in that epoch) and ``seconds`` (how long the epoch took).

    Training numbers are averages over the epoch's batches, measured while the weights were
    still changing (and with dropout on); validation numbers are measured after the epoch.

    ``best_epoch`` is the epoch (counted from 1) with the best monitored number;
    ``stopped_early`` says whether early stopping ended the run.
    """

    best_epoch: int | None = None
    stopped_early: bool = False

    def append(self, **numbers: float) -> None:
        for name, value in numbers.items():
            self.setdefault(name, []).append(float(value))

    @property
    def epochs(self) -> int:
        return len(self.get("loss", []))

    def plot(self, **kwargs):
        """Loss and metric curves, train and validation together (see ``coursekit.plots.plot_history``)."""
        from .plots import plot_history

        return plot_history(self.curves(), **kwargs)

    def curves(self) -> dict[str, list[float]]:
        """Only the numbers worth plotting against epochs (no ``lr`` or ``seconds``)."""
        return {k: v for k, v in self.items() if k not in ("lr", "seconds")}

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.items() if v)
        return f"History({self.epochs} epochs: {last})"


# --------------------------------------------------------------------------- data and metrics


def make_loader(data, batch_size: int = 64, shuffle: bool = False) -> DataLoader:
    """A ``DataLoader`` from a ``DataLoader`` (returned as it is), a ``Dataset`` or tensors ``(X, y)``.

    A tuple of more than two tensors, ``(X1, X2, y)``, is for a model with several inputs.

    Tensors in memory are cut into batches by indexing with a whole list of positions
    at once (a ``BatchSampler``), which is many times faster than collecting samples
    one by one; the batches are the same.
    """
    if isinstance(data, DataLoader):
        return data
    problem = f"data must be a Dataset, a DataLoader or tensors (X, y), not {type(data).__name__}"
    if isinstance(data, (tuple, list)):
        tensors = [torch.as_tensor(t) for t in data]
        if len(tensors) < 2 or any(t.ndim == 0 for t in tensors):
            raise TypeError(problem + " of single numbers")
        data = TensorDataset(*tensors)  # checks that they all have the same number of samples
    if not isinstance(data, Dataset):
        raise TypeError(problem)
    if isinstance(data, TensorDataset):
        order = RandomSampler(data) if shuffle else SequentialSampler(data)
        return DataLoader(data, sampler=BatchSampler(order, batch_size, drop_last=False), batch_size=None)
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle)


def _match(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Drop a trailing size-1 dimension: outputs [N, 1] against targets [N].

    Without this, ``MSELoss`` would broadcast [N, 1] - [N] into an [N, N] matrix and
    train on nonsense without any error (it only warns).
    """
    if outputs.ndim == targets.ndim + 1 and outputs.shape[-1] == 1:
        return outputs.squeeze(-1)
    return outputs


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of correct predictions. One logit per sample: class 1 when it is above 0;
    one column per class: the largest one."""
    if outputs.ndim == targets.ndim:  # binary, one logit each
        predicted = (outputs > 0).long()
        return (predicted == targets.round().long()).float().mean().item()
    return (outputs.argmax(dim=-1) == targets).float().mean().item()


METRICS: dict[str, Callable] = {"accuracy": accuracy}


def _metric_functions(metrics) -> dict[str, Callable]:
    """``("accuracy",)``, a function, a list of both, or ``{name: function}`` -> ``{name: function}``."""
    if metrics is None:
        return {}
    if callable(metrics) or isinstance(metrics, str):
        metrics = [metrics]
    if isinstance(metrics, dict):
        return dict(metrics)
    named = {}
    for m in metrics:
        if isinstance(m, str):
            if m not in METRICS:
                raise ValueError(f"Unknown metric {m!r}; give one of {list(METRICS)} or a function(outputs, targets)")
            named[m] = METRICS[m]
        else:
            named[getattr(m, "__name__", "metric")] = m
    return named


def _model_device(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


# --------------------------------------------------------------------------- evaluate


def evaluate(model: nn.Module, data, *, loss_fn: Callable | None = None, metrics=("accuracy",),
             batch_size: int = 1024, device=None, mixed_precision=False,
             channels_last: bool = False) -> dict[str, float]:
    """Loss and metrics of ``model`` on ``data``, in eval mode and without gradients.

    Returns ``{"loss": ..., "accuracy": ...}``: each number is the average over all
    samples (batch results weighted by batch size). ``loss_fn`` defaults to
    cross-entropy; ``device`` to wherever the model's weights are. The model is
    left in the mode (train/eval) it was in. ``mixed_precision`` and ``channels_last``: as in :func:`fit`.
    """
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    functions = _metric_functions(metrics)
    device = torch.device(device) if device is not None else _model_device(model)
    model.to(device)
    dtype = amp_dtype(device, mixed_precision)
    was_training = model.training
    model.eval()
    totals = dict.fromkeys(["loss", *functions], 0.0)
    count = 0
    with torch.no_grad():
        for *inputs, y in make_loader(data, batch_size):
            inputs, y = [x.to(device) for x in inputs], y.to(device)
            if channels_last:
                inputs = [to_channels_last(x) for x in inputs]
            with autocast(device, dtype):
                outputs = _match(model(*inputs), y)
                loss = loss_fn(outputs, y)
            n = len(y)
            totals["loss"] += loss.item() * n
            for name, f in functions.items():
                totals[name] += float(f(outputs, y)) * n
            count += n
    model.train(was_training)
    return {name: total / max(count, 1) for name, total in totals.items()}


# --------------------------------------------------------------------------- checkpoints


def save_checkpoint(path, model: nn.Module, optimizer=None, epoch: int | None = None, **extra) -> Path:
    """Save the model's weights (and the optimizer's state, the epoch, anything in ``extra``) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"model": model.state_dict(), "epoch": epoch, **extra}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    torch.save(state, path)
    return path


def load_checkpoint(path, model: nn.Module, optimizer=None, device=None) -> dict:
    """Load what :func:`save_checkpoint` wrote into ``model`` (and ``optimizer``); returns the whole dict.

    ``checkpoint["epoch"]`` says which epoch it came from. Tensors are loaded onto
    ``device`` (default: the CPU), so a file saved on a GPU also opens without one.
    """
    state = torch.load(path, map_location=device or "cpu")  # weights_only: tensors and plain values, no code
    model.load_state_dict(state["model"])
    if optimizer is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    return state


# --------------------------------------------------------------------------- fit


def _improved(value: float, best: float | None, monitor: str) -> bool:
    """Lower is better for losses (and errors), higher for everything else."""
    if best is None:
        return True
    lower_is_better = "loss" in monitor or "error" in monitor
    return value < best if lower_is_better else value > best


def _train_epoch(model, batches, optimizer, loss_fn, functions, *, device, batch_transform=None,
                 batch_scheduler=None, dtype=None, scaler=None, channels_last=False) -> dict[str, float]:
    """One pass over the training batches; returns the average loss and metrics of the epoch."""
    model.train()
    totals, count = dict.fromkeys(["loss", *functions], 0.0), 0
    for *inputs, y in batches:  # the last tensor of a batch is the target, the others go to the model
        inputs, y = [x.to(device) for x in inputs], y.to(device)
        if batch_transform is not None:  # e.g. augmentation: a new random version of this batch
            transformed = batch_transform(*inputs)
            inputs = list(transformed) if isinstance(transformed, (tuple, list)) else [transformed]
        if channels_last:
            inputs = [to_channels_last(x) for x in inputs]
        with autocast(device, dtype):  # does nothing unless mixed precision is on
            outputs = _match(model(*inputs), y)
            loss = loss_fn(outputs, y)
        optimizer.zero_grad()
        scaler.scale(loss).backward()  # without float16 the scaler is off: plain loss.backward()
        scaler.step(optimizer)         # ... and plain optimizer.step()
        scaler.update()
        if batch_scheduler is not None:
            batch_scheduler.step()
        n = len(y)
        totals["loss"] += loss.item() * n
        with torch.no_grad():
            for name, f in functions.items():
                totals[name] += float(f(outputs.float(), y)) * n
        count += n
        batches.set_postfix(loss=f"{totals['loss'] / count:.4f}", refresh=False)
    return {name: total / count for name, total in totals.items()}


def fit(model: nn.Module, train_data, *, epochs: int, optimizer: torch.optim.Optimizer | None = None,
        loss_fn: Callable | None = None, val_data=None, batch_size: int = 64, device=None,
        metrics=("accuracy",), scheduler=None, scheduler_step: str = "epoch", batch_transform=None,
        mixed_precision=False, channels_last: bool = False, patience: int | None = None,
        monitor: str | None = None, checkpoint=None, callbacks: Sequence[Callable] = (),
        live_plot: bool = False, verbose: bool = True) -> History:
    """Train ``model`` for up to ``epochs`` epochs; returns its :class:`History`.

    - ``optimizer``: default Adam with learning rate 0.001. ``loss_fn``: default cross-entropy.
    - ``device``: where to train (default ``coursekit.get_device()``); the model is moved there,
      each batch too.
    - ``metrics``: names (``"accuracy"``) or functions ``f(outputs, targets) -> float``; each is
      recorded for training and, with ``val_data``, validation (``val_`` prefix).
    - ``scheduler``: a learning-rate scheduler, stepped once per epoch, or after every batch
      with ``scheduler_step="batch"`` (``OneCycleLR`` and warm-up schedules are made for that).
    - ``batch_transform``: a function applied to the inputs of every training batch on the
      device, ``x -> x`` (``x1, x2 -> (x1, x2)`` for two inputs); validation data is not touched.
    - ``mixed_precision``: ``True`` computes in float16 with loss scaling on CUDA, in bfloat16
      on the CPU; or name the format, ``"float16"``/``"bfloat16"``. See ``coursekit.speed``.
    - ``channels_last``: the model's weights and each image batch in channels-last memory layout.
    - ``monitor``: the number that decides the best epoch: ``"val_loss"`` when there is
      validation data, else ``"loss"``.
    - ``patience``: early stopping: stop after this many epochs without improvement, then
      restore the weights of the best epoch.
    - ``checkpoint``: a file path; the best model, optimizer and epoch are saved there.
    - ``callbacks``: functions ``f(epoch, history, model)`` called after each epoch; one that
      returns ``True`` stops training.
    - ``live_plot``: redraw the curves after every epoch (in Jupyter). ``verbose``: progress bars.
    """
    from tqdm.auto import tqdm

    from .environment import get_device

    if scheduler_step not in ("epoch", "batch"):
        raise ValueError(f"scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)  # 4-D weights (convolutions) change layout
    dtype = amp_dtype(device, mixed_precision)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    functions = _metric_functions(metrics)
    loader = make_loader(train_data, batch_size, shuffle=True)
    names = ["loss", *functions]
    recorded = names + ([f"val_{name}" for name in names] if val_data is not None else [])
    monitor = monitor or ("val_loss" if val_data is not None else "loss")
    if monitor not in recorded:
        raise ValueError(f"monitor={monitor!r} is not one of the numbers recorded: {recorded}")
    step_settings = dict(device=device, batch_transform=batch_transform, dtype=dtype, channels_last=channels_last,
                         scaler=grad_scaler(device, dtype),
                         batch_scheduler=scheduler if scheduler_step == "batch" else None)
    history, best, best_weights, waited = History(), None, None, 0
    live = None
    if live_plot:
        from .plots import LiveHistory

        live = LiveHistory()

    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        bar = tqdm(loader, desc=f"epoch {epoch}/{epochs}", disable=not verbose, leave=True)
        numbers = _train_epoch(model, bar, optimizer, loss_fn, functions, **step_settings)
        if val_data is not None:
            scores = evaluate(model, val_data, loss_fn=loss_fn, metrics=functions, device=device,
                              mixed_precision=mixed_precision, channels_last=channels_last)
            numbers.update({f"val_{name}": value for name, value in scores.items()})
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(numbers[monitor])  # this one decides from the monitored number
        elif scheduler is not None and scheduler_step == "epoch":
            scheduler.step()
        history.append(**numbers, lr=lr, seconds=time.perf_counter() - start)
        bar.set_postfix({k: f"{v:.4f}" for k, v in numbers.items()})
        bar.close()

        if _improved(numbers[monitor], best, monitor):
            best, waited, history.best_epoch = numbers[monitor], 0, epoch
            if patience is not None:
                best_weights = copy.deepcopy(model.state_dict())
            if checkpoint is not None:
                save_checkpoint(checkpoint, model, optimizer, epoch, monitor=monitor, best=best)
        else:
            waited += 1
        if live is not None:
            live.update(history.curves())
        stop = any([callback(epoch, history, model) for callback in callbacks])  # a list: call them all
        if patience is not None and waited >= patience:
            history.stopped_early = epoch < epochs
            stop = True
        if stop:
            break

    if best_weights is not None:  # early stopping: end with the best epoch's weights, not the last
        model.load_state_dict(best_weights)
        if verbose and history.best_epoch != history.epochs:
            print(f"Restored the weights of epoch {history.best_epoch} ({monitor} = {best:.4f}).")
    return history


__all__ = ["History", "fit", "evaluate", "save_checkpoint", "load_checkpoint", "make_loader", "accuracy", "METRICS"]
