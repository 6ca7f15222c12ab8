"""RQ workers: slow or failure-prone work (outbound texts and calls, provider searches)."""
