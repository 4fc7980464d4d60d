"""Helpers of the assignment notebook that do not need a built site."""

import io
import warnings

from garbage_classifier import notebook


def warn_from_package():
    warnings.warn("Training diverged in epoch 2.", stacklevel=2)


def test_plain_warnings_hide_source_path():
    stream = io.StringIO()

    with notebook.plain_warnings(stream):
        warn_from_package()

    assert stream.getvalue() == "UserWarning: Training diverged in epoch 2.\n"


def test_plain_warnings_restore_previous_handler():
    original = warnings.showwarning

    with notebook.plain_warnings(io.StringIO()):
        assert warnings.showwarning is not original

    assert warnings.showwarning is original
