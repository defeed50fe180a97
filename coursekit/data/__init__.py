"""Every data set of the course, downloaded from its official source (or a mirror), verified, cached, as tensors.

    from coursekit.data import load_mnist
    mnist = load_mnist(limit=2000)          # first 2,000 train and test images
    mnist.x_train.shape                     # torch.Size([2000, 1, 28, 28]), float32 in [0, 1]

Where things live (see ``paths.py``): raw files in the data root, ``<root>/<folder>/<file>``
($COURSEKIT_DATA, default ``~/.cache/coursekit/data``); parsed arrays in the processed cache
($COURSEKIT_CACHE); a classroom mirror laid out like the data root can replace the official
sources ($COURSEKIT_MIRROR). ``fetch()`` downloads everything ahead of time, ``status()``
says what is ready. Every problem is a ``DataError`` whose message says what to do.

Modules, one job each: ``paths`` (folders and mirror), ``sources`` (URLs and checksums),
``download`` (safe downloads), ``formats`` (file readers that reject corrupt files),
``prepare`` (fetch and status), ``cache`` (processed arrays), and the loaders:
``images``, ``folders`` (your own images), ``text``, ``timeseries``, ``toy``, and ``canvas``
(digits at random places on a larger canvas, with their boxes).
"""

from .canvas import make_mnist_canvas
from .errors import DataError
from .folders import FolderImages, load_image_folder
from .images import FASHION_MNIST_CLASSES, MNIST_CLASSES, ImageData, load_cifar10, load_fashion_mnist, load_mnist
from .paths import cache_dir, data_root, mirror_url
from .prepare import DataStatus, ensure, fetch, status
from .sources import DATASETS
from .text import CharCorpus, load_tiny_shakespeare
from .timeseries import SERIES_NAMES, TimeSeries, load_timeseries
from .toy import SKLEARN_SETS, TOY_2D, TabularData, load_sklearn, make_toy_2d

__all__ = [
    "DataError", "DATASETS", "data_root", "cache_dir", "mirror_url", "fetch", "status", "ensure", "DataStatus",
    "ImageData", "load_mnist", "load_fashion_mnist", "load_cifar10", "MNIST_CLASSES", "FASHION_MNIST_CLASSES",
    "load_image_folder", "FolderImages", "make_mnist_canvas",
    "CharCorpus", "load_tiny_shakespeare", "TimeSeries", "load_timeseries", "SERIES_NAMES",
    "TabularData", "make_toy_2d", "load_sklearn", "TOY_2D", "SKLEARN_SETS",
]
