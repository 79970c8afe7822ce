"""Exporting a reading: every file the oncology team and other systems receive.

:func:`export_reading` writes, into a new folder, the case file and the lesion
table (CSV), the measurement report (DICOM SR, TID 1500), one key object selection
per study, the key images with their calipers (PNG, and Secondary Capture when
asked), and the PDF report in the chosen language. A folder that exists and is not
empty is refused, never overwritten, and a folder inside the source studies is
refused too. With ``deidentify`` the case and the source headers are de-identified
first (PS3.15 Basic Profile) and every writer works on those copies, so the same
replacement UIDs and shifted dates appear in every output.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import highdicom as hd
from pydicom.dataset import Dataset

from measurement.case import CaseFormatError, parse_case
from measurement.recist import evaluate
from reporting import i18n
from reporting.casefile import write_case
from reporting.csvtable import write_csv
from reporting.deidentify import Deidentifier
from reporting.keyimages import key_images, render_file, secondary_capture
from reporting.kos import build_kos_documents
from reporting.pdf import KeyImageFigure, ReportContent, write_pdf
from reporting.qtsupport import ensure_gui_application, format_date, locale_for
from reporting.sources import index_sources
from reporting.sr import SrError, build_sr
from viewer.sources import Location

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]
STEPS = 7


class ExportError(ValueError):
    """The export cannot start or finish; the message says what to do."""


@dataclass
class ExportResult:
    """What an export wrote."""

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    pages: int = 0
    notes: list[str] = field(default_factory=list)


def export_reading(
    case: Mapping[str, Any],
    sources: Sequence[Path],
    out_dir: Path,
    lang: str = "en",
    deidentify: bool = False,
    progress: Progress | None = None,
    *,
    evaluation: Mapping[str, Any] | None = None,
    flagged: Sequence[str] = (),
    findings: str = "",
    impression: str = "",
    tracking_uids: Mapping[str, str] | None = None,
    secondary_captures: bool = False,
    deidentifier: Deidentifier | None = None,
) -> ExportResult:
    """Write the whole reading into ``out_dir`` (a new or empty folder).

    Parameters
    ----------
    case
        The case (RECIST.md, nadir-case/1); its ``reader`` is the SR's observer.
    sources
        Files or folders holding the measured and flagged images.
    evaluation
        The RECIST evaluation; computed with :func:`measurement.recist.evaluate`
        when not given.
    flagged
        SOP Instance UIDs of images the reader flagged as key images.
    findings, impression
        The reader's free text for the report.
    tracking_uids
        Tracking UIDs by lesion ID kept from a report that was read in.
    deidentifier
        The replacement table to use (a new one by default).

    Raises
    ------
    ExportError
        When the output folder is in use or inside the sources, or the case breaks
        the format (the message names the field).
    """
    i18n.label("title", lang)
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, sources)
    try:
        parse_case(case)
    except CaseFormatError as error:
        raise ExportError(
            f"the case is not a valid nadir-case/1 object: {error}"
        ) from None
    report = _Reporter(progress)

    report.step("indexing the source images")
    found = index_sources(sources, _referenced_uids(case) | set(flagged))
    headers, files = found.headers, found.files
    reader = str(case.get("reader", "") or "")
    tracking = dict(tracking_uids or {})
    if deidentify:
        d = deidentifier or Deidentifier()
        for header in headers.values():
            d.dataset(header)
        case = d.case(case)
        files = {d.uid(uid): path for uid, path in files.items()}
        headers = {d.uid(uid): d.dataset(h) for uid, h in headers.items()}
        flagged = [d.uid(uid) for uid in flagged]
        tracking = {k: d.uid(v) for k, v in tracking.items()}
        findings, impression = d.text(findings), d.text(impression)
        reader = ""
    if evaluation is None:
        evaluation = evaluate(dict(case))

    # Everything is written into a staging folder beside the target and moved
    # into place at the end, so a failure leaves no half-written export.
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    final_dir = out_dir
    out_dir = Path(tempfile.mkdtemp(prefix=f".{final_dir.name}.", dir=final_dir.parent))
    try:
        result = _write_outputs(
            out_dir,
            case,
            headers,
            files,
            evaluation,
            reader,
            tracking,
            flagged,
            lang,
            deidentify,
            secondary_captures,
            findings,
            impression,
            report,
        )
        os.replace(out_dir, final_dir)
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise
    result.out_dir = final_dir
    result.files = [final_dir / path.relative_to(out_dir) for path in result.files]
    report.step("done")
    logger.info("exported the reading to %s (%d files)", final_dir, len(result.files))
    return result


def _write_outputs(
    out_dir: Path,
    case: Mapping[str, Any],
    headers: Mapping[str, Dataset],
    files: Mapping[str, Location],
    evaluation: Mapping[str, Any],
    reader: str,
    tracking: Mapping[str, str],
    flagged: Sequence[str],
    lang: str,
    deidentify: bool,
    secondary_captures: bool,
    findings: str,
    impression: str,
    report: _Reporter,
) -> ExportResult:
    """Write every output into ``out_dir`` (the staging folder)."""
    result = ExportResult(out_dir)
    dicom_dir = out_dir / "dicom"
    dicom_dir.mkdir()

    report.step("writing the case file and the table")
    write_case(out_dir / "case.json", case)
    write_csv(out_dir / "lesion-table.csv", case, evaluation)
    result.files += [out_dir / "case.json", out_dir / "lesion-table.csv"]

    report.step("writing the measurement report (SR)")
    try:
        sr = build_sr(case, headers, evaluation, reader, tracking_uids=tracking)
        _save(sr, dicom_dir / "measurement-report.dcm", deidentify, result)
    except SrError as error:
        result.notes.append(f"no measurement report: {error}")
        logger.warning("no measurement report: %s", error)

    report.step("writing the key object selections")
    for n, kos in enumerate(build_kos_documents(case, headers, flagged), start=1):
        _save(kos, dicom_dir / f"key-objects-{n}.dcm", deidentify, result)

    report.step("rendering the key images")
    figures = _key_images(case, headers, files, lang, out_dir, result, flagged)
    if secondary_captures:
        series = hd.UID()
        for n, figure in enumerate(figures, start=1):
            sc = secondary_capture(figure.image, headers[figure.sop_uid], n, series)
            _save(sc, dicom_dir / f"key-image-{n:02d}.dcm", deidentify, result)

    report.step("writing the PDF report")
    pdf_path = out_dir / f"report-{lang}.pdf"
    result.pages = write_pdf(
        pdf_path,
        case,
        evaluation,
        _content(headers, lang, figures, reader, deidentify, findings, impression),
    )
    result.files.append(pdf_path)
    return result


class _Reporter:
    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.done = 0

    def step(self, message: str) -> None:
        if self.progress is not None:
            self.progress(self.done, STEPS, message)
        self.done += 1


def _check_out_dir(out_dir: Path, sources: Sequence[Path]) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ExportError(
            f"output folder {out_dir} exists and is not empty; choose a new folder "
            "(an export never overwrites files)"
        )
    resolved = out_dir.resolve()
    for source in sources:
        root = Path(source).resolve()
        root = root if root.is_dir() else root.parent
        if resolved == root or root in resolved.parents:
            raise ExportError(
                f"output folder {out_dir} lies inside the source folder {source}; "
                "choose a folder outside the studies (sources are never written)"
            )


def _referenced_uids(case: Mapping[str, Any]) -> set[str]:
    uids = set()
    for lesion in case.get("lesions", []):
        for m in (lesion.get("measurements") or {}).values():
            uid = (m.get("image") or {}).get("sop_uid")
            if uid:
                uids.add(str(uid))
    return uids


def _key_images(
    case: Mapping[str, Any],
    headers: Mapping[str, Dataset],
    files: Mapping[str, Location],
    lang: str,
    out_dir: Path,
    result: ExportResult,
    flagged: Sequence[str],
) -> list[KeyImageFigure]:
    ensure_gui_application()
    locale = locale_for(lang)
    dates = {
        str(t.get("id")): str(t.get("date", "")) for t in case.get("timepoints", [])
    }
    png_dir = out_dir / "key-images"
    png_dir.mkdir()
    figures = []
    keys = key_images(case, headers, lang, locale, flagged)
    for n, key in enumerate(keys, start=1):
        path = files.get(key.sop_uid)
        if path is None:
            continue
        when = f"{key.timepoint} {format_date(dates.get(key.timepoint, ''), lang)}"
        image, _ = render_file(
            path, key.calipers, caption=when.strip(), organ=key.organ
        )
        png = png_dir / f"{n:02d}-{key.timepoint or 'image'}.png"
        image.save(str(png))
        result.files.append(png)
        labels = "; ".join(c.label for c in key.calipers)
        caption = f"{when}: {labels}" if labels else when
        figures.append(KeyImageFigure(image, caption, key.sop_uid))
    return figures


def _save(ds: Dataset, path: Path, deidentified: bool, result: ExportResult) -> None:
    if deidentified:
        Deidentifier.mark(ds)
    ds.save_as(path, enforce_file_format=True)
    result.files.append(path)
    logger.debug("wrote %s", path)


def _content(
    headers: Mapping[str, Dataset],
    lang: str,
    figures: Sequence[KeyImageFigure],
    reader: str,
    deidentified: bool,
    findings: str,
    impression: str,
) -> ReportContent:
    any_header = next(iter(headers.values()), Dataset())
    name = "" if deidentified else str(any_header.get("PatientName", "") or "")
    birth = "" if deidentified else str(any_header.get("PatientBirthDate", "") or "")
    descriptions = {
        str(h.get("StudyInstanceUID", "")): str(h.get("StudyDescription", "") or "")
        for h in headers.values()
    }
    return ReportContent(
        lang=lang,
        patient_name=name.replace("^", ", ", 1).replace("^", " "),
        patient_birth_date=birth,
        reader=reader,
        findings=findings,
        impression=impression,
        study_descriptions=descriptions,
        key_images=figures,
        deidentified=deidentified,
    )
