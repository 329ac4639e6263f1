"""The tumour-board view as a SMART on FHIR app (SMART App Launch 2.0), served by the service."""
