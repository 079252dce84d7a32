"""`assume_role.dates` gives the standard date classes, with or without the C module."""

from __future__ import annotations

import datetime
import subprocess
import sys

from assume_role import dates


def test_the_classes_are_the_standard_ones():
    assert (dates.datetime, dates.timedelta, dates.timezone) == (
        datetime.datetime, datetime.timedelta, datetime.timezone)


def test_without_the_c_module_the_python_ones_serve():
    # An interpreter built without _datetime: the import falls back to the
    # datetime module, and dates still parse and compare as the store needs.
    code = (
        "import sys\n"
        "sys.modules['_datetime'] = None\n"
        "import datetime\n"
        "from assume_role import dates\n"
        "assert dates.datetime is datetime.datetime\n"
        "moment = dates.datetime.fromisoformat('2030-01-02T03:04:05+00:00')\n"
        "print(moment + dates.timedelta(minutes=1) > moment, moment.tzinfo == dates.timezone.utc)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "True True\n"
