"""pytest plugin with the ``eigen_mock`` fixture (placeholder until the fixture lands)."""
