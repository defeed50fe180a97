"""Day 5 checks: right answers pass, typical mistakes fail with feedback that names them, the ready-made
distributions are refused, the conditional-generator design is scored by the course's classifier, and the
quiz's numeric answers are recomputed."""

import json
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.checks import run_check
from coursekit.checks.day5.generator_design import PARAMETER_BUDGET, requested_share_threshold

# ----------------------------------------------------------------------------- reference answers


def reparameterize(mu, logvar, spread=lambda logvar: (0.5 * logvar).exp(), shared=False, detach=False):
    noise = torch.randn(mu.shape[-1:] if shared else mu.shape, dtype=mu.dtype, device=mu.device)
    z = mu + noise * spread(logvar)
    return z.detach() if detach else z


def reparameterize_by_sqrt(mu, logvar):
    """Another right answer in most cases, but exp(logvar) overflows float32 before its square root is taken."""
    return mu + torch.randn_like(mu) * logvar.exp().sqrt()


def gaussian_kl(mu, logvar, reduce=lambda t: t.sum(dim=-1), as_sigma=False, log_of_exp=False):
    if as_sigma:
        logvar = 2 * logvar
    log_term = logvar.exp().log() if log_of_exp else logvar
    return reduce(0.5 * (mu.pow(2) + logvar.exp() - 1 - log_term))


def gaussian_kl_by_std(mu, logvar):
    """A right answer written with sigma: sigma^2 + mu^2 - 1 - 2 log sigma, halved."""
    sigma = (0.5 * logvar).exp()
    return 0.5 * (sigma**2 + mu**2 - 1).sum(dim=-1) - (0.5 * logvar).sum(dim=-1)


def vae_loss(logits, x, mu, logvar, pixels="sum", batch="mean", kl_weight=1.0, reconstruction=None):
    per_pixel = (F.binary_cross_entropy_with_logits(logits, x, reduction="none") if reconstruction is None
                 else reconstruction(logits, x)).flatten(1)
    per_image = (per_pixel.sum(1) if pixels == "sum" else per_pixel.mean(1)) + kl_weight * gaussian_kl(mu, logvar)
    return per_image.mean() if batch == "mean" else per_image.sum()


def naive_bernoulli(logits, x):
    p = torch.sigmoid(logits)
    return -(x * p.log() + (1 - x) * (1 - p).log())


def discriminator_loss(real_logits, fake_logits):
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def discriminator_by_softplus(real_logits, fake_logits):
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def concat_label(z, labels, n_classes=10):
    if labels.dtype not in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
        raise ValueError(f"labels must be integers, got {labels.dtype}")
    if len(labels) != len(z):
        raise ValueError(f"{len(z)} noise vectors but {len(labels)} labels")
    if labels.numel() and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    return torch.cat([z, F.one_hot(labels.long(), n_classes).to(z.dtype)], dim=1)


def concat_label_by_eye(z, labels, n_classes=10):
    """Another right answer: rows of the identity matrix picked by the labels."""
    if labels.is_floating_point() or len(labels) != len(z) or bool(((labels < 0) | (labels >= n_classes)).any()):
        raise ValueError("labels must be integers in range, one per noise vector")
    return torch.cat([z, torch.eye(n_classes, dtype=z.dtype, device=z.device)[labels]], dim=1)


def infogan_mi_loss(category_logits, categories, continuous_mean, continuous_logvar, continuous,
                    continuous_weight=0.1, constant=True, reduce_codes=lambda t: t.sum(dim=1).mean()):
    nll = 0.5 * (continuous_logvar + (continuous - continuous_mean) ** 2 / continuous_logvar.exp()
                 + (math.log(2 * math.pi) if constant else 0.0))
    return F.cross_entropy(category_logits, categories) + continuous_weight * reduce_codes(nll)


def infogan_by_course_module(category_logits, categories, continuous_mean, continuous_logvar, continuous,
                             continuous_weight=0.1):
    """The lecture's own loss (coursekit.infogan) must pass: the exercise defines the same thing."""
    from types import SimpleNamespace

    from coursekit.infogan import mutual_information_loss

    out = SimpleNamespace(category_logits=category_logits, continuous_mean=continuous_mean,
                          continuous_logvar=continuous_logvar)
    return mutual_information_loss(out, categories, continuous, continuous_weight)


@pytest.mark.parametrize("id, answer", [
    ("day5.reparameterize", reparameterize),
    ("day5.reparameterize", lambda mu, logvar: mu + torch.randn_like(mu) * torch.exp(logvar / 2)),
    ("day5.gaussian_kl", gaussian_kl),
    ("day5.gaussian_kl", gaussian_kl_by_std),
    ("day5.vae_loss", vae_loss),
    ("day5.vae_loss", lambda logits, x, mu, logvar: (F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
                                                     + gaussian_kl(mu, logvar).sum()) / len(x)),
    ("day5.discriminator_loss", discriminator_loss),
    ("day5.discriminator_loss", discriminator_by_softplus),
    ("day5.generator_loss", generator_loss),
    ("day5.generator_loss", lambda fake: F.softplus(-fake).mean()),
    ("day5.concat_label", concat_label),
    ("day5.concat_label", concat_label_by_eye),
    ("day5.infogan_mi_loss", infogan_mi_loss),
    ("day5.infogan_mi_loss", infogan_by_course_module),
])
def test_right_answers_pass(id, answer):
    result = run_check(id, answer)
    assert result.passed, result.message


# ----------------------------------------------------------------------------- typical mistakes


def _saturating(fake_logits):
    return -F.softplus(fake_logits).mean()  # mean log(1 - D(G(z))), what the minimax game minimizes


MISTAKES = [
    # (what, id, answer, words the feedback must contain)
    ("std = exp(logvar)", "day5.reparameterize", lambda mu, lv: reparameterize(mu, lv, spread=torch.exp),
     "the spread is exp(logvar): that is the variance"),
    ("logvar ignored", "day5.reparameterize", lambda mu, lv: reparameterize(mu, lv, spread=lambda t: 1.0),
     "logvar is ignored"),
    ("no noise", "day5.reparameterize", lambda mu, lv: mu * 1.0, "no noise was added"),
    ("one noise draw for the batch", "day5.reparameterize", lambda mu, lv: reparameterize(mu, lv, shared=True),
     "every row got the same noise"),
    ("a detached sample", "day5.reparameterize", lambda mu, lv: reparameterize(mu, lv, detach=True),
     "no gradient can reach them"),
    ("torch.normal, which autograd cannot see through to logvar", "day5.reparameterize",
     lambda mu, lv: torch.normal(mu, (0.5 * lv).exp()), "autograd cannot see through"),
    ("sqrt(exp(logvar)) overflows", "day5.reparameterize", reparameterize_by_sqrt, "NaN or infinity in the sample"),
    ("Normal(...).rsample()", "day5.reparameterize",
     lambda mu, lv: torch.distributions.Normal(mu, (0.5 * lv).exp()).rsample(), "uses torch.distributions.Normal"),
    ("KL mean over latent dims", "day5.gaussian_kl", lambda m, lv: gaussian_kl(m, lv, reduce=lambda t: t.mean(-1)),
     "mean over the latent dimensions"),
    ("KL summed over everything", "day5.gaussian_kl", lambda m, lv: gaussian_kl(m, lv, reduce=torch.sum),
     "sum over the batch"),
    ("KL without the 1/2", "day5.gaussian_kl", lambda m, lv: 2 * gaussian_kl(m, lv), "a factor 1/2 is missing"),
    ("KL with the sign flipped", "day5.gaussian_kl", lambda m, lv: -gaussian_kl(m, lv), "the sign is flipped"),
    ("KL with logvar as log sigma", "day5.gaussian_kl", lambda m, lv: gaussian_kl(m, lv, as_sigma=True),
     "logvar was read as log(sigma)"),
    ("KL by log(exp(logvar))", "day5.gaussian_kl", lambda m, lv: gaussian_kl(m, lv, log_of_exp=True),
     "underflowed to log(0)"),
    ("KL by kl_divergence", "day5.gaussian_kl",
     lambda m, lv: torch.distributions.kl_divergence(
         torch.distributions.Normal(m, (0.5 * lv).exp()),
         torch.distributions.Normal(torch.zeros_like(m), torch.ones_like(m))).sum(-1), "asks you to do without"),
    ("VAE loss as a mean over pixels", "day5.vae_loss", lambda *a: vae_loss(*a, pixels="mean"),
     "the reconstruction term is the mean over pixels"),
    ("VAE loss as F.binary_cross_entropy_with_logits's default mean", "day5.vae_loss",
     lambda lg, x, m, lv: F.binary_cross_entropy_with_logits(lg, x) + gaussian_kl(m, lv).mean(),
     "the reconstruction term is the mean over pixels"),
    ("VAE loss summed over the batch", "day5.vae_loss", lambda *a: vae_loss(*a, batch="sum"), "sum over the batch"),
    ("VAE loss without KL", "day5.vae_loss", lambda *a: vae_loss(*a, kl_weight=0.0), "the KL term is missing"),
    ("VAE loss with KL subtracted", "day5.vae_loss", lambda *a: vae_loss(*a, kl_weight=-1.0),
     "the KL term is subtracted"),
    ("VAE loss by sigmoid and log", "day5.vae_loss", lambda *a: vae_loss(*a, reconstruction=naive_bernoulli),
     "Work from the logits"),
    ("VAE loss by binary_cross_entropy(sigmoid)", "day5.vae_loss",
     lambda *a: vae_loss(*a, reconstruction=lambda lg, x: F.binary_cross_entropy(torch.sigmoid(lg), x,
                                                                                  reduction="none")),
     "clamps each log at -100"),
    ("D loss with swapped labels", "day5.discriminator_loss", lambda r, f: discriminator_loss(f, r),
     "the labels are swapped"),
    ("D loss halved", "day5.discriminator_loss", lambda r, f: discriminator_loss(r, f) / 2, "half the loss"),
    ("D loss pooled", "day5.discriminator_loss",
     lambda r, f: F.binary_cross_entropy_with_logits(torch.cat([r, f]), torch.cat([torch.ones_like(r),
                                                                                   torch.zeros_like(f)])),
     "one mean over real and generated logits together"),
    ("D loss by sigmoid and log", "day5.discriminator_loss",
     lambda r, f: -(torch.sigmoid(r).log().mean() + (1 - torch.sigmoid(f)).log().mean()), "inf: sigmoid(logit)"),
    ("D loss by binary_cross_entropy(sigmoid)", "day5.discriminator_loss",
     lambda r, f: (F.binary_cross_entropy(torch.sigmoid(r), torch.ones_like(r))
                   + F.binary_cross_entropy(torch.sigmoid(f), torch.zeros_like(f))), "clamps each log at -100"),
    ("G loss saturating", "day5.generator_loss", _saturating, "that is the saturating (minimax) loss"),
    ("G loss with label 0", "day5.generator_loss",
     lambda f: F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)), "the label is swapped"),
    ("G loss by -log(sigmoid)", "day5.generator_loss", lambda f: -torch.sigmoid(f).log().mean(),
     "inf: sigmoid(logit)"),
    ("G loss summed", "day5.generator_loss", lambda f: F.softplus(-f).sum(), "the sum over the batch"),
    ("one-hot first", "day5.concat_label", lambda z, y, n=10: torch.cat([F.one_hot(y, n).to(z.dtype), z], 1),
     "the one-hot code comes first"),
    ("label as one number", "day5.concat_label", lambda z, y, n=10: torch.cat([z, y[:, None].to(z.dtype)], 1),
     "the label was appended as one number"),
    ("one_hot without num_classes", "day5.concat_label",
     lambda z, y, n=10: concat_label(z, y, n) if y.max() == n - 1 else torch.cat([z, F.one_hot(y).to(z.dtype)], 1),
     "it needs n_classes = 10 columns"),
    ("float32 for a float64 z", "day5.concat_label", lambda z, y, n=10: concat_label(z, y, n).float(),
     "the dtype is torch.float32 but should be torch.float64"),
    ("no check of the label range", "day5.concat_label",
     lambda z, y, n=10: torch.cat([z, F.one_hot(y, n).to(z.dtype)], 1), "raised RuntimeError from inside PyTorch"),
    ("MI loss without the Gaussian constant", "day5.infogan_mi_loss",
     lambda *a: infogan_mi_loss(*a, constant=False), "the Gaussian's constant is missing"),
    ("MI loss averaged over the codes", "day5.infogan_mi_loss",
     lambda *a: infogan_mi_loss(*a, reduce_codes=torch.mean), "averaged over the codes too"),
    ("MI loss ignoring the weight", "day5.infogan_mi_loss", lambda *a: infogan_mi_loss(*a[:5]),
     "continuous_weight is ignored"),
    ("MI loss with softmax before cross_entropy", "day5.infogan_mi_loss",
     lambda lg, *a: infogan_mi_loss(torch.softmax(lg, dim=1), *a), "softmax was applied before cross_entropy"),
    ("MI loss by squared error", "day5.infogan_mi_loss",
     lambda lg, c, m, lv, x, w=0.1: F.cross_entropy(lg, c) + w * 0.5 * (x - m).pow(2).sum(1).mean(),
     "needs Q's variance too"),
]


@pytest.mark.parametrize("what, id, answer, words", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_typical_mistakes_fail_with_feedback_that_names_them(what, id, answer, words, fails_naming):
    fails_naming(id, answer, words, what)


def test_unattempted_answers_are_not_attempted():
    for id in ("day5.reparameterize", "day5.gaussian_kl", "day5.vae_loss", "day5.discriminator_loss",
               "day5.generator_loss", "day5.concat_label", "day5.infogan_mi_loss"):
        assert run_check(id, lambda *a: ...).status == "not attempted", id


def test_the_reparameterize_check_leaves_the_random_state_alone():
    torch.manual_seed(3)
    before = torch.random.get_rng_state()
    assert run_check("day5.reparameterize", reparameterize)
    assert torch.equal(torch.random.get_rng_state(), before)


# ----------------------------------------------------------------------------- the conditional generator


class DigitTemplates(nn.Module):
    """A generator without training: each digit's average MNIST image, plus a little z-dependent noise."""

    def __init__(self, templates, noise=0.0, device="cpu"):
        super().__init__()
        self.latent_dim = 784
        self.register_buffer("templates", templates.to(device))
        self.scale = nn.Parameter(torch.tensor(noise, device=device))

    def forward(self, z, labels):
        type(self).last_seen = str(z.device)  # the check runs a copy: note it on the class
        images = self.templates[labels] + self.scale * z.reshape(-1, 1, 28, 28)
        return images.clamp(0, 1)


@pytest.fixture
def fast_mode_data(real_data, monkeypatch):
    monkeypatch.setenv("COURSEKIT_DATA", str(real_data))
    monkeypatch.setenv("COURSEKIT_MODE", "fast")
    from coursekit.data import load_mnist

    data = load_mnist(limit=2000)
    return torch.stack([data.x_train[data.y_train == k].mean(0) for k in range(10)])


def test_digit_averages_with_noise_pass_and_without_noise_are_told_they_ignore_z(fast_mode_data):
    result = run_check("day5.conditional_generator", DigitTemplates(fast_mode_data, noise=0.15))
    assert result, result.message
    result = run_check("day5.conditional_generator", DigitTemplates(fast_mode_data, noise=0.0))
    assert not result and "the images of one digit hardly differ" in result.message


def test_a_generator_that_ignores_the_label_is_scored_low(fast_mode_data):
    class IgnoresLabel(DigitTemplates):
        def forward(self, z, labels):
            return super().forward(z, torch.full_like(labels, 3))

    result = run_check("day5.conditional_generator", IgnoresLabel(fast_mode_data, noise=0.15))
    assert not result and "reads 1" in result.message and "the digit asked for" in result.message


def test_the_generator_gets_its_inputs_on_its_own_device(fast_mode_data):
    for device in ("cpu", "meta"):
        DigitTemplates.last_seen = None
        result = run_check("day5.conditional_generator", DigitTemplates(fast_mode_data, 0.15, device=device))
        assert DigitTemplates.last_seen == device
        assert bool(result) == (device == "cpu") and "check itself failed" not in result.message


def test_budget_latent_dim_shape_and_range_are_told(fast_mode_data):
    too_big = nn.Sequential(nn.Linear(784, 800))
    too_big.latent_dim = 10
    result = run_check("day5.conditional_generator", too_big)
    assert not result and f"over the budget of {PARAMETER_BUDGET:,}" in result.message
    result = run_check("day5.conditional_generator", nn.Linear(2, 2))
    assert not result and "needs an attribute latent_dim" in result.message

    class Flat(DigitTemplates):
        def forward(self, z, labels):
            return super().forward(z, labels).flatten(1)

    result = run_check("day5.conditional_generator", Flat(fast_mode_data, 0.15))
    assert not result and "return 10 images of shape [1, 28, 28]" in result.message

    class Tanh(DigitTemplates):
        def forward(self, z, labels):
            return 2 * super().forward(z, labels) - 1

    result = run_check("day5.conditional_generator", Tanh(fast_mode_data, 0.15))
    assert not result and "(x + 1) / 2" in result.message


def test_the_threshold_depends_on_the_mode(monkeypatch):
    thresholds = {}
    for mode in ("fast", "laptop", "full"):
        monkeypatch.setenv("COURSEKIT_MODE", mode)
        thresholds[mode] = requested_share_threshold()
    assert 0.1 < thresholds["fast"] < thresholds["laptop"] <= thresholds["full"] < 1


# ----------------------------------------------------------------------------- the quiz's numbers


def _quiz_answer(words):
    from coursekit.quiz import QUIZ_DIR

    questions = json.loads((QUIZ_DIR / "day5.json").read_text(encoding="utf-8"))["questions"]
    (question,) = [q for q in questions if words in q["question"]]
    return question["answers"]


def test_quiz_kl_of_a_one_dimensional_gaussian():
    mu, sigma = torch.tensor([1.0]), torch.tensor([2.0])
    kl = torch.distributions.kl_divergence(torch.distributions.Normal(mu, sigma),
                                           torch.distributions.Normal(0.0, 1.0)).item()
    assert _quiz_answer("KL divergence from N(1, 4)") == [f"{kl:.3f}"]


def test_quiz_optimal_discriminator():
    p_data, p_g = 0.3, 0.1
    assert _quiz_answer("p_data(x) = 0.3") == [f"{p_data / (p_data + p_g):.2f}"]


def test_quiz_non_saturating_gradient():
    logit = torch.tensor(-6.0, requires_grad=True)
    saturating = -F.softplus(logit)  # log(1 - sigmoid(logit))
    (grad_saturating,) = torch.autograd.grad(saturating, logit)
    non_saturating = F.softplus(-logit)  # -log sigmoid(logit)
    (grad_non_saturating,) = torch.autograd.grad(non_saturating, logit)
    ratio = grad_non_saturating.abs() / grad_saturating.abs()
    assert _quiz_answer("the discriminator's logit on a generated image is -6") == [f"about {ratio.item():.0f}"]


def test_quiz_frechet_distance_of_two_gaussians():
    from coursekit.sample_metrics import frechet_distance

    generator = torch.Generator().manual_seed(0)
    # 1-D Gaussians N(0, 1) and N(3, 4): |mu_a - mu_b|^2 + s_a^2 + s_b^2 - 2 s_a s_b = 9 + 1 + 4 - 4
    exact = (0 - 3) ** 2 + 1 + 4 - 2 * 1 * 2
    assert _quiz_answer("1-D Gaussians N(0, 1) and N(3, 4)") == [str(exact)]
    a = torch.randn(200_000, 1, generator=generator, dtype=torch.float64)
    b = 3 + 2 * torch.randn(200_000, 1, generator=generator, dtype=torch.float64)
    assert abs(frechet_distance(a, b) - exact) < 0.1


def test_quiz_parameters_of_a_conditional_input_layer():
    layer = nn.Linear(100 + 10, 256)
    assert _quiz_answer("layer reads z of 100 numbers") == [f"{sum(p.numel() for p in layer.parameters()):,}"]
