"""Checks of day 1, one module per exercise notebook of solutions/day1/:

- ``activations_and_losses``: sigmoid, its derivative, leaky ReLU, softmax, MSE, binary and
  categorical cross-entropy (01);
- ``backprop_and_optimizers``: two backward passes by hand, momentum, Adam, step and cosine
  schedules (02);
- ``data_and_training_loop``: a Dataset, a train and a test DataLoader, a training loop (03);
- ``mnist_design``: an MNIST classifier under a parameter budget, a second design, and the
  function that compares them (04).

Two helpers serve them all: ``mistakes`` names a known wrong answer in the feedback, and
``refuse`` turns away what a TorchFunctionMode cannot see (torch.optim, ``fit``).
"""

from . import activations_and_losses, backprop_and_optimizers, data_and_training_loop, mnist_design
from .mnist_design import MNIST_BUDGET, challenger_threshold, count_parameters, mnist_threshold

__all__ = ["MNIST_BUDGET", "mnist_threshold", "challenger_threshold", "count_parameters"]
