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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import highdicom as hd
from pydicom.dataset import Dataset

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
    evaluation: Mapping[str, Any] | None = None,
    secondary_captures: bool = False,
    deidentifier: Deidentifier | None = None,
) -> ExportResult:
    """Write the whole reading into ``out_dir`` (a new or empty folder).

    Parameters
    ----------
    case
        The case (RECIST.md), optionally with ``reader``, ``findings``,
        ``impression`` and ``key_images``.
    sources
        Files or folders holding the measured images.
    evaluation
        The RECIST evaluation; computed with ``measurement.recist.evaluate`` when
        not given.
    deidentifier
        The replacement table to use (a new one by default).
    """
    i18n.label("title", lang)
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, sources)
    report = _Reporter(progress)

    report.step("indexing the source images")
    wanted = _referenced_uids(case)
    found = index_sources(sources, wanted)
    headers, files = found.headers, found.files
    if evaluation is None:
        evaluation = _evaluate(case)
    reader = str(case.get("reader", "") or "")
    if deidentify:
        d = deidentifier or Deidentifier()
        for header in headers.values():
            d.dataset(header)
        case = d.case(case)
        files = {d.uid(uid): path for uid, path in files.items()}
        headers = {d.uid(uid): d.dataset(h) for uid, h in headers.items()}
        reader = ""

    out_dir.mkdir(parents=True, exist_ok=True)
    result = ExportResult(out_dir)
    dicom_dir = out_dir / "dicom"
    dicom_dir.mkdir()

    report.step("writing the case file and the table")
    write_case(out_dir / "case.json", case)
    write_csv(out_dir / "lesion-table.csv", case, evaluation)
    result.files += [out_dir / "case.json", out_dir / "lesion-table.csv"]

    report.step("writing the measurement report (SR)")
    try:
        sr = build_sr(case, headers, evaluation, reader)
        _save(sr, dicom_dir / "measurement-report.dcm", deidentify, result)
    except SrError as error:
        result.notes.append(f"no measurement report: {error}")
        logger.warning("no measurement report: %s", error)

    report.step("writing the key object selections")
    for n, kos in enumerate(build_kos_documents(case, headers), start=1):
        _save(kos, dicom_dir / f"key-objects-{n}.dcm", deidentify, result)

    report.step("rendering the key images")
    figures = _key_images(case, headers, files, lang, out_dir, result)
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
        _content(case, headers, lang, figures, reader, deidentify),
    )
    result.files.append(pdf_path)
    report.step("done")
    logger.info("exported the reading to %s (%d files)", out_dir, len(result.files))
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
    for item in case.get("key_images", []) or []:
        uids.add(str(item.get("sop_uid") if isinstance(item, Mapping) else item))
    return uids


def _evaluate(case: Mapping[str, Any]) -> Mapping[str, Any] | None:
    try:
        from measurement.recist import evaluate
    except ImportError:
        # The RECIST engine is a separate module; without it the export still
        # writes the measurements, only the responses are left out.
        logger.warning("measurement.recist is not available; responses left out")
        return None
    result: Mapping[str, Any] = evaluate(dict(case))
    return result


def _key_images(
    case: Mapping[str, Any],
    headers: Mapping[str, Dataset],
    files: Mapping[str, Path],
    lang: str,
    out_dir: Path,
    result: ExportResult,
) -> list[KeyImageFigure]:
    ensure_gui_application()
    locale = locale_for(lang)
    dates = {
        str(t.get("id")): str(t.get("date", "")) for t in case.get("timepoints", [])
    }
    png_dir = out_dir / "key-images"
    png_dir.mkdir()
    figures = []
    for n, key in enumerate(key_images(case, headers, lang, locale), start=1):
        path = files.get(key.sop_uid)
        if path is None:
            continue
        when = f"{key.timepoint} {format_date(dates.get(key.timepoint, ''), lang)}"
        image, _ = render_file(path, key.calipers, caption=when.strip())
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
    case: Mapping[str, Any],
    headers: Mapping[str, Dataset],
    lang: str,
    figures: Sequence[KeyImageFigure],
    reader: str,
    deidentified: bool,
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
        findings=str(case.get("findings", "") or ""),
        impression=str(case.get("impression", "") or ""),
        study_descriptions=descriptions,
        key_images=figures,
        deidentified=deidentified,
    )
