"""Value types and vocabularies shared by every layer (dates and intervals, JWS algorithm
names): no imports from the rest of the service, so `fhir/`, `clinical/`, `settings` and
`security/` can all stand on them."""
