"""The PDF report for the oncology team, painted with Qt's PDF writer.

Pages flow top to bottom: the header (patient, reader, method, the studies compared
and their dates), the lesion table with the sums of diameters and the changes from
baseline and nadir, the response at each timepoint and the best overall response
with its margin (RECIST 1.1 section 4.3 and 4.4), the timeline plot, the reader's
findings and impression, a plain-language summary for the patient, and the key
images with their calipers. Every label comes from :mod:`reporting.i18n`; numbers
and dates follow the language. The text is real text in DejaVu Sans (Latin and
Cyrillic), so it can be searched and extracted.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from reporting import i18n
from reporting.pdfflow import BODY_PT, Flow, write_document
from reporting.qtsupport import (
    format_date,
    format_number,
    format_percent,
    locale_for,
)
from reporting.results import (
    TimepointResult,
    best_overall,
    lesion_value_mm,
    timepoint_results,
)
from reporting.timeline import TimelinePoint, draw_timeline

logger = logging.getLogger(__name__)


@dataclass
class KeyImageFigure:
    """A rendered key image and its caption lines."""

    image: QImage
    caption: str
    sop_uid: str = ""


@dataclass
class ReportContent:
    """Everything the report shows besides the case and its evaluation."""

    lang: str = "en"
    patient_name: str = ""
    patient_birth_date: str = ""
    reader: str = ""
    findings: str = ""
    impression: str = ""
    study_descriptions: Mapping[str, str] = field(default_factory=dict)
    key_images: Sequence[KeyImageFigure] = ()
    deidentified: bool = False


def write_pdf(
    path: Path,
    case: Mapping[str, Any],
    evaluation: Mapping[str, Any] | None,
    content: ReportContent,
) -> int:
    """Write the report to ``path``; returns the number of pages."""
    i18n.label("title", content.lang)  # fails early on an unknown language

    def paint(flow: Flow) -> None:
        results = timepoint_results(case, evaluation)
        _header(flow, case, content, results)
        _lesion_table(flow, case, results)
        _responses(flow, results, evaluation)
        _timeline(flow, results)
        _free_text(flow, content, results)
        _key_images(flow, content)

    return write_document(path, i18n.label("title", content.lang), content.lang, paint)


def _header(
    flow: Flow,
    case: Mapping[str, Any],
    content: ReportContent,
    results: Sequence[TimepointResult],
) -> None:
    lang = content.lang
    flow.text(i18n.label("title", lang), BODY_PT + 7, True, gap=0.3)
    if content.deidentified:
        flow.text(i18n.label("deidentified", lang), BODY_PT, True)
    patient = case.get("patient", {})
    lines = []
    if content.patient_name:
        lines.append(f"{i18n.label('patient', lang)}: {content.patient_name}")
    lines.append(f"{i18n.label('patient_id', lang)}: {patient.get('id', '')}")
    if content.patient_birth_date:
        birth = format_date(content.patient_birth_date, lang)
        lines.append(f"{i18n.label('birth_date', lang)}: {birth}")
    if content.reader:
        lines.append(f"{i18n.label('reader', lang)}: {content.reader}")
    lines.append(f"{i18n.label('method', lang)}: {i18n.label('method_text', lang)}")
    flow.text("\n".join(lines))
    flow.heading(i18n.label("studies", lang))
    rows = []
    for tp, r in zip(case.get("timepoints", []), results, strict=True):
        name = r.id + (f" ({i18n.label('baseline', lang)})" if r.baseline else "")
        description = content.study_descriptions.get(str(tp.get("study_uid", "")), "")
        rows.append([name, format_date(r.date, lang), description])
    flow.table(
        [i18n.label(k, lang) for k in ("timepoint", "date", "study")],
        rows,
        [0.25, 0.25, 0.5],
    )


def _lesion_table(
    flow: Flow, case: Mapping[str, Any], results: Sequence[TimepointResult]
) -> None:
    lang = flow.lang
    flow.heading(i18n.label("lesions", lang))
    header = [i18n.label(k, lang) for k in ("lesion", "kind", "organ")]
    header += [f"{r.id}\n{format_date(r.date, lang)}" for r in results]
    rows = []
    for lesion in case.get("lesions", []):
        kind = str(lesion.get("kind", ""))
        kind_text = i18n.label(kind, lang) if kind in i18n.labels(lang) else kind
        if lesion.get("node"):
            kind_text += f", {i18n.label('node', lang)}"
        site = i18n.organ(str(lesion.get("organ", "")), lang)
        row = [str(lesion.get("id", "")), kind_text, site]
        for r in results:
            row.append(_lesion_cell(lesion, r.id, lang))
        rows.append(row)
    first = len(rows)
    rows.append(
        [i18n.label("sum", lang), "", ""] + [_sum_text(r, lang) for r in results]
    )
    rows.append(
        [i18n.label("change_baseline", lang), "", ""]
        + [_pct(r.change_from_baseline_pct, lang) for r in results]
    )
    rows.append(
        [i18n.label("change_nadir", lang), "", ""]
        + [_pct(r.change_from_nadir_pct, lang) for r in results]
    )
    fixed = [0.09, 0.17, 0.18]
    rest = (1.0 - sum(fixed)) / max(1, len(results))
    flow.table(
        header,
        rows,
        fixed + [rest] * len(results),
        bold_rows=[first],
        spanned_rows=[first, first + 1, first + 2],
        span=3,
    )
    if any(lesion.get("node") for lesion in case.get("lesions", [])):
        flow.text(i18n.label("sa_note", lang), BODY_PT - 1)


def _lesion_cell(lesion: Mapping[str, Any], tp_id: str, lang: str) -> str:
    kind = lesion.get("kind")
    if kind != "target":
        value = (lesion.get("assessments") or {}).get(tp_id)
        return i18n.label(str(value), lang) if value else ""
    m = (lesion.get("measurements") or {}).get(tp_id)
    if not m:
        return i18n.label("not_measured", lang)
    status = m.get("status")
    if status == "merged":
        return f"{i18n.label('merged', lang)} → {m.get('merged_into', '')}"
    if status:
        return i18n.label(str(status), lang)
    if m.get("fragments_mm"):
        parts = " + ".join(format_number(float(v), lang) for v in m["fragments_mm"])
        total = _mm(lesion_value_mm(lesion, tp_id), lang)
        return f"{i18n.label('fragments', lang)}: {parts}\n= {total}"
    long_mm, short_mm = m.get("long_mm"), m.get("short_mm")
    if lesion.get("node") and short_mm is not None:
        text = f"{i18n.label('sa', lang)} {_mm(float(short_mm), lang)}"
        if long_mm is not None:
            text += f"\n({format_number(float(long_mm), lang)} × "
            text += f"{format_number(float(short_mm), lang)})"
        return text
    value = lesion_value_mm(lesion, tp_id)
    return _mm(value, lang) if value is not None else ""


def _responses(
    flow: Flow,
    results: Sequence[TimepointResult],
    evaluation: Mapping[str, Any] | None,
) -> None:
    lang = flow.lang
    flow.heading(i18n.label("responses", lang))
    rows = []
    for r in results:
        new = i18n.label(r.new_lesions, lang) if r.new_lesions else "–"
        rows.append(
            [
                f"{r.id}\n{format_date(r.date, lang)}",
                i18n.response(r.target, lang),
                i18n.response(r.non_target, lang),
                new,
                i18n.response(r.overall, lang),
                _margin(r.margin, r.target, lang),
            ]
        )
    header = [
        i18n.label(k, lang)
        for k in (
            "timepoint",
            "target_response",
            "non_target_response",
            "new_lesions",
            "overall_column",
            "margin",
        )
    ]
    flow.table(header, rows, [0.12, 0.17, 0.17, 0.1, 0.18, 0.26])
    best = best_overall(evaluation)
    text = f"{i18n.label('best', lang)}: {i18n.response(best.response, lang)}"
    where = []
    if best.timepoint:
        where.append(f"{i18n.label('seen_at', lang)} {best.timepoint}")
    if best.confirmed_by:
        where.append(f"{i18n.label('confirmed_by', lang)} {best.confirmed_by}")
    if where:
        text += f" ({', '.join(where)})"
    flow.text(text, BODY_PT + 1.5, True, gap=0.1)
    target = next((r.target for r in results if r.id == best.timepoint), None)
    margin = _margin(best.margin, target, lang)
    if margin:
        # the margin belongs to the timepoint the best response was seen at
        flow.text(f"{i18n.label('margin', lang)} ({best.timepoint}): {margin}")


def _timeline(flow: Flow, results: Sequence[TimepointResult]) -> None:
    lang = flow.lang
    points = []
    for r in results:
        try:
            date = datetime.date.fromisoformat(r.date)
        except ValueError:
            continue
        complete = r.sum_mm if r.sum_complete else None
        points.append(TimelinePoint(date, complete, r.id, r.overall))
    if not points:
        return
    baseline = next((r.sum_mm for r in results if r.baseline), None)
    nadir = next(
        (r.nadir_mm for r in reversed(results) if r.nadir_mm is not None), None
    )
    height = flow.area.width() * 0.45
    flow.heading(i18n.label("timeline", lang), keep_with=height)

    def paint(painter: QPainter, rect: QRectF) -> None:
        draw_timeline(
            painter, rect, points, baseline, nadir, lang, locale_for(lang), flow.family
        )

    flow.block(height, paint)


def _free_text(
    flow: Flow, content: ReportContent, results: Sequence[TimepointResult]
) -> None:
    lang = content.lang
    for key, text in (
        ("findings", content.findings),
        ("impression", content.impression),
    ):
        if text.strip():
            flow.heading(i18n.label(key, lang))
            flow.text(text.strip())
    latest = next((r.overall for r in reversed(results) if r.overall), None)
    if latest is None and all(r.baseline for r in results):
        latest = "baseline"
    flow.heading(i18n.label("summary", lang))
    flow.text(i18n.patient_summary(latest, lang), BODY_PT + 1)


def _key_images(flow: Flow, content: ReportContent) -> None:
    if not content.key_images:
        return
    flow.new_page()
    flow.heading(i18n.label("key_images", content.lang))
    gap = 4 * flow.mm
    cell = (flow.area.width() - gap) / 2
    caption_h = flow.line_height(BODY_PT) * 2.6
    for n in range(0, len(content.key_images), 2):
        pair = content.key_images[n : n + 2]
        heights = [cell * f.image.height() / max(1, f.image.width()) for f in pair]
        row_h = max(heights) + caption_h

        def paint(
            painter: QPainter,
            rect: QRectF,
            pair: Sequence[KeyImageFigure] = pair,
            heights: Sequence[float] = heights,
        ) -> None:
            for k, (figure, h) in enumerate(zip(pair, heights, strict=True)):
                x = rect.left() + k * (cell + gap)
                painter.drawImage(QRectF(x, rect.top(), cell, h), figure.image)
                painter.setFont(flow.font(BODY_PT - 0.5))
                painter.setPen(QColor("#000000"))
                painter.drawText(
                    QRectF(x, rect.top() + h + flow.mm, cell, caption_h),
                    int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap),
                    figure.caption,
                )

        flow.block(row_h, paint)


def _mm(value: float | None, lang: str) -> str:
    if value is None:
        return "–"
    return f"{format_number(value, lang)} {i18n.label('mm', lang)}"


def _pct(value: float | None, lang: str) -> str:
    return "–" if value is None else format_percent(value, lang)


def _margin(margin: Any, target: str | None, lang: str) -> str:
    """The engine's response margin (``grow_mm``/``grow_to``, ``shrink_mm``/
    ``shrink_to``) as a sentence in the report's language."""
    if not isinstance(margin, Mapping):
        return ""
    parts = []
    for key, leaving in (("grow", target == "PR"), ("shrink", target == "PD")):
        amount, to = margin.get(f"{key}_mm"), margin.get(f"{key}_to")
        if isinstance(amount, int | float) and to:
            parts.append(
                i18n.margin_text(
                    f"{key}_leaving" if leaving else key,
                    lang,
                    to=i18n.response_short(str(to), lang),
                    mm=_mm(abs(float(amount)), lang),
                )
            )
    return "; ".join(parts) if parts else i18n.margin_text("none", lang)


def _sum_text(r: TimepointResult, lang: str) -> str:
    """The sum of diameters; "≥" where a target was not assessed (a lower bound)."""
    if r.sum_mm is None:
        return "–"
    return _mm(r.sum_mm, lang) if r.sum_complete else f"≥ {_mm(r.sum_mm, lang)}"
