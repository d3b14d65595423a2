"""Presentation: report documents (JSON), tables, CSV, Markdown, the demo's story, IATI XML."""
