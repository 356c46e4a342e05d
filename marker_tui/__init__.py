"""marker-tui: run short-answer assessments end to end in the terminal."""

__version__ = "0.1.0"
