"""Checks of day 4, one module per exercise notebook of solutions/day4/:

- ``recurrent_cells``: an RNN cell and an LSTM cell written by hand (01);
- ``sequences``: windows of a series for forecasting, sampling with temperature, a stable
  mixture-density negative log-likelihood (02);
- ``forecaster_design``: a forecaster of daily minimum temperatures under a parameter budget that
  must beat the naive forecast on 1990 by a margin that depends on the run mode (03).

The expected values come from PyTorch's own cells and from reference code inside these modules.
"""

from . import recurrent_cells, sequences, forecaster_design  # noqa: I001 - the exercises' order
from .forecaster_design import INPUT_DAYS, PARAMETER_BUDGET, forecaster_margin, held_out_windows

__all__ = ["INPUT_DAYS", "PARAMETER_BUDGET", "forecaster_margin", "held_out_windows"]
