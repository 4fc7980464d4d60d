"""Helpers of the assignment notebook that do not need a built site."""

import io
import warnings

import pytest

from garbage_classifier import notebook, profiles


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


@pytest.mark.parametrize("text", ["2.839e+05", "1.780", "1e-08", "27.3%", "n/a (diverged in epoch 2)", "Profile 'smoke': a \"test\""])
def test_glued_strings_paste_unchanged(monkeypatch, text):
    """What `{glue:text}`doc::key:s`` shows: myst-nb's reading of the text/plain that IPython stores."""
    from IPython.core.formatters import PlainTextFormatter
    from myst_nb.core.variables import format_plain_text

    glued = {}
    monkeypatch.setattr(notebook, "_myst_glue", lambda name, value, display: glued.update({name: value}))

    notebook.glue("value", text)
    stored = PlainTextFormatter()(glued["value"])

    assert format_plain_text(stored, "s") == text


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1.78, "1.780"), (1.7923, "1.792"), (8.9e7, "8.900e+07"), (0.0, "0.000"), (None, "NaN or infinite"), (float("nan"), "NaN or infinite")],
)
def test_losses_keep_four_significant_digits(value, shown):
    assert notebook.format_loss(value) == shown


def test_printed_banner_wraps_without_losing_words():
    smoke = profiles.get_profile("smoke")

    wrapped = notebook.profile_banner(smoke, width=60)

    assert max(len(line) for line in wrapped.splitlines()) <= 60
    assert "\n" in wrapped
    assert " ".join(wrapped.split()) == notebook.profile_banner(smoke)


@pytest.mark.parametrize(
    ("device_type", "advice"),
    [("cpu", "Runtime > Change runtime type > T4 GPU"), ("cuda", "Training on a GPU."), ("mps", "Apple GPU (MPS)")],
)
def test_device_message_names_device_and_time(device_type, advice):
    message = notebook.device_message(device_type, epoch_seconds=90, total_epochs=40)

    flat = " ".join(message.split())
    assert advice in flat
    assert "90 s per epoch, about 60 minutes for all 40 epochs" in flat
    assert max(len(line) for line in message.splitlines()) <= 64


def test_device_message_rounds_up_to_a_minute():
    flat = " ".join(notebook.device_message("cuda", epoch_seconds=0.4, total_epochs=2).split())

    assert "about 1 minute for all 2 epochs" in flat
