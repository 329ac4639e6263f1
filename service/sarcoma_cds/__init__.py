"""sarcoma-cds: CDS Hooks 2.0 decision support for liver metastases of soft tissue sarcoma."""

__version__ = "0.1.0"

SERVICE_ID = "sts-liver-metastases"
GUIDELINE_DOI_URL = "https://doi.org/10.3390/cancers17081295"
GUIDELINE_LABEL = "Ibero-American Consensus on STS Liver Metastases (Cancers 2025;17:1295)"
