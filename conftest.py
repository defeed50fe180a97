"""Settings for every test run, including the notebooks that nbval executes.

Set here, at import time, so that each notebook kernel inherits them: test runs never write
to your own exercise progress, and quizzes show their static form (no widget front end).
"""

import os
import tempfile

os.environ["COURSEKIT_PROGRESS"] = os.path.join(tempfile.mkdtemp(prefix="coursekit-test-"), "progress.json")
os.environ["COURSEKIT_STATIC_QUIZ"] = "1"
