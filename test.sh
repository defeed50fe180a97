#!/usr/bin/env bash
# Quick start, step 2: run the whole test suite, unit tests and every notebook in fast mode.
#
#   ./test.sh                 everything (sets up .venv first if needed)
#   ./test.sh -x              everything, stopping at the first failure (any pytest option)
#   ./test.sh tests/test_modes.py      naming paths runs only those
#
# Tests never touch the network. Real data sets are read from $COURSEKIT_TEST_DATA,
# by default ../shared/data beside the repository when it exists, else your own
# data root ($COURSEKIT_DATA, filled by `coursekit fetch`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

./setup.sh --no-lab

if [ -z "${COURSEKIT_TEST_DATA:-}" ] && [ -d ../shared/data ]; then
  export COURSEKIT_TEST_DATA="$(cd ../shared/data && pwd)"
fi
if [ -n "${COURSEKIT_TEST_DATA:-}" ]; then
  export COURSEKIT_DATA="$COURSEKIT_TEST_DATA"
fi
export COURSEKIT_MODE=fast
export MPLBACKEND=Agg

# Options alone (./test.sh -x) still test everything; naming a path narrows the run.
paths_given=0
for arg in "$@"; do
  case "$arg" in -*) ;; *) paths_given=1 ;; esac
done
if [ "$paths_given" = 0 ]; then
  set -- "$@" tests notebooks solutions exercises
fi
exec .venv/bin/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=300 -p no:cacheprovider "$@"
