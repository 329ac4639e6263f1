"""Codings used by the example patients (ICD-10-CM, SNOMED CT, ICD-O-3, LOINC, CPT, local).

Displays are for humans; the service never matches on them. Deliberate encoding quirks from the
input profile (codes without the dot, "94381002.0", "88903") are named *_QUIRK.
"""

from __future__ import annotations

from _fhir import CPT, ICD10CM, ICDO3, LOCAL, LOINC, SCT, CodeTriple

# Primary soft-tissue sarcoma sites (ICD-10-CM)
C49_HEAD_NECK: CodeTriple = (
    ICD10CM,
    "C49.0",
    "Malignant neoplasm of connective and soft tissue of head, face and neck",
)
C49_UPPER_LIMB: CodeTriple = (
    ICD10CM,
    "C49.1",
    "Malignant neoplasm of connective and soft tissue of upper limb, including shoulder",
)
C49_LOWER_LIMB: CodeTriple = (
    ICD10CM,
    "C49.2",
    "Malignant neoplasm of connective and soft tissue of lower limb, including hip",
)
C49_LOWER_LIMB_QUIRK: CodeTriple = (ICD10CM, "C492", C49_LOWER_LIMB[2])
C49_THORAX: CodeTriple = (
    ICD10CM,
    "C49.3",
    "Malignant neoplasm of connective and soft tissue of thorax",
)
C49_ABDOMEN: CodeTriple = (
    ICD10CM,
    "C49.4",
    "Malignant neoplasm of connective and soft tissue of abdomen",
)
C49_PELVIS: CodeTriple = (
    ICD10CM,
    "C49.5",
    "Malignant neoplasm of connective and soft tissue of pelvis",
)
C48_RETROPERITONEUM: CodeTriple = (ICD10CM, "C48.0", "Malignant neoplasm of retroperitoneum")
C55_UTERUS: CodeTriple = (ICD10CM, "C55", "Malignant neoplasm of uterus, part unspecified")
C16_STOMACH: CodeTriple = (ICD10CM, "C16.2", "Malignant neoplasm of body of stomach")
C49A2_GIST: CodeTriple = (ICD10CM, "C49.A2", "Gastrointestinal stromal tumor of stomach")

# Sarcoma disorders (SNOMED CT)
SCT_SARCOMA: CodeTriple = (SCT, "424413001", "Sarcoma")
SCT_LMS: CodeTriple = (SCT, "443719001", "Leiomyosarcoma")
SCT_SYNOVIAL: CodeTriple = (SCT, "302851001", "Synovial sarcoma")
SCT_GIST: CodeTriple = (SCT, "420120006", "Gastrointestinal stromal tumor")

# Morphology (ICD-O-3)
M_LMS: CodeTriple = (ICDO3, "8890/3", "Leiomyosarcoma, NOS")
M_LMS_QUIRK: CodeTriple = (ICDO3, "88903", "Leiomyosarcoma, NOS")
M_UPS: CodeTriple = (
    ICDO3,
    "8830/3",
    "Malignant fibrous histiocytoma (undifferentiated pleomorphic sarcoma)",
)
M_MYXOID_LPS: CodeTriple = (ICDO3, "8852/3", "Myxoid liposarcoma")
M_DEDIFF_LPS: CodeTriple = (ICDO3, "8858/3", "Dedifferentiated liposarcoma")
M_ASPS: CodeTriple = (ICDO3, "9581/3", "Alveolar soft part sarcoma")
M_ANGIO: CodeTriple = (ICDO3, "9120/3", "Hemangiosarcoma (angiosarcoma)")
M_SYNOVIAL: CodeTriple = (ICDO3, "9040/3", "Synovial sarcoma, NOS")
M_GIST: CodeTriple = (ICDO3, "8936/3", "Gastrointestinal stromal sarcoma")

# Metastases
C78_LIVER: CodeTriple = (
    ICD10CM,
    "C78.7",
    "Secondary malignant neoplasm of liver and intrahepatic bile duct",
)
C78_LIVER_QUIRK: CodeTriple = (ICD10CM, "C787", C78_LIVER[2])
SCT_LIVER_MET: CodeTriple = (SCT, "94381002", "Secondary malignant neoplasm of liver")
SCT_LIVER_MET_QUIRK: CodeTriple = (SCT, "94381002.0", "Secondary malignant neoplasm of liver")
C78_RIGHT_LUNG: CodeTriple = (ICD10CM, "C78.01", "Secondary malignant neoplasm of right lung")
C78_LEFT_LUNG: CodeTriple = (ICD10CM, "C78.02", "Secondary malignant neoplasm of left lung")
SCT_LUNG_MET: CodeTriple = (SCT, "94391008", "Secondary malignant neoplasm of lung")
C79_BONE: CodeTriple = (ICD10CM, "C79.51", "Secondary malignant neoplasm of bone")
SCT_BONE_MET: CodeTriple = (SCT, "94222008", "Secondary malignant neoplasm of bone")
C78_RETRO_PERITONEUM: CodeTriple = (
    ICD10CM,
    "C78.6",
    "Secondary malignant neoplasm of retroperitoneum and peritoneum",
)
SCT_PERITONEAL_MET: CodeTriple = (SCT, "94627008", "Secondary malignant neoplasm of peritoneum")
J91_PLEURAL_EFFUSION: CodeTriple = (ICD10CM, "J91.0", "Malignant pleural effusion")
SCT_PLEURAL_EFFUSION: CodeTriple = (SCT, "860792009", "Malignant pleural effusion")
I31_PERICARDIAL_EFFUSION: CodeTriple = (
    ICD10CM,
    "I31.31",
    "Malignant pericardial effusion in diseases classified elsewhere",
)
SCT_MALIGNANT_MENINGITIS: CodeTriple = (SCT, "230156002", "Malignant meningitis")

# Comorbidities and history
K74_CIRRHOSIS: CodeTriple = (ICD10CM, "K74.60", "Unspecified cirrhosis of liver")
SCT_CIRRHOSIS: CodeTriple = (SCT, "19943007", "Cirrhosis of liver")
B18_HEP_B: CodeTriple = (ICD10CM, "B18.1", "Chronic viral hepatitis B without delta-agent")
SCT_HEP_B: CodeTriple = (SCT, "61977001", "Chronic type B viral hepatitis")
Z85_COLORECTAL: CodeTriple = (
    ICD10CM,
    "Z85.038",
    "Personal history of other malignant neoplasm of large intestine",
)
I10_HYPERTENSION: CodeTriple = (ICD10CM, "I10", "Essential (primary) hypertension")
SCT_HYPERTENSION: CodeTriple = (SCT, "38341003", "Hypertensive disorder, systemic arterial")
E11_DIABETES: CodeTriple = (ICD10CM, "E11.9", "Type 2 diabetes mellitus without complications")
SCT_DIABETES: CodeTriple = (SCT, "44054006", "Diabetes mellitus type 2")
D18_HEMANGIOMA: CodeTriple = (ICD10CM, "D18.03", "Hemangioma of intra-abdominal structures")
NOT_SURGICAL_CANDIDATE: CodeTriple = (LOCAL, "not-surgical-candidate", "Not a surgical candidate")

# Disease status (mCODE CancerDiseaseStatus values)
STATUS_STABLE: CodeTriple = (SCT, "359746009", "Patient's condition stable")
STATUS_WORSENED: CodeTriple = (SCT, "271299001", "Patient's condition worsened")

# Procedures
SCT_HEPATECTOMY: CodeTriple = (SCT, "107963000", "Liver excision")
CPT_PARTIAL_LOBECTOMY: CodeTriple = (
    CPT,
    "47120",
    "Hepatectomy, resection of liver; partial lobectomy",
)
CPT_TRISEGMENTECTOMY: CodeTriple = (
    CPT,
    "47122",
    "Hepatectomy, resection of liver; trisegmentectomy",
)
SCT_CHEMOTHERAPY: CodeTriple = (SCT, "367336001", "Chemotherapy")
SCT_TUMOUR_RESECTION: CodeTriple = (SCT, "370611004", "Resection of neoplasm")
CAT_SURGICAL: CodeTriple = (SCT, "387713003", "Surgical procedure")
CAT_THERAPEUTIC: CodeTriple = (SCT, "277132007", "Therapeutic procedure")

# Observations
LOINC_HISTOLOGY: CodeTriple = (LOINC, "31206-6", "Histology and Behavior ICD-O-3 Cancer")
# Added for the tumour-board reasoning examples (issue 13)
STATUS_IMPROVED: CodeTriple = (SCT, "268910001", "Patient's condition improved")
SCT_LIVER_BIOPSY: CodeTriple = (SCT, "86259008", "Biopsy of liver")
CPT_LIVER_RFA: CodeTriple = (
    CPT,
    "47382",
    "Ablation, 1 or more liver tumor(s), percutaneous, radiofrequency",
)
SCT_ASA: CodeTriple = (
    SCT,
    "302132005",
    "American Society of Anesthesiologists physical status class",
)
SCT_ASA_III: CodeTriple = (
    SCT,
    "413497009",
    "American Society of Anesthesiologists physical status class 3",
)
M_LMS_METASTATIC: CodeTriple = (ICDO3, "8890/6", "Leiomyosarcoma, metastatic")
