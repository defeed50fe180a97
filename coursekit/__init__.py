"""coursekit: the companion package of the course.

Small modules, each with one job; open any of them to see how it works.

- ``coursekit.environment``: what is installed, which device to use (``doctor``, ``get_device``)
- ``coursekit.modes``: fast / laptop / full run modes (``run_mode``)
- ``coursekit.seeding``: repeatable runs (``seed_everything``)
- ``coursekit.data``: every data set of the course, downloaded, verified and cached
- ``coursekit.checks``, ``coursekit.progress``, ``coursekit.quiz``: exercises that check themselves
- ``coursekit.plots``, ``coursekit.training``, ``coursekit.playground``: plots, fit/evaluate, the Day 1 playground
- ``coursekit.models``: the networks later days reuse, named as torchvision names them (``vgg16()``)
- ``coursekit.augment``, ``coursekit.speed``: batched image augmentation; mixed precision and channels-last
- ``coursekit.grading``: the instructors' grader (``coursekit grade``)
"""

from . import data, models, plots, training
from .checks import check, run_check
from .environment import doctor, get_device
from .modes import RunMode, run_mode, set_run_mode
from .seeding import seed_everything

__version__ = "0.1.0"

__all__ = [
    "check",
    "run_check",
    "doctor",
    "get_device",
    "RunMode",
    "run_mode",
    "set_run_mode",
    "seed_everything",
]
