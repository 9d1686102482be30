"""spaCy components: thin wrappers over the plain functions of the pipeline stages.

Importing this package registers the factories (``extractor_lexicon``, ``extractor_ner``,
``extractor_context``, ``extractor_thresholds``) with spaCy.
"""

from . import context, lexicon, ner, thresholds  # noqa: F401  (registers the factories)
