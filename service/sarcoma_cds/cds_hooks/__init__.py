"""The CDS Hooks 2.0 protocol: request, response, card and feedback models, and the JSON rule.

Pure data and validation (pydantic): no web framework, no I/O. The web layer and the CLI both
speak CDS Hooks through these models; the card builder produces `Card`s.
"""
