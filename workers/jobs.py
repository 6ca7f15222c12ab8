"""RQ jobs: thin, importable functions taking plain arguments, safe to run twice."""
