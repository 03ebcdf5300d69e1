"""eigen-mock: offline mock server for Eigen AI's image generation API."""
