"""Plots for the course: one function per kind of picture, all in one style.

Every function draws with matplotlib and returns what it drew, so a notebook
can add to it, restyle it or save it:

- a function that draws one panel takes ``ax=None`` and returns the ``Axes``
  (it makes a new figure when no ``ax`` is given);
- a function that draws several panels returns the ``Figure``.

None of them calls ``plt.show()``: Jupyter shows every new figure at the end of
the cell. End the line with ``;`` (or assign the result) so the notebook does
not also print the returned object.

One file per topic, all names available from here (``coursekit.plots.X``):

- :mod:`.style`: the look (:data:`STYLE`, :data:`PALETTE`), :func:`new_figure`, :func:`style_axes`, :func:`use_style`;
- :mod:`.curves`: lines, learning-rate schedules, training histories (:class:`LiveHistory` redraws while training);
- :mod:`.functions`: activations and their derivatives, loss surfaces with optimizer paths;
- :mod:`.boundaries`: decision boundaries of classifiers of 2-D points;
- :mod:`.images`: image grids, confusion matrices, and the pictures of convolutional networks;
- :mod:`.cam`: class activation maps over their images, with true and predicted boxes; IoU histograms;
- :mod:`.latent`: latent spaces coloured by class, rows of images (interpolations, traversals), decoded lattices.
"""

from .boundaries import plot_decision_boundary
from .cam import draw_box, plot_cam, plot_cam_grid, plot_iou_histogram
from .curves import LiveHistory, plot_history, plot_lines, plot_lr_schedules
from .functions import plot_activations, plot_loss_surface_paths
from .latent import plot_image_rows, plot_latent_grid, plot_latent_space
from .images import plot_confusion_matrix, plot_feature_maps, plot_filters, plot_image_grid, plot_misclassified
from .style import BINARY_CMAP, PALETTE, STYLE, new_figure, style_axes, use_style

__all__ = [
    "plot_latent_space", "plot_image_rows", "plot_latent_grid",
    "PALETTE",
    "STYLE",
    "use_style",
    "new_figure",
    "style_axes",
    "plot_lines",
    "plot_activations",
    "plot_lr_schedules",
    "plot_history",
    "LiveHistory",
    "plot_decision_boundary",
    "plot_loss_surface_paths",
    "plot_image_grid",
    "plot_confusion_matrix",
    "plot_filters",
    "plot_feature_maps",
    "plot_misclassified",
    "plot_cam",
    "plot_cam_grid",
    "plot_iou_histogram",
    "draw_box",
]
