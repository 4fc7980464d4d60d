"""Garbage photo classification for the Image Data Processing course book.

The assignment notebook imports this package for everything that is not the lesson
itself: finding and decoding the TrashNet photos, building ResNet18, initialising its
weights, training, evaluation and plots. Each module is one concern; see the README for
the layering.
"""

__version__ = "0.1.0"
