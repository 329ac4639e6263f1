"""Hand-kept tables the IDEA4RC generator needs and the IG does not carry.

The IG's sarcoma diagnosis concepts are OMOP "ICDO3" conditions whose names join an ICD-O-3
histology term and a topography term ("Leiomyosarcoma, NOS, of retroperitoneum", OMOP concept
code 8890/3-C48.0); the FSH lists only the id and the name. These tables give back the two
ICD-O-3 codes from the two terms, so that histology categories, GIST exclusion and the site of
the primary work as for any ICD-O-3-coded record.

Sources: ICD-O-3 (WHO, 3rd edition, first revision) and ICD-O-3.2 (IACR/WHO 2019) preferred
terms; the term spellings are those of the OMOP ICDO3 vocabulary as they appear in the IG.
Not verified against a licensed copy of ICD-O-3; a site checks them like its other value sets.
"""

from __future__ import annotations

# ICD-O-3 histology term (as in the concept names, without the trailing comma) → morphology.
HISTOLOGY: dict[str, str] = {
    "Adenosarcoma": "8933/3",
    "Aggressive fibromatosis": "8821/1",
    "Alveolar rhabdomyosarcoma": "8920/3",
    "Alveolar soft part sarcoma": "9581/3",
    "Angiomatoid fibrous histiocytoma": "8836/1",
    "Angiomyxoma, NOS": "8841/1",
    "Atypical fibrous histiocytoma": "8830/1",
    "Atypical lipomatous tumor": "8850/1",
    "Biphenotypic sinonasal sarcoma": "9045/3",
    "Cellular fibroma": "8810/1",
    "Clear cell sarcoma, NOS": "9044/3",
    "Dedifferentiated liposarcoma": "8858/3",
    "Desmoplastic small round cell tumor": "8806/3",
    "Ectomesenchymoma": "8921/3",
    "Embryonal rhabdomyosarcoma, NOS": "8910/3",
    "Endometrial stromal sarcoma, NOS": "8930/3",
    "Endometrial stromal sarcoma, low grade": "8931/3",
    # ICD-O-3.2 term and code (9133/3); ICD-O-3.0 had 9133/1 for the NOS term.
    "Epithelioid hemangioendothelioma, NOS": "9133/3",
    "Epithelioid leiomyosarcoma": "8891/3",
    "Epithelioid sarcoma, NOS": "8804/3",
    "Ewing sarcoma": "9260/3",
    "Fibroblastic reticular cell tumor": "9759/3",
    "Fibrosarcoma, NOS": "8810/3",
    "Follicular dendritic cell sarcoma": "9758/3",
    "Giant cell tumor of soft parts, NOS": "9251/1",
    "Glomus tumor, NOS": "8711/0",
    "Glomus tumor, malignant": "8711/3",
    "Granular cell tumor, NOS": "9580/0",
    "Granular cell tumor, malignant": "9580/3",
    "Hemangioendothelioma, NOS": "9130/1",
    "Hemangiosarcoma": "9120/3",
    "Histiocytic sarcoma": "9755/3",
    "Infantile fibrosarcoma": "8814/3",
    "Intimal sarcoma": "9137/3",
    "Langerhans cell sarcoma": "9756/3",
    "Leiomyosarcoma, NOS": "8890/3",
    "Liposarcoma, well differentiated, NOS": "8851/3",
    "Malignant peripheral nerve sheath tumor, NOS": "9540/3",
    "Malignant tenosynovial giant cell tumor": "9252/3",
    "Mesenchymoma, malignant": "8990/3",
    "Myoepithelial carcinoma": "8982/3",
    "Myoepithelioma, NOS": "8982/0",
    "Myofibroblastic sarcoma": "8825/3",
    "Myofibroblastic tumor, NOS": "8825/1",
    "Myxofibrosarcoma": "8811/3",
    "Myxoid chondrosarcoma": "9231/3",
    "Myxoid leiomyosarcoma": "8896/3",
    "Myxoid liposarcoma": "8852/3",
    "Myxosarcoma": "8840/3",
    "Ossifying fibromyxoid tumor, NOS": "8842/0",
    "Ossifying fibromyxoid tumor, malignant": "8842/3",
    "Osteosarcoma, NOS": "9180/3",
    "Perivascular epithelioid tumor, malignant": "8714/3",
    "Phyllodes tumor, benign": "9020/0",
    "Phyllodes tumor, borderline": "9020/1",
    "Phyllodes tumor, malignant": "9020/3",
    "Pleomorphic liposarcoma": "8854/3",
    "Pleomorphic rhabdomyosarcoma, adult type": "8901/3",
    "Plexiform fibrohistiocytic tumor": "8835/1",
    "Rhabdoid tumor, NOS": "8963/3",
    "Sex cord-gonadal stromal tumor, NOS": "8590/1",
    "Smooth muscle tumor of uncertain malignant potential": "8897/1",
    "Solitary fibrous tumor, NOS": "8815/1",
    "Solitary fibrous tumor, malignant": "8815/3",
    "Spindle cell rhabdomyosarcoma": "8912/3",
    "Synovial sarcoma, NOS": "9040/3",
    "Tenosynovial giant cell tumor, NOS": "9252/0",
    "Undifferentiated sarcoma": "8805/3",
}

_SOFT = "connective, Subcutaneous and other soft tissues of "

# ICD-O-3 topography term (as in the concept names) → topography code.
TOPOGRAPHY: dict[str, str] = {
    "accessory sinus, NOS": "C31.9",
    "acoustic nerve": "C72.4",
    "adrenal gland, NOS": "C74.9",
    "anterior surface of epiglottis": "C10.1",
    "anterior wall of nasopharynx": "C11.3",
    "anus, NOS": "C21.0",
    "bladder, NOS": "C67.9",
    "brain stem": "C71.7",
    "brain, NOS": "C71.9",
    "branchial cleft": "C10.4",
    "breast, NOS": "C50.9",
    "cauda equina": "C72.1",
    "cerebellum, NOS": "C71.6",
    "cerebrum": "C71.0",
    "choroid": "C69.3",
    "ciliary body": "C69.4",
    "colon, NOS": "C18.9",
    "conjunctiva": "C69.0",
    _SOFT + "abdomen": "C49.4",
    _SOFT + "head, face, and neck": "C49.0",
    _SOFT + "lower limb and hip": "C49.2",
    _SOFT + "pelvis": "C49.5",
    _SOFT + "thorax": "C49.3",
    _SOFT + "trunk, NOS": "C49.6",
    _SOFT + "upper limb and shoulder": "C49.1",
    "cornea, NOS": "C69.1",
    "cranial nerve, NOS": "C72.5",
    "duodenum": "C17.0",
    "esophagus, NOS": "C15.9",
    "ethmoid sinus": "C31.1",
    "extrahepatic bile duct": "C24.0",
    "eye, NOS": "C69.9",
    "female genital tract, NOS": "C57.9",
    "frontal lobe": "C71.1",
    "frontal sinus": "C31.2",
    "gallbladder": "C23.9",
    "glottis": "C32.0",
    "heart": "C38.0",
    "hypopharyngeal aspect of aryepiglottic fold": "C13.1",
    "hypopharynx, NOS": "C13.9",
    "ileum": "C17.2",
    "intestinal tract, NOS": "C26.0",
    "intra-abdominal lymph nodes": "C77.2",
    "intrathoracic lymph nodes": "C77.1",
    "jejunum": "C17.1",
    "kidney, NOS": "C64.9",
    "lacrimal gland": "C69.5",
    "laryngeal cartilage": "C32.3",
    "larynx, NOS": "C32.9",
    "lateral wall of nasopharynx": "C11.2",
    "lateral wall of oropharynx": "C10.2",
    "liver": "C22.0",
    "lung, NOS": "C34.9",
    "lymph nodes of axilla or arm": "C77.3",
    "lymph nodes of head, face and neck": "C77.0",
    "lymph nodes of inguinal region or leg": "C77.4",
    "main bronchus": "C34.0",
    "male genital organs, NOS": "C63.9",
    "maxillary sinus": "C31.0",
    "meckel diverticulum": "C17.3",
    "mediastinum, NOS": "C38.3",
    "meninges, NOS": "C70.9",
    "nasal cavity": "C30.0",
    "nasopharynx, NOS": "C11.9",
    "nervous system, NOS": "C72.9",
    "occipital lobe": "C71.4",
    "olfactory nerve": "C72.2",
    "optic nerve": "C72.3",
    "orbit, NOS": "C69.6",
    "oropharynx, NOS": "C10.9",
    "other specified parts of male genital organs": "C63.7",
    "ovary": "C56.9",
    "overlapping lesion of accessory sinuses": "C31.8",
    "overlapping lesion of hypopharynx": "C13.8",
    "overlapping lesion of larynx": "C32.8",
    "overlapping lesion of nasopharynx": "C11.8",
    "overlapping lesion of small intestine": "C17.8",
    "pancreas, NOS": "C25.9",
    "parietal lobe": "C71.3",
    "pelvic lymph nodes": "C77.5",
    "penis, NOS": "C60.9",
    "pharynx, NOS": "C14.0",
    "pineal gland": "C75.3",
    "pituitary gland": "C75.1",
    "pleura, NOS": "C38.4",
    "postcricoid region": "C13.0",
    "posterior wall of hypopharynx": "C13.2",
    "posterior wall of nasopharynx": "C11.1",
    "posterior wall of oropharynx": "C10.3",
    "prostate gland": "C61.9",
    "pyriform sinus": "C12.9",
    "rectosigmoid junction": "C19.9",
    "rectum, NOS": "C20.9",
    "renal pelvis": "C65.9",
    "retina": "C69.2",
    "retroperitoneum": "C48.0",
    "small intestine, NOS": "C17.9",
    "specified parts of peritoneum": "C48.1",
    "spermatic cord": "C63.1",
    "sphenoid sinus": "C31.3",
    "spinal cord": "C72.0",
    "stomach, NOS": "C16.9",
    "subglottis": "C32.2",
    "superior wall of nasopharynx": "C11.0",
    "supraglottis": "C32.1",
    "temporal lobe": "C71.2",
    "testis, NOS": "C62.9",
    "thymus": "C37.9",
    "thyroid gland": "C73.9",
    "trachea": "C33.9",
    "ureter": "C66.9",
    "urethra": "C68.0",
    "uterus, NOS": "C55.9",
    "vagina, NOS": "C52.9",
    "ventricle, NOS": "C71.5",
    "vulva, NOS": "C51.9",
}

# Targets of the concepts that are not histology-site concepts: IG value set, concept name →
# the project value set it supplements. By name, because names are what the IG guarantees
# (ids are checked to be unique per name by the generator). Sources: the IG's own
# descriptions (Surgery2FHIR / DiseaseExtent maps name these concepts per metastatic site).
METASTASIS_DISORDERS = ("MetastasisDisorderVS", {
    "Metastasis to liver": "metastasis-liver",
    "Metastasis to lung": "metastasis-lung",
    "Metastasis to bone": "metastasis-bone",
    "Metastasis to brain": "metastasis-brain",
    "Metastasis to soft tissues": "metastasis-soft-tissue",
    "Regional spread to lymph node": "metastasis-lymph-node",
    "Distant spread to lymph node": "metastasis-lymph-node",
    "Metastasis to pleura": "metastasis-pleural",
    "Metastasis to peritoneum": "metastasis-peritoneal",
    "Metastasis": "metastasis-generic",
})  # fmt: skip

# Body sites of a generic "Metastasis" (VsSiteOfMetastasisI4rc). "All abdominal viscera" and
# "unknown" name no organ and stay unmapped (site unknown). "Metastasis to liver" is also the
# IG's body site for surgery on a liver metastasis (Surgery2FHIR): it is a liver body site too.
METASTASIS_SITES = ("VsSiteOfMetastasisI4rc", {
    "Liver structure": "bodysite-liver",
    "Lung structure": "bodysite-lung",
    "Bone part": "bodysite-bone",
    "Structure of lymph node": "bodysite-lymph-node",
    "Pleural structure": "bodysite-pleura",
    "Structure of serous membrane of peritoneum": "bodysite-peritoneum",
    "Brain structure": "bodysite-brain",
})  # fmt: skip
SURGERY_SITES = ("MetastasisDisorderVS", {"Metastasis to liver": "bodysite-liver"})

ECOG = ("VsEcogI4rc", {f"ECOG performance status - grade {g}": "ecog-answer" for g in range(6)})

RESPONSES = ("VsTreatmentResponseI4rc", {
    "Complete Remission": "response-improved",
    "Partial Remission": "response-improved",
    "Stable Disease": "response-stable",
    "Progression": "response-progressed",
})  # fmt: skip

# Disease status of an episode Condition (CancerEventTypeVS, in clinicalStatus): read as a
# disease-status assessment at the episode's date. A recurrence is a worsening.
EPISODE_STATUSES = ("CancerEventTypeVS", {
    "Complete Remission": "response-improved",
    "Partial Remission": "response-improved",
    "Stable disease": "response-stable",
    "Progression": "response-progressed",
    "Recurrence": "response-progressed",
})  # fmt: skip

# Systemic agents used for STS (input-profile.md "Medications"): a regimen counts when one of
# its agents is listed; an ATC code when its name is. GIST-only agents (imatinib) are absent.
STS_AGENTS = (
    "doxorubicin", "epirubicin", "ifosfamide", "dacarbazine", "trabectedin", "eribulin",
    "gemcitabine", "docetaxel", "paclitaxel", "pazopanib", "cyclophosphamide", "vincristine",
    "dactinomycin", "actinomycin d", "temozolomide", "etoposide", "irinotecan", "topotecan",
    "regorafenib", "cisplatin", "vinorelbine",
)  # fmt: skip
REGIMENS = "RegimenVS"
ATC_DRUGS = "VsI4rcAtcCodes"
SARCOMA_DIAGNOSES = "SarcomeListVS"
# The project value set the regimens and drugs supplement: the drug codes of medication
# resources (clinical/medications.py), not the chemotherapy *procedure* set.
SYSTEMIC_TARGET = "systemic-agent"

# Surgery types (VsSurgicalProcedureCategoryI4rc; SurgeryI4RC.surgeryType, Procedure.code):
# "Surgical procedure" (4301351, the IG's code when the type is not specified) and "Local
# excision" (4315400) name no organ, like SNOMED 387713003 / 65801008 in excision-generic: they
# count by their body site or reason (a liver metastasis, the primary). Amputation and limb
# operation are primary-only operations and are not mapped here.
SURGERY_TYPES = ("VsSurgicalProcedureCategoryI4rc", {
    "Surgical procedure": "excision-generic",
    "Local excision": "excision-generic",
})  # fmt: skip
