#!/usr/bin/env bash
# Quick start, step 1: set up everything the course needs, then open it in JupyterLab.
#
#   ./setup.sh           set up (or check) the environment and open the start-here notebook
#   ./setup.sh --no-lab  set up only; the test command and CI use this
#
# It makes a virtual environment in .venv, installs the pinned packages and
# coursekit into it, and registers a Jupyter kernel named "coursekit". Running it
# again is quick and changes nothing: the install is skipped while pyproject.toml
# is unchanged. Choose the Python with PYTHON=/path/to/python3 ./setup.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

open_lab=1
for arg in "$@"; do
  case "$arg" in
    --no-lab) open_lab=0 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup.sh: '$python' was not found. Install Python 3.10 to 3.13, or name it: PYTHON=/path/to/python3 ./setup.sh" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] <= (3, 13)))'; then
  echo "setup.sh: $("$python" --version 2>&1) is not supported; PyTorch and TensorFlow need Python 3.10 to 3.13." >&2
  echo "          Name another one: PYTHON=/path/to/python3.11 ./setup.sh" >&2
  exit 1
fi

venv_python=.venv/bin/python
if [ ! -x "$venv_python" ]; then
  echo "==> Creating the virtual environment in .venv"
  "$python" -m venv .venv
fi

# The install is redone only when the pins change: the stamp holds a hash of pyproject.toml.
wanted=$("$venv_python" -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')
stamp=.venv/.coursekit-installed
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "==> Installing the pinned packages and coursekit (a few minutes the first time)"
  "$venv_python" -m pip install --quiet --disable-pip-version-check -e ".[test]"
  echo "$wanted" > "$stamp"
  doctor_options=(--brief)
else
  echo "==> Packages already installed (pyproject.toml unchanged)"
  doctor_options=(--brief --no-tensorflow)  # TensorFlow was checked after the install; save seconds
fi

"$venv_python" -m ipykernel install --user --name coursekit --display-name "Python (coursekit)" >/dev/null
echo "==> Jupyter kernel 'coursekit' registered"
"$venv_python" -m coursekit doctor "${doctor_options[@]}" || true

if [ "$open_lab" = 1 ]; then
  echo "==> Opening JupyterLab (stop it with Ctrl-C)"
  lab_options=()
  [ "$(id -u)" = 0 ] && lab_options+=(--allow-root)  # containers and cloud machines often run as root
  # The course folder is the root, so exercises/ and solutions/ are in the file browser too.
  exec .venv/bin/jupyter lab "${lab_options[@]}" --ServerApp.root_dir="$PWD" \
    --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb
fi
