"""Population screening (`sarcoma-cds screen`): a FHIR Bulk Data export in, a tumour-board
worklist and report out, through the same `Engine` as patient-view, one patient at a time."""
