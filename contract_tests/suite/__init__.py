"""The shipped contract suite: one test per check of ``contract_tests.engine.registry``.

Run it with ``eigen-mock check``, or ``pytest --pyargs contract_tests.suite --eigen-base-url ...``;
its fixtures come from the ``eigen_contract`` plugin only (there is no conftest here), so it
behaves the same in this repository and in a user's.
"""
