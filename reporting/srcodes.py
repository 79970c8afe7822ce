"""Coded concepts that the measurement report uses, both ways.

The lesion's organ (free text in the case file) is coded as a finding site from
SNOMED CT (anatomic regions, PS3.16 CID 4 and CID 7151); the kind of finding as
"Lesion" or "Lymph node"; RECIST responses with the DCM codes of CID 6144 where the
standard has them. Where it has none (overall response, "not evaluable", a
measurement's status), a private coding scheme ``99NADIR`` is used, as PS3.16
section 8.2 allows; readers that do not know it still see the meaning.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from pydicom.sr.coding import Code

logger = logging.getLogger(__name__)

PRIVATE_SCHEME = "99NADIR"

LESION = Code("52988006", "SCT", "Lesion")
LYMPH_NODE = Code("59441001", "SCT", "Lymph node")
LONG_AXIS = Code("103339001", "SCT", "Long axis")
SHORT_AXIS = Code("103340004", "SCT", "Short axis")
MILLIMETRE = Code("mm", "UCUM", "millimeter")
RECIST_1_1 = Code("126081", "DCM", "RECIST 1.1")
CURRENT_RESPONSE = Code("112048", "DCM", "Current Response")
BEST_OVERALL_RESPONSE = Code("112049", "DCM", "Best Overall Response")
SUM_OF_DIAMETERS = Code("sum-of-diameters", PRIVATE_SCHEME, "Sum of diameters")
TARGET_RESPONSE = Code("target-response", PRIVATE_SCHEME, "Target lesion response")
NON_TARGET_RESPONSE = Code(
    "non-target-response", PRIVATE_SCHEME, "Non-target lesion response"
)
NEW_LESIONS = Code("new-lesions", PRIVATE_SCHEME, "New lesions")
LESION_CATEGORY = Code("lesion-category", PRIVATE_SCHEME, "RECIST lesion category")
LESION_ASSESSMENT = Code("assessment", PRIVATE_SCHEME, "RECIST lesion assessment")
MEASUREMENT_STATUS = Code("status", PRIVATE_SCHEME, "Measurement status")
PERSON = Code("121006", "DCM", "Person")

CT_PROCEDURE = Code("25045-6", "LN", "CT unspecified body region")
MR_PROCEDURE = Code("25056-3", "LN", "MRI unspecified body region")
IMAGING_PROCEDURE = Code("363679005", "SCT", "Imaging procedure")

# Lesion kinds of the case file and their codes (CID 6145 for target and
# non-target; a new lesion has no code in that group).
KIND_CODES: dict[str, Code] = {
    "target": Code("112074", "DCM", "Target Lesion at Baseline"),
    "non-target": Code("112075", "DCM", "Non-Target Lesion at Baseline"),
    "new": Code("new-lesion", PRIVATE_SCHEME, "New lesion"),
}

# Non-target and new-lesion assessments of the case file (RECIST.md).
ASSESSMENT_CODES: dict[str, Code] = {
    "present": Code("121053", "DCM", "Present"),
    "absent": Code("121054", "DCM", "Absent"),
    "progression": Code("112047", "DCM", "Non-Target Lesion Progressive Disease"),
    "not-assessed": Code("not-assessed", PRIVATE_SCHEME, "Not assessed"),
    "equivocal": Code("42425007", "SCT", "Equivocal"),
    "unequivocal": Code("unequivocal", PRIVATE_SCHEME, "Unequivocal"),
}

STATUS_CODES: dict[str, Code] = {
    "merged": Code("merged", PRIVATE_SCHEME, "Merged"),
    "too-small": Code("too-small", PRIVATE_SCHEME, "Too small to measure"),
    "absent": Code("absent", PRIVATE_SCHEME, "Disappeared"),
    "not-assessed": Code("not-assessed", PRIVATE_SCHEME, "Not assessed"),
}

# Target-lesion responses (CID 6144), non-target responses (CID 6144) and overall
# responses, keyed by the evaluation's abbreviations.
TARGET_RESPONSE_CODES: dict[str, Code] = {
    "CR": Code("112041", "DCM", "Target Lesion Complete Response"),
    "PR": Code("112042", "DCM", "Target Lesion Partial Response"),
    "PD": Code("112043", "DCM", "Target Lesion Progressive Disease"),
    "SD": Code("112044", "DCM", "Target Lesion Stable Disease"),
    "NE": Code("NE", PRIVATE_SCHEME, "Not evaluable"),
}
NON_TARGET_RESPONSE_CODES: dict[str, Code] = {
    "CR": Code("112045", "DCM", "Non-Target Lesion Complete Response"),
    "Non-CR/Non-PD": Code(
        "112046", "DCM", "Non-Target Lesion Incomplete Response or Stable Disease"
    ),
    "PD": Code("112047", "DCM", "Non-Target Lesion Progressive Disease"),
    "NE": Code("NE", PRIVATE_SCHEME, "Not evaluable"),
}
OVERALL_RESPONSE_CODES: dict[str, Code] = {
    "CR": Code("CR", PRIVATE_SCHEME, "Complete response"),
    "PR": Code("PR", PRIVATE_SCHEME, "Partial response"),
    "SD": Code("SD", PRIVATE_SCHEME, "Stable disease"),
    "PD": Code("PD", PRIVATE_SCHEME, "Progressive disease"),
    "NE": Code("NE", PRIVATE_SCHEME, "Not evaluable"),
    "Non-CR/Non-PD": Code("Non-CR/Non-PD", PRIVATE_SCHEME, "Non-CR/Non-PD"),
}
NEW_LESION_CODES: dict[str, Code] = {
    "yes": Code("yes", PRIVATE_SCHEME, "Unequivocal new lesion"),
    "equivocal": Code("equivocal", PRIVATE_SCHEME, "Equivocal new lesion only"),
    "no": Code("no", PRIVATE_SCHEME, "No unequivocal new lesion"),
}

# Organ text of the case file -> (finding site, is a node). Reading maps the code
# (and the node flag) back to the same text.
_ORGANS: dict[str, tuple[Code, bool]] = {
    "liver": (Code("10200004", "SCT", "Liver"), False),
    "lung": (Code("39607008", "SCT", "Lung"), False),
    "bone": (Code("272673000", "SCT", "Bone"), False),
    "brain": (Code("12738006", "SCT", "Brain"), False),
    "adrenal gland": (Code("23451007", "SCT", "Adrenal gland"), False),
    "kidney": (Code("64033007", "SCT", "Kidney"), False),
    "pancreas": (Code("15776009", "SCT", "Pancreas"), False),
    "spleen": (Code("78961009", "SCT", "Spleen"), False),
    "breast": (Code("76752008", "SCT", "Breast"), False),
    "colon": (Code("71854001", "SCT", "Colon"), False),
    "stomach": (Code("69695003", "SCT", "Stomach"), False),
    "thyroid": (Code("69748006", "SCT", "Thyroid"), False),
    "prostate": (Code("41216001", "SCT", "Prostate"), False),
    "ovary": (Code("15497006", "SCT", "Ovary"), False),
    "peritoneum": (Code("15425007", "SCT", "Peritoneum"), False),
    "pleura": (Code("3120008", "SCT", "Pleura"), False),
    "mediastinum": (Code("72410000", "SCT", "Mediastinum"), False),
    "mediastinal node": (Code("72410000", "SCT", "Mediastinum"), True),
    "abdomen": (Code("818981001", "SCT", "Abdomen"), False),
    "abdominal node": (Code("818981001", "SCT", "Abdomen"), True),
    "pelvis": (Code("816092008", "SCT", "Pelvis"), False),
    "pelvic node": (Code("816092008", "SCT", "Pelvis"), True),
    "neck": (Code("45048000", "SCT", "Neck"), False),
    "cervical node": (Code("45048000", "SCT", "Neck"), True),
    "lymph node": (Code("59441001", "SCT", "Lymph node"), True),
}


MERGED_INTO = "Merged into "


def status_code(m: Mapping[str, Any]) -> Code:
    """The code of a measurement's status; a merge names the lesion it joined."""
    status = str(m["status"])
    if status == "merged":
        return Code(
            "merged", PRIVATE_SCHEME, f"{MERGED_INTO}{m.get('merged_into', '')}"
        )
    return STATUS_CODES[status]


def organ_code(organ: str, node: bool) -> Code:
    """The finding-site code for an organ text of the case file."""
    key = organ.strip().lower()
    known = _ORGANS.get(key)
    if known is not None:
        return known[0]
    slug = re.sub(r"[^a-z0-9]+", "-", key).strip("-")[:16] or "unspecified"
    logger.debug("organ %r has no SNOMED CT code here; coded privately", organ)
    return Code(slug, PRIVATE_SCHEME, organ.strip()[:64] or "unspecified")


def organ_text(value: str, scheme: str, meaning: str, node: bool) -> str:
    """The organ text for a finding-site code, the inverse of :func:`organ_code`."""
    if scheme == PRIVATE_SCHEME:
        return meaning
    for text, (code, is_node) in _ORGANS.items():
        if code.value == value and is_node == node:
            return text
    for text, (code, _is_node) in _ORGANS.items():
        if code.value == value:
            return text
    return meaning.lower()


def key_for(table: dict[str, Code], value: str, scheme: str) -> str | None:
    """The key of ``table`` whose code has this value and scheme, if any."""
    for key, code in table.items():
        if code.value == value and code.scheme_designator == scheme:
            return key
    return None
