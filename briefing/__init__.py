"""briefing: turn the day's multilingual news into one attributed English digest."""

__version__ = "0.1.0"
