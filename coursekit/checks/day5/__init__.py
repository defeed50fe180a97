"""Checks of day 5, one module per exercise notebook of solutions/day5/:

- ``vae_pieces``: the reparameterization step, the Gaussian KL term and the VAE loss (01);
- ``gan_pieces``: the discriminator and non-saturating generator losses from logits, conditioning by a
  one-hot label, the InfoGAN mutual-information loss (02);
- ``generator_design``: a conditional generator under a parameter budget whose samples the course's
  MNIST classifier must recognize as the digits asked for, at a share that depends on the run mode (03).

The expected values come from PyTorch's own functions, computed in float64 inside these modules.
"""

from . import vae_pieces, gan_pieces, generator_design  # noqa: I001 - the exercises' order
