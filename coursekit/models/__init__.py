"""The networks of the course, one small file per family.

Constructors are named as in torchvision, so code and habits carry over:

    from coursekit.models import alexnet, vgg16
    model = vgg16()                    # ImageNet configuration: 224x224 inputs, 1000 classes
    model = vgg16(num_classes=10)      # another number of classes

The ImageNet versions have exactly the published numbers of parameters and
torchvision's parameter names (``features.0.weight``, ``classifier.6.bias``, ...),
so a torchvision state dict loads into them. Beside them, the networks Day 2
trains on small images: :func:`lenet5` (MNIST, 28x28), :func:`alexnet_cifar`,
:func:`vgg_cifar` and :func:`cifar_cnn` (CIFAR-10, 32x32).

- ``lenet.py``: LeNet-5 style network for 28x28 digits
- ``alexnet.py``: AlexNet (ImageNet) and a small AlexNet-style network for 32x32
- ``vgg.py``: VGG-11/13/16/19 with or without batch norm, and VGG-style networks for 32x32
- ``cifar_cnn.py``: the small baseline network of the Day 2 ablation
- ``googlenet.py``: GoogLeNet (ImageNet, torchvision's layout and names), Inception modules, a small GoogLeNet for 32x32
- ``resnet.py``: ResNet-18/34/50 (ImageNet) and the CIFAR ResNets of the paper (ResNet-20/32/44/56, plain nets)
- ``efficientnet.py``: EfficientNet-Lite0 with its ImageNet weights (inverted residual blocks)
- ``autoencoders.py``: dense and convolutional autoencoders for 28x28 digits (Day 5)
- ``vae.py``: a variational autoencoder with dense layers (Day 5)
- ``dcgan.py``: a DCGAN-style generator and discriminator for 28x28 digits (Day 5)
- ``conditional_gans.py``: label-conditioned generator and discriminator, AC-GAN's discriminator (Day 5)
- ``infogan.py``: InfoGAN's generator and its discriminator with a shared Q head (Day 5)
- ``weights.py``: :func:`load_pretrained`, pretrained ImageNet weights loaded strictly
- ``summary.py``: :func:`count_parameters`
"""

from .alexnet import AlexNet, alexnet, alexnet_cifar
from .autoencoders import Autoencoder, conv_autoencoder, dense_autoencoder
from .cifar_cnn import cifar_cnn
from .conditional_gans import ACGANDiscriminator, ConditionalDiscriminator, ConditionalGenerator, \
    acgan_discriminator, conditional_discriminator, conditional_generator
from .dcgan import dcgan_discriminator, dcgan_generator
from .efficientnet import LITE0_MEAN, LITE0_STD, EfficientNetLite, InvertedResidual, efficientnet_lite0
from .infogan import InfoDiscriminator, InfoGenerator, infogan_discriminator, infogan_generator
from .googlenet import GoogLeNet, Inception, InceptionAux, googlenet, googlenet_cifar
from .lenet import lenet5
from .resnet import BasicBlock, Bottleneck, ResNet, plain_cifar, resnet18, resnet20, resnet32, resnet34, resnet44, \
    resnet50, resnet56, resnet_cifar
from .summary import count_parameters
from .vae import VAE, vae_mlp
from .vgg import VGG, VGG_CONFIGS, make_vgg_features, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, \
    vgg19_bn, vgg_cifar
from .weights import load_pretrained

__all__ = [
    "count_parameters",
    "lenet5",
    "cifar_cnn",
    "EfficientNetLite", "InvertedResidual", "efficientnet_lite0", "LITE0_MEAN", "LITE0_STD", "load_pretrained",
    "AlexNet", "alexnet", "alexnet_cifar",
    "VGG", "VGG_CONFIGS", "make_vgg_features", "vgg_cifar",
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "GoogLeNet", "Inception", "InceptionAux", "googlenet", "googlenet_cifar",
    "BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50",
    "resnet_cifar", "plain_cifar", "resnet20", "resnet32", "resnet44", "resnet56",
    "Autoencoder", "dense_autoencoder", "conv_autoencoder", "VAE", "vae_mlp",
    "dcgan_generator", "dcgan_discriminator",
    "ConditionalGenerator", "ConditionalDiscriminator", "ACGANDiscriminator",
    "conditional_generator", "conditional_discriminator", "acgan_discriminator",
    "InfoGenerator", "InfoDiscriminator", "infogan_generator", "infogan_discriminator",
]
