"""The gallery page under ``/_mock/ui``: its routes, static files and the thumbnails it shows."""
