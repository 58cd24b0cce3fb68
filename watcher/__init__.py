"""watcher: watches published frontier AI safety frameworks and reports, with evidence, when they change."""

__version__ = "0.1.0"
