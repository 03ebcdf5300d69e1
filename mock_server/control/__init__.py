"""The control plane under ``/_mock/``, and the same operations as a Python API (``python_api``)."""
