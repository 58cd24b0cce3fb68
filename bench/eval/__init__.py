"""Replay a labelled corpus of real framework versions through watcher and score it (issue 3, part 9).

Modules: `layout` (reads a corpus directory), `render` (text to HTML / PDF pages with site noise),
`httpserve` (a local HTTP server in a thread), `replay` (runs the real `watcher` CLI step by step),
`score` (the metrics), `report` (tables). The command is `bench/eval_corpus.py`; see README.md here.
"""
