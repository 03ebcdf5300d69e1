"""``make bench``: the mock measured side by side with its ceiling and with Prism, on 127.0.0.1.

Run ``python -m benchmarks --help``. Modules: ``scenarios`` (the requests), ``loadgen`` (wrk in
its own process), ``servers`` (mock, ceiling and Prism as subprocesses), ``matrix`` (the
scenario x server x workers x concurrency runs), ``growth``, ``startup`` and ``soak`` (the other
measurements), ``targets`` and ``report`` (the verdicts, the Markdown table and the JSON).
"""
