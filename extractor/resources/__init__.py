"""Rule data shipped with the package (JSONL), read by :mod:`extractor.rules`."""
