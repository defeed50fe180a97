"""Checks of day 2, one module per exercise notebook of solutions/day2/:

- ``convolution_by_hand``: the output size of a convolution, a convolution's forward pass and
  max pooling written by hand (01);
- ``parameters_and_vgg_blocks``: the parameters of each layer of a network description, a VGG
  block (02);
- ``cifar_design``: a CIFAR-10 network under a budget of 300,000 parameters, with a test
  accuracy that depends on the run mode (03).

Every expected value comes from PyTorch itself: output sizes from running ``F.conv2d``, values
from ``F.conv2d`` and ``F.max_pool2d``, parameter counts from building the ``nn`` layers.
"""

from . import convolution_by_hand, parameters_and_vgg_blocks, cifar_design  # noqa: I001 - the exercises' order
from .cifar_design import PARAMETER_BUDGET, cifar_threshold

__all__ = ["PARAMETER_BUDGET", "cifar_threshold"]
