#!/usr/bin/env bash
# Quick start, step 2: run the whole test suite, unit tests and every notebook in fast mode.
#
#   ./test.sh                 everything (sets up .venv first if needed)
#   ./test.sh tests/test_modes.py -x   any pytest arguments narrow the run
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

if [ "$#" -eq 0 ]; then
  set -- tests notebooks solutions exercises
fi
exec .venv/bin/python -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=300 -p no:cacheprovider "$@"
