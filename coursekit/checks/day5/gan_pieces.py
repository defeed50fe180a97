"""Checks of solutions/day5/02_gan_losses_and_conditioning.ipynb: GAN losses, a one-hot condition, InfoGAN's term.

- ``discriminator_loss(real_logits, fake_logits)``: the mean binary cross-entropy of the verdicts on real
  images (label 1) plus that on generated ones (label 0). Swapped labels, a half or a pooled mean, and
  the sigmoid-then-log answers that give inf at extreme logits (or the clamped values of
  ``binary_cross_entropy``) are named.
- ``generator_loss(fake_logits)``: the non-saturating loss, -log D(G(z)) averaged. The saturating
  (minimax) loss, swapped labels and the unstable forms are named.
- ``concat_label(z, labels, n_classes)``: [z, one_hot(labels)] in z's dtype; labels outside
  0..n_classes-1, a batch mismatch and labels that are not integers must raise ValueError.
- ``infogan_mi_loss(category_logits, categories, continuous_mean, continuous_logvar, continuous,
  continuous_weight)``: as ``coursekit.infogan.mutual_information_loss`` defines it, the cross-entropy of
  the categorical code plus ``continuous_weight`` times the Gaussian negative log-likelihood of the
  continuous codes under Q's mean and log-variance (constant included), summed over the codes, both
  averaged over the batch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..cases import Case, exercise, input_seed
from ..compare import describe
from ..day0 import _random
from ..mistakes import has_nan, is_value_error, judged, raises_value_error

_TOLERANCE = {"atol": 1e-4, "rtol": 1e-5}


def _softplus(x):
    """log(1 + exp(x)) in float64: the cross-entropy of a logit x against label 0 (and of -x against label 1)."""
    return F.softplus(x.double())


def _clamped_log_loss(logits, label):
    """What binary_cross_entropy(sigmoid(logits), label) gives: each log clamped at -100."""
    p = torch.sigmoid(logits).double()  # in the logits' own precision, where it rounds to 0 or 1
    return -(p.log().clamp(min=-100) * label + (1 - p).log().clamp(min=-100) * (1 - label)).mean()


def _is_infinite(got):
    return isinstance(got, torch.Tensor) and got.is_floating_point() and bool(got.isinf().any())


UNSTABLE = [
    (_is_infinite, "inf: sigmoid(logit) rounded to exactly 0 or 1, and its log is -inf. Work from the logits with a "
                   "loss that never forms the probability"),
    (has_nan, "NaN: a log of 0 times 0, or an exp that overflowed. Work from the logits"),
]


# ----------------------------------------------------------------------------- 1. the discriminator's loss


def discriminator_loss_reference(real_logits, fake_logits):
    return _softplus(-real_logits).mean() + _softplus(fake_logits).mean()


def _discriminator_mistakes(real, fake):
    dtype = real.dtype
    right = discriminator_loss_reference(real, fake)
    pooled = torch.cat([_softplus(-real).flatten(), _softplus(fake).flatten()]).mean()
    return [
        ((_softplus(real).mean() + _softplus(-fake).mean()).to(dtype),
         "the labels are swapped: real images are labelled 1 and generated ones 0"),
        ((right / 2).to(dtype), "half the loss: it is the sum of the two means, not their average"),
        (pooled.to(dtype), "one mean over real and generated logits together: take the mean of each batch, then add "
                           "the two (the batches need not have the same size)"),
        (_softplus(-real).mean().to(dtype), "only the real images' term: add the generated images' term"),
        ((_clamped_log_loss(real, 1.0) + _clamped_log_loss(fake, 0.0)).to(dtype),
         "binary_cross_entropy on sigmoid(logits) clamps each log at -100, wrong for extreme logits: use the loss "
         "that takes the logits themselves"),
        *UNSTABLE,
    ]


def _discriminator_case(real, fake, what, hint=""):
    expected = discriminator_loss_reference(real, fake).to(real.dtype)
    given = f"{what}: real_logits {describe(real)}, fake_logits {describe(fake)}"
    return Case(given, args=(real, fake), hint=hint,
                test=judged(expected, _discriminator_mistakes(real, fake), **_TOLERANCE))


@exercise("day5.discriminator_loss", expects="function", answer="discriminator_loss",
          hint="Which label does the discriminator want for a real image, which for a generated one? Then look "
               "for the PyTorch loss that takes logits and a label.")
def discriminator_loss_cases():
    yield _discriminator_case(_random(6, seed=1000), _random(4, seed=1001), "6 real and 4 generated logits")
    yield _discriminator_case(_random(5, 1, seed=1010), _random(3, 1, seed=1011),
                              "5 real and 3 generated logits, shape [N, 1] as a discriminator returns them",
                              hint="The two batches have different sizes: average each of them on its own.")
    yield _discriminator_case(torch.tensor([30.0, -200.0, 5.0]), torch.tensor([200.0, -60.0]),
                              "extreme logits: a discriminator sure of itself, right or wrong",
                              hint="sigmoid(200) is exactly 1 in float32, and log(1 - 1) is -inf.")
    yield _discriminator_case(_random(4, seed=1020, dtype=torch.float64), _random(4, seed=1021, dtype=torch.float64),
                              "double precision", hint="Keep the input's dtype: float64 in, float64 out.")


# ----------------------------------------------------------------------------- 2. the generator's loss


def generator_loss_reference(fake_logits):
    return _softplus(-fake_logits).mean()


def _generator_mistakes(fake):
    dtype = fake.dtype
    return [
        ((-_softplus(fake).mean()).to(dtype), "that is the saturating (minimax) loss, log(1 - D(G(z))): its gradient "
                                              "vanishes while D rejects the samples. Use the non-saturating one"),
        (_softplus(fake).mean().to(dtype), "the label is swapped: the generator wants D to call its images real (1)"),
        (_clamped_log_loss(fake, 1.0).to(dtype), "binary_cross_entropy on sigmoid(logits) clamps each log at -100, "
                                                 "wrong for extreme logits: use the loss that takes the logits"),
        ((generator_loss_reference(fake) * fake.numel()).to(dtype), "that is the sum over the batch; take the mean"),
        *UNSTABLE,
    ]


def _generator_case(fake, what, hint=""):
    expected = generator_loss_reference(fake).to(fake.dtype)
    return Case(f"{what}: fake_logits {describe(fake)}", args=(fake,), hint=hint,
                test=judged(expected, _generator_mistakes(fake), **_TOLERANCE))


@exercise("day5.generator_loss", expects="function", answer="generator_loss",
          hint="The generator is scored on the discriminator's verdicts on its images: which label does it want "
               "them to get?")
def generator_loss_cases():
    yield _generator_case(_random(8, seed=1100), "8 logits of generated images")
    yield _generator_case(_random(4, 1, seed=1110) - 3, "4 logits of shape [N, 1], mostly negative (D rejects them)")
    yield _generator_case(torch.tensor([-200.0, -90.0, 20.0, 0.0]),
                          "extreme logits: early in training D rejects generated images with certainty",
                          hint="sigmoid(-200) is 0 in float32: log of it is -inf. Here the loss must be about 200 for "
                               "that image, and its gradient must not vanish.")
    yield _generator_case(_random(5, seed=1120, dtype=torch.float64), "double precision",
                          hint="Keep the input's dtype: float64 in, float64 out.")


# ----------------------------------------------------------------------------- 3. conditioning by a one-hot label


def concat_label_reference(z, labels, n_classes=10):
    return torch.cat([z, F.one_hot(labels, n_classes).to(z.dtype)], dim=1)


def _concat_mistakes(z, labels, n_classes):
    dtype = z.dtype
    one_hot = F.one_hot(labels, n_classes).to(dtype)
    return [
        (torch.cat([one_hot, z], dim=1), "the one-hot code comes first: put z first, then the code"),
        (torch.cat([z, labels[:, None].to(dtype)], dim=1), "the label was appended as one number: append its one-hot "
                                                           "code, one column per class"),
        (lambda got: isinstance(got, torch.Tensor) and got.dim() == 2 and got.shape[0] == len(z)
         and got.shape[1] == z.shape[1] + int(labels.max()) + 1 != z.shape[1] + n_classes,
         f"the code has {int(labels.max()) + 1} columns, one per class up to the largest label in this batch; it needs "
         f"n_classes = {n_classes} columns whatever labels the batch holds"),
    ]


def _concat_case(z, labels, n_classes, what, hint=""):
    expected = concat_label_reference(z, labels, n_classes)
    return Case(f"{what}: z of shape {list(z.shape)}{'' if z.dtype == torch.float32 else ', ' + str(z.dtype)}, "
                f"labels {describe(labels)}, n_classes={n_classes}", args=(z, labels, n_classes), hint=hint,
                test=judged(expected, _concat_mistakes(z, labels, n_classes)))


@exercise("day5.concat_label", expects="function", answer="concat_label",
          hint="Build the one-hot code of the labels first and print it with its shape and dtype; then join it to z "
               "along the feature dimension.")
def concat_label_cases():
    z = _random(4, 3, seed=1200)
    yield _concat_case(z, torch.tensor([3, 0, 9, 3]), 10, "4 noise vectors of 3 numbers")
    yield _concat_case(_random(3, 5, seed=1210), torch.tensor([1, 0, 1]), 10,
                       "labels that are only 0 and 1 (n_classes is still 10)",
                       hint="The code needs one column per class, whatever labels this batch happens to hold.")
    yield _concat_case(_random(2, 2, seed=1220), torch.tensor([2, 1]), 3, "3 classes")
    yield _concat_case(_random(5, 4, seed=1230, dtype=torch.float64), torch.tensor([0, 1, 2, 3, 4]), 5,
                       "z in double precision", hint="The result has z's dtype: float64 in, float64 out.")
    for labels, problem in ((torch.tensor([3, 10, 1, 2]), "a label is outside 0..n_classes-1 (10 for 10 classes)"),
                            (torch.tensor([3, -1, 1, 2]), "a label is outside 0..n_classes-1 (-1)"),
                            (torch.tensor([3, 1]), "4 noise vectors but 2 labels"),
                            (torch.tensor([3.0, 1.0, 0.5, 2.0]), "labels that are not integers")):
        yield Case(f"{problem}: z of shape [4, 3], labels {describe(labels)}", args=(z, labels, 10),
                   use=raises_value_error, test=is_value_error(f"what is wrong with the labels ({problem})"),
                   hint="Check the labels before using them (their dtype, their range, their count) and raise "
                        "ValueError with a message that says what is wrong.")


# ----------------------------------------------------------------------------- 4. InfoGAN's mutual-information loss


def infogan_mi_loss_reference(category_logits, categories, continuous_mean, continuous_logvar, continuous,
                              continuous_weight=0.1, *, categorical=None, nll=None, reduce_codes=None):
    """Cross-entropy of the categorical code + weight * Gaussian NLL of the continuous codes summed over the codes,
    both averaged over the batch, in float64. The keywords replace pieces to make the usual mistakes."""
    logits, mean, logvar, codes = (t.double() for t in (category_logits, continuous_mean, continuous_logvar,
                                                        continuous))
    first = F.cross_entropy(logits, categories) if categorical is None else categorical(logits, categories)
    if nll is None:
        per_code = 0.5 * (logvar + (codes - mean) ** 2 / logvar.exp() + math.log(2 * math.pi))
    else:
        per_code = nll(codes, mean, logvar)
    second = per_code.sum(dim=1).mean() if reduce_codes is None else reduce_codes(per_code)
    return first + continuous_weight * second


def _mi_mistakes(args, weight):
    dtype = args[0].dtype

    def wrong(w=weight, **how):
        return infogan_mi_loss_reference(*args, w, **how).to(dtype)
    return [
        (wrong(nll=lambda x, m, lv: 0.5 * (lv + (x - m) ** 2 / lv.exp())),
         "off by log(2 pi) / 2 = 0.919 per continuous code (times the weight): the Gaussian's constant is missing"),
        (wrong(nll=lambda x, m, lv: lv + 0.5 * (x - m) ** 2 / (2 * lv).exp() + 0.5 * math.log(2 * math.pi)),
         "continuous_logvar was read as log(sigma); it is log(sigma^2), the log of the variance"),
        (wrong(nll=lambda x, m, lv: 0.5 * (x - m) ** 2), "that is half the squared error: the Gaussian's "
                                                        "negative log-likelihood needs Q's variance too"),
        (wrong(reduce_codes=lambda c: c.mean()), "the continuous term is averaged over the codes too: sum over the "
                                                 "codes of each sample, then average over the batch"),
        (wrong(reduce_codes=lambda c: c.sum()), "the continuous term is the sum over the batch; average it"),
        (wrong(w=1.0), "continuous_weight is ignored: multiply the continuous term by it"),
        (wrong(w=0.1), "continuous_weight is ignored: multiply the continuous term by the weight you are given"),
        (wrong(categorical=lambda lg, c: F.cross_entropy(torch.softmax(lg, dim=1), c)),
         "softmax was applied before cross_entropy, which applies its own: give it the logits"),
        (wrong(categorical=lambda lg, c: F.cross_entropy(lg, c, reduction="sum")),
         "the categorical term is the sum over the batch; average it"),
        (-infogan_mi_loss_reference(*args, weight).to(dtype), "the sign is flipped: return the loss to minimize, a "
                                                              "negative log-likelihood"),
        *UNSTABLE,
    ]


def _mi_case(n, classes, codes, seed, what, weight=0.1, hint="", logit_scale=2.0, logvar_shift=0.0):
    def uniform(seed_offset):
        generator = torch.Generator().manual_seed(seed + seed_offset + input_seed())
        return 2 * torch.rand(n, codes, generator=generator) - 1

    logits = logit_scale * _random(n, classes, seed=seed)
    categories = torch.randint(0, classes, (n,), generator=torch.Generator().manual_seed(seed + 1 + input_seed()))
    mean, logvar = 0.5 * _random(n, codes, seed=seed + 2), 0.5 * _random(n, codes, seed=seed + 3) + logvar_shift
    args = (logits, categories, mean, logvar, uniform(4))
    expected = infogan_mi_loss_reference(*args, weight).float()
    given = (f"{what}: category_logits [{n}, {classes}], categories [{n}], continuous_mean, continuous_logvar and "
             f"continuous [{n}, {codes}], continuous_weight={weight}")
    return Case(given, args=(*args, weight), hint=hint, test=judged(expected, _mi_mistakes(args, weight),
                                                                    **_TOLERANCE))


@exercise("day5.infogan_mi_loss", expects="function", answer="infogan_mi_loss",
          hint="Compute the two terms on their own and print them: the categorical one is a classification loss, "
               "the continuous one a Gaussian negative log-likelihood; then apply the reductions the text gives.")
def infogan_mi_loss_cases():
    yield _mi_case(8, 10, 2, seed=1300, what="8 samples, a 10-way code, 2 continuous codes")
    yield _mi_case(5, 10, 2, seed=1310, weight=1.0, what="continuous_weight 1",
                   hint="The weight multiplies the continuous term only.")
    yield _mi_case(6, 4, 1, seed=1320, weight=0.5, what="a 4-way code and one continuous code")
    yield _mi_case(1, 10, 3, seed=1330, what="a batch of one")
    yield _mi_case(6, 10, 2, seed=1340, logit_scale=500.0, what="category logits in the hundreds",
                   hint="exp(500) overflows: a softmax written by hand, then a log, gives inf or NaN.")
    yield _mi_case(6, 10, 2, seed=1350, logvar_shift=-6.0, what="a confident Q: continuous_logvar around -6",
                   hint="A small variance makes each code's term large or negative; the formula still holds.")
