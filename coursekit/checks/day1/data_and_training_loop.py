"""Checks of solutions/day1/03_data_and_training_loop.ipynb: a Dataset, two DataLoaders, a training loop.

The Dataset is built from bytes, as image files store them (uint8 pixels and labels), and must
hand out float images in [0, 1] of shape [1, H, W] and int64 labels. The loaders are checked by
what they serve: every sample once per epoch, a new order each training epoch, the test data in
order, the last smaller batch kept. The training loop is run from fixed weights, data order and
dropout masks, and its final weights are compared with those of a reference loop; the same
loop with a usual mistake (no ``zero_grad``, or one between ``backward`` and
``step``, no ``model.train()``, an epoch too few or too many) is run too, so that the feedback can name the mistake.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ..cases import Case, exercise, input_seed
from ..compare import compare, describe
from ..refuse import without_fit


def _bytes(*shape, high=256, seed=0):
    generator = torch.Generator().manual_seed((seed + 1_000_003 * input_seed()) % 2**63)
    return torch.randint(0, high, shape, generator=generator, dtype=torch.uint8)


# ----------------------------------------------------------------------------- the Dataset


def _length(cls, images, labels):
    return len(cls(images, labels))


def _items(cls, images, labels, *indices):
    dataset = cls(images, labels)
    return [dataset[i] for i in indices]


def _construction(cls, images, labels):
    try:
        cls(images, labels)
        return "made a dataset"
    except Exception as error:  # the case is about whether it refuses
        return f"raised {type(error).__name__}: {error}"


def _batch_shapes(cls, images, labels, batch_size):
    return [(list(x.shape), str(x.dtype), list(y.shape), str(y.dtype))
            for x, y in DataLoader(cls(images, labels), batch_size=batch_size)]


def _right_items(images, labels, indices):
    def test(items):
        for i, item in zip(indices, items):
            problem = _item_problem(item, images[i].float().div(255).unsqueeze(0), int(labels[i]))
            if problem:
                return f"item {i}: {problem}"
        return None
    return test


def _item_problem(item, image, label) -> str | None:
    if not isinstance(item, (tuple, list)) or len(item) != 2:
        return f"an item should be a pair (image, label), not {describe(item)}"
    got_image, got_label = item
    if not isinstance(got_image, torch.Tensor):
        return f"the image should be a tensor, not {describe(got_image)}"
    if got_image.dtype == torch.uint8:
        return "the image is still bytes (uint8); models compute with float32 values in [0, 1]"
    if got_image.is_floating_point() and got_image.max() > 1:
        return (f"the image's values go up to {float(got_image.max()):g}; divide the bytes by 255 to bring them "
                "into [0, 1]")
    if tuple(got_image.shape) == tuple(image.shape[1:]):
        return (f"the image has shape {list(got_image.shape)}; a model takes images as [channels, height, width], "
                f"here {list(image.shape)} (one channel)")
    problem = compare(got_image, image)
    if problem:
        return f"the image: {problem}"
    if isinstance(got_label, torch.Tensor):
        if got_label.dtype != torch.int64:
            return f"the label is {got_label.dtype}; cross-entropy wants class indices as int64 (torch.long)"
        if got_label.dim() != 0:
            return f"the label has shape {list(got_label.shape)}; one sample's label is a single number (shape [])"
        got_label = int(got_label)
    elif isinstance(got_label, bool) or not isinstance(got_label, int):
        return f"the label should be an int64 tensor (or an int), not {describe(got_label)}"
    return None if got_label == label else f"the label is {got_label}, but should be {label}"


def _refused(outcome):
    if outcome.startswith("raised ValueError"):
        return None
    if outcome.startswith("raised"):
        return f"it {outcome}; a bad argument calls for a ValueError"
    return ("it accepted 6 images with 5 labels; a dataset whose images and labels differ in number is a bug "
            "that would surface much later: raise a ValueError that says so")


@exercise("day1.dataset", expects="function", answer="DigitImages",
          hint="__len__ answers how many samples there are, __getitem__(i) what sample i is: convert only "
               "sample i there. Then compare what you return with what a model and cross-entropy expect.")
def dataset_cases():
    images, labels = _bytes(10, 28, 28, seed=100), _bytes(10, high=10, seed=101)
    given = f"images: uint8 of shape [10, 28, 28], labels: uint8 {describe(labels)}"
    yield Case(f"len(DigitImages(images, labels)); {given}", args=(images, labels), use=_length, expected=10)
    indices = (0, 3, 9)
    yield Case(f"dataset[i] for i in {indices}; {given}", args=(images, labels, *indices), use=_items,
               test=_right_items(images, labels, indices))
    small, small_labels = _bytes(5, 8, 6, seed=102), _bytes(5, high=10, seed=103)
    yield Case("dataset[4] of 5 images of another size, uint8 [5, 8, 6]", args=(small, small_labels, 4), use=_items,
               test=_right_items(small, small_labels, (4,)))
    yield Case("DigitImages(images, labels) with 6 images but 5 labels", args=(_bytes(6, 28, 28), _bytes(5, high=10)),
               use=_construction, test=_refused)
    shapes = [([4, 1, 28, 28], "torch.float32", [4], "torch.int64")] * 2 + [([2, 1, 28, 28], "torch.float32", [2],
                                                                               "torch.int64")]
    yield Case(f"the batches of DataLoader(dataset, batch_size=4) (shapes and dtypes); {given}",
               args=(images, labels, 4), use=_batch_shapes, expected=shapes)


# ----------------------------------------------------------------------------- the loaders


def _served(answer, n_train, n_test, batch_size):
    """What the learner's two loaders serve, as plain data: their types, two training epochs, the test data."""
    train_set, test_set = TensorDataset(torch.arange(n_train)), TensorDataset(torch.arange(100, 100 + n_test))
    loaders = answer(train_set, test_set, batch_size)
    if not isinstance(loaders, (tuple, list)) or len(loaders) != 2:
        return {"returned": describe(loaders)}
    kinds = [type(loader).__name__ for loader in loaders]
    if not all(isinstance(loader, DataLoader) for loader in loaders):
        return {"kinds": kinds}
    train_loader, test_loader = loaders
    epochs = [[batch[0].tolist() for batch in train_loader] for _ in range(2)]
    return {"kinds": kinds, "train": epochs, "test": [batch[0].tolist() for batch in test_loader]}


def _serves_right(n_train, n_test, batch_size):
    def sizes(n):
        return [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])

    def test(served):
        if "returned" in served:
            return f"make_loaders should return two DataLoaders (train_loader, test_loader), not {served['returned']}"
        if served["kinds"] != ["DataLoader", "DataLoader"]:
            return f"make_loaders returned {' and '.join(served['kinds'])}; return two torch.utils.data.DataLoader"
        for epoch, batches in enumerate(served["train"], 1):
            problem = _one_pass(batches, list(range(n_train)), sizes(n_train), f"training epoch {epoch}")
            if problem:
                return problem
        first, second = served["train"]
        if sum(first, []) == list(range(n_train)) or first == second:
            return "the training batches come in the same order every epoch; shuffle the training data"
        problem = _one_pass(served["test"], list(range(100, 100 + n_test)), sizes(n_test), "the test loader")
        if problem:
            return problem
        if sum(served["test"], []) != list(range(100, 100 + n_test)):
            return ("the test loader shuffles; evaluation needs no shuffling, and in order its results line up "
                    "with the data")
        return None
    return test


def _one_pass(batches, samples, sizes, where):
    served = sorted(sum(batches, []))
    if served != sorted(samples):
        missing = len(set(samples) - set(served))
        if missing and len(served) == len(set(served)):
            return f"{where} leaves out {missing} of the {len(samples)} samples: keep the last, smaller batch"
        return f"{where} serves some samples more than once"
    if [len(b) for b in batches] != sizes:
        return f"{where} serves batches of {[len(b) for b in batches]} samples; expected {sizes}"
    return None


@exercise("day1.loaders", expects="function", answer="make_loaders",
          hint="Which of the two loaders should reshuffle every epoch, and which should read in order? "
               "DataLoader's keyword arguments say the rest.")
def loaders_cases():
    for n_train, n_test, batch_size in ((23, 10, 8), (7, 5, 16)):
        yield Case(f"make_loaders(a training set of {n_train}, a test set of {n_test}, batch_size={batch_size}), "
                   "then two epochs of training batches and one pass over the test batches",
                   args=(n_train, n_test, batch_size), use=_served, test=_serves_right(n_train, n_test, batch_size))


# ----------------------------------------------------------------------------- the training loop

RECIPES = {
    # name: (samples, features, outputs, batch size, epochs): the data, the model and the optimizer of one case
    "classifier": (50, 6, 3, 16, 3),
    "regression": (30, 4, 1, 8, 2),
}


def _setup(name: str, seed: int):
    """The model (in evaluation mode), loader, loss and optimizer of a recipe, the same at every call."""
    n, features, outputs, batch_size, epochs = RECIPES[name]
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=generator, dtype=torch.float64)
    torch.manual_seed(seed)
    if name == "classifier":
        y = torch.randint(outputs, (n,), generator=generator)
        model = nn.Sequential(nn.Linear(features, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, outputs))
        loss_fn, make_optimizer = nn.CrossEntropyLoss(), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)
    else:
        y = torch.randn(n, outputs, generator=generator, dtype=torch.float64)
        model = nn.Sequential(nn.Linear(features, 8), nn.Tanh(), nn.Linear(8, outputs))
        loss_fn, make_optimizer = nn.MSELoss(), lambda p: torch.optim.Adam(p, lr=0.01)
    model = model.double().eval()  # as a model is after an evaluation: the loop must switch training mode on
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed + 1))
    return model, loader, loss_fn, make_optimizer(model.parameters()), epochs


def _trained(answer, name, seed):
    """Run a training loop on a recipe; return its final weights and what it returned, as plain data."""
    model, loader, loss_fn, optimizer, epochs = _setup(name, seed)
    torch.manual_seed(seed)  # the dropout masks
    losses = without_fit(answer, model, loader, loss_fn, optimizer, epochs)
    if isinstance(losses, (list, tuple)):
        losses = [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else
                  f"a tensor{' that keeps its graph' if getattr(v, 'requires_grad', False) else ''}"
                  if isinstance(v, torch.Tensor) else describe(v) for v in losses]
    else:
        losses = describe(losses)
    return {"weights": [p.detach().clone() for p in model.parameters()], "losses": losses}


def _reference(model, loader, loss_fn, optimizer, epochs, mistake=""):
    """The training loop, or the same loop with one of the usual mistakes; returns each epoch's mean loss."""
    epochs += {"one epoch too few": -1, "one epoch too many": 1}.get(mistake, 0)
    losses = []
    for _ in range(epochs):
        if mistake != "no model.train()":
            model.train()
        total, count, batch_means = 0.0, 0, []
        for x, y in loader:
            loss = loss_fn(model(x), y)
            _update(optimizer, loss, mistake)
            total, count = total + loss.item() * len(y), count + len(y)
            batch_means.append(loss.item())
        losses.append(sum(batch_means) / len(batch_means) if mistake == "unweighted" else total / count)
    return losses


def _update(optimizer, loss, mistake):
    """zero_grad, backward and step, in the right order or in a wrong one."""
    if mistake == "zero_grad after backward":
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
    else:
        if mistake != "no zero_grad":
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()


MISTAKES = {
    "no zero_grad": "the final weights are those of a loop that never clears the gradients: without "
                    "optimizer.zero_grad() each backward() adds to the gradients of all earlier batches",
    "zero_grad after backward": "the weights did not change: optimizer.zero_grad() between backward() and step() "
                                "clears the gradients before the step can use them",
    "no model.train()": "the final weights are those of a loop that never calls model.train(): the model arrived "
                        "in evaluation mode, so its dropout stayed off during training",
    "one epoch too few": "the final weights are those of one epoch fewer than asked",
    "one epoch too many": "the final weights are those of one epoch more than asked",
}


def _right_training(name, seed):
    def run(mistake=""):
        model, loader, loss_fn, optimizer, epochs = _setup(name, seed)
        torch.manual_seed(seed)
        losses = _reference(model, loader, loss_fn, optimizer, epochs, mistake)
        return [p.detach().clone() for p in model.parameters()], losses

    weights, losses = run()
    wrong = {mistake: run(mistake)[0] for mistake in MISTAKES}
    unweighted = run("unweighted")[1]

    def test(got):
        if compare(got["weights"], weights, 1e-9, 1e-7):
            known = [why for mistake, why in MISTAKES.items()
                     if not compare(got["weights"], wrong[mistake], 1e-9, 1e-7)]
            return known[0] if known else ("the final weights differ from those of the reference loop, which runs "
                                           "forward, loss, zero_grad, backward and step on every batch of every epoch")
        got_losses = got["losses"]
        if not isinstance(got_losses, list) or len(got_losses) != len(losses):
            return f"train should return a list of {len(losses)} numbers, one per epoch; it returned {got_losses}"
        if any(isinstance(v, str) for v in got_losses):
            kept = next(v for v in got_losses if isinstance(v, str))
            return f"the losses should be Python numbers, but one is {kept}: store loss.item()"
        if not compare(got_losses, unweighted, 1e-9, 1e-7):
            return ("those are the plain means of the batch losses; the last batch is smaller, so weight each "
                    "batch's loss by its number of samples (the average over samples)")
        problem = compare(got_losses, losses, 1e-9, 1e-7)
        return f"the returned losses: {problem}" if problem else None
    return test


@exercise("day1.train", expects="function", answer="train",
          forbid_hint="fit is this very loop, packed: the exercise is to write what it hides.",
          hint="Five steps for every batch, in the lecture's order; then ask in which mode the model must be "
               "while it trains, and what the average loss of an epoch is averaged over.")
def train_cases():
    for name, seed in (("classifier", 110), ("regression", 120)):
        # The seed goes into the case as it is: the grader calls the answer outside seeded_inputs().
        seed = (seed + 1_000_003 * input_seed()) % 2**62
        n, features, outputs, batch_size, epochs = RECIPES[name]
        words = {"classifier": f"a classifier with dropout ({features} features, {outputs} classes), handed over in "
                               "evaluation mode, cross-entropy, SGD with momentum",
                 "regression": f"a regression model ({features} features), MSE, Adam"}[name]
        yield Case(f"train(model, loader, loss_fn, optimizer, epochs={epochs}): {words}; {n} samples in batches of "
                   f"{batch_size} (float64)", args=(name, seed), use=_trained, test=_right_training(name, seed))
