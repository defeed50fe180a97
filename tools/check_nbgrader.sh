#!/usr/bin/env bash
# Show that nbgrader takes the solution notebooks as they are.
#
#   tools/check_nbgrader.sh [NBGRADER_VENV]
#
# nbgrader is not one of the course's dependencies; install it in a separate environment:
#   python3 -m venv /tmp/nbg-venv && /tmp/nbg-venv/bin/pip install nbgrader
# (the default NBGRADER_VENV). In a temporary nbgrader course folder, each solution notebook
# becomes an assignment; the script runs `nbgrader generate_assignment` on it, checks that the
# student version holds no solution or hidden test, then autogrades two submissions with the
# course's own Python (.venv): the solution itself (full marks) and the untouched student
# version (no marks), and prints the grades.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-${NBGRADER_VENV:-/tmp/nbg-venv}}"
python="$root/.venv/bin/python"
[ -x "$venv/bin/nbgrader" ] || { echo "no nbgrader in $venv (see the top of $0)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PATH="$venv/bin:$PATH"                       # nbgrader calls its own `alembic`
export JUPYTER_PATH="$work/jupyter"                 # a python3 kernel that runs the course's Python
export COURSEKIT_PROGRESS="$work/progress.json" COURSEKIT_MODE=fast COURSEKIT_STATIC_QUIZ=1
mkdir -p "$JUPYTER_PATH/kernels/python3"
printf '{"argv": ["%s", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "course", "language": "python"}\n' \
  "$python" > "$JUPYTER_PATH/kernels/python3/kernel.json"

course="$work/course"
mkdir -p "$course"
printf 'c = get_config()\nc.CourseDirectory.course_id = "coursekit"\n' > "$course/nbgrader_config.py"
cd "$course"
for notebook in "$root"/solutions/*.ipynb; do
  name="$(basename "$notebook" .ipynb)"
  mkdir -p "source/$name" "submitted/solution/$name" "submitted/untouched/$name"
  cp "$notebook" "source/$name/"
  echo "== nbgrader generate_assignment $name"
  nbgrader generate_assignment "$name" --force 2>&1 | sed 's/^/   /'
  release="release/$name/$name.ipynb"
  if grep -q -e "BEGIN SOLUTION" -e "HIDDEN TESTS" "$release"; then
    echo "FAIL: $release still holds a marker" >&2; exit 1
  fi
  cp "$notebook" "submitted/solution/$name/"
  cp "$release" "submitted/untouched/$name/"
  echo "== nbgrader autograde $name"
  nbgrader autograde "$name" --force 2>&1 | grep -e "ERROR" -e "Autograding" | sed 's/^/   /' || true
done
nbgrader export > /dev/null 2>&1
echo "== grades (the solution should have full marks, the untouched student version none)"
cut -d, -f1,4,8,11 grades.csv | column -s, -t
awk -F, 'NR > 1 && $4 == "solution" && $8 != $11 { bad = 1 } NR > 1 && $4 == "untouched" && $8 != 0 { bad = 1 }
         END { exit bad }' grades.csv || { echo "FAIL: unexpected grades" >&2; exit 1; }
echo "nbgrader: OK"
