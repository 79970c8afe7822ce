"""Key object selection: one valid document per study with every key image."""

from __future__ import annotations

import pydicom
import pytest
from reporting_checks import dciodvfy_errors
from reporting_testdata import case_for, headers_by_uid, write_studies

from reporting.kos import KosError, key_image_uids, write_kos


def test_one_valid_document_per_study_with_measured_and_flagged_images(tmp_path):
    studies = write_studies(tmp_path / "src")
    case = case_for(studies)
    flagged = str(studies[2][0].SOPInstanceUID)
    out = tmp_path / "out"
    out.mkdir()
    paths = write_kos(out, case, headers_by_uid(studies), [flagged])
    assert len(paths) == 3
    referenced_by_study = {}
    for path in paths:
        assert dciodvfy_errors(path) == []
        ds = pydicom.dcmread(path)
        assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.59"
        assert ds.ConceptNameCodeSequence[0].CodeValue == "113000"
        refs = [
            item.ReferencedSOPSequence[0].ReferencedSOPInstanceUID
            for item in ds.ContentSequence
            if item.ValueType == "IMAGE"
        ]
        referenced_by_study[ds.StudyInstanceUID] = refs
        evidence = ds.CurrentRequestedProcedureEvidenceSequence
        assert len(evidence) == 1
        assert evidence[0].StudyInstanceUID == ds.StudyInstanceUID
    # the measured middle slice of each study, plus the flagged slice of the last
    assert referenced_by_study == {
        str(studies[0][1].StudyInstanceUID): [str(studies[0][1].SOPInstanceUID)],
        str(studies[1][1].StudyInstanceUID): [str(studies[1][1].SOPInstanceUID)],
        str(studies[2][1].StudyInstanceUID): [
            str(studies[2][1].SOPInstanceUID),
            flagged,
        ],
    }


def test_key_image_order_and_missing_header(tmp_path):
    studies = write_studies(tmp_path / "src")
    case = case_for(studies)
    uids = key_image_uids(case, ["1.2.3.4"])
    assert uids[-1] == "1.2.3.4"
    assert len(uids) == 4
    with pytest.raises(KosError, match=r"key image 1\.2\.3\.4 is not among"):
        write_kos(tmp_path, case, headers_by_uid(studies), ["1.2.3.4"])
