"""The PDF report: page count and the figures and words on its pages per language."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from reporting_testdata import case_for, headers_by_uid, write_studies

from measurement.recist import evaluate
from reporting import i18n
from reporting.keyimages import key_images, render_file
from reporting.pdf import KeyImageFigure, ReportContent, write_pdf
from reporting.qtsupport import locale_for

# The application's QApplication first, so the report's QGuiApplication is not
# the one widget tests later find.
pytestmark = pytest.mark.usefixtures("qapp")

EXPECTED = {
    "en": [
        "32.2 mm",
        "19.4 mm",
        "25.7 mm",
        "−39.8%",
        "+32.5%",
        "Partial response (PR)",
        "Progressive disease (PD)",
        "Best overall response: Stable disease (SD) (seen at T1)",
        "SD if the sum grows by more than 3.1 mm",
        "SD if it shrinks by more than 1.3 mm",
        "RECIST 1.1",
        "Sum of diameters",
        "12 Jan 2026",
        "have grown since their smallest size",
        "Page 1 of 3",
    ],
    "de": [
        "32,2 mm",
        "19,4 mm",
        "25,7 mm",
        "−39,8 %",
        "+32,5 %",
        "Partielle Remission (PR)",
        "Progrediente Erkrankung (PD)",
        "Bestes Gesamtansprechen: Stabile Erkrankung (SD) (gesehen bei T1)",
        "SD, wenn die Summe um mehr als 3,1 mm wächst",
        "Summe der Durchmesser",
        "12.01.2026",
        "Leber",
        "seit ihrer kleinsten Größe gewachsen",
        "Seite 1 von 3",
    ],
    "ru": [
        "32,2 мм",
        "19,4 мм",
        "25,7 мм",
        "−39,8 %",
        "+32,5 %",
        "Частичный ответ (ЧО)",
        "Прогрессирование (ПБ)",
        "Лучший общий ответ: Стабилизация (СБ) (отмечен в точке T1)",
        "СБ, если сумма вырастет более чем на 3,1 мм",
        "Сумма диаметров",
        "12.01.2026",
        "печень",
        "увеличились по сравнению с их наименьшим размером",
        "Стр. 1 из 3",
    ],
}


def _text(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    run = subprocess.run(
        ["pdftotext", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return " ".join(run.stdout.split())


def _pages(path) -> int:
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    run = subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, text=True, check=True
    )
    line = next(x for x in run.stdout.splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


@pytest.mark.parametrize("lang", ["en", "de", "ru"])
def test_report_pages_and_text(lang, tmp_path):
    studies = write_studies(tmp_path / "src")
    case = case_for(studies)
    headers = headers_by_uid(studies)
    figures = []
    for key in key_images(case, headers, lang, locale_for(lang)):
        image, _ = render_file(headers[key.sop_uid].filename, key.calipers, 256)
        figures.append(KeyImageFigure(image, key.timepoint))
    content = ReportContent(
        lang=lang,
        patient_name="Doe, Jane",
        reader="Dr. Anna Smith",
        findings="L1 regrew after the nadir.",
        impression="Progression.",
        key_images=figures,
    )
    path = tmp_path / f"report-{lang}.pdf"
    assert write_pdf(path, case, evaluate(case), content) == 3
    assert _pages(path) == 3
    text = _text(path)
    for expected in EXPECTED[lang]:
        assert expected in text, expected
    assert "L1 regrew after the nadir." in text


def test_every_label_is_translated():
    english = i18n.labels("en")
    for lang in ("de", "ru"):
        labels = i18n.labels(lang)
        assert labels.keys() == english.keys()
        same = [k for k in labels if labels[k] == english[k]]
        # words that are the same in German (Patient, Nadir, Methode is not) only
        allowed = (
            {"patient", "method_text", "nadir", "mm", "sa"} if lang == "de" else {"mm"}
        )
        assert set(same) <= allowed, same


def test_unknown_language_is_refused(tmp_path):
    with pytest.raises(ValueError, match="language 'fr' is not available"):
        write_pdf(
            tmp_path / "r.pdf",
            {"timepoints": [], "lesions": []},
            None,
            ReportContent(lang="fr"),
        )


def test_an_incomplete_sum_is_shown_as_a_lower_bound(tmp_path):
    studies = write_studies(tmp_path / "src")
    case = case_for(studies)
    case["lesions"][1]["measurements"]["T2"] = {"status": "not-assessed"}
    evaluation = evaluate(case)
    assert evaluation["timepoints"][2]["sum_complete"] is False
    path = tmp_path / "report.pdf"
    write_pdf(path, case, evaluation, ReportContent(lang="en"))
    text = _text(path)
    assert "≥ 14.0 mm" in text
    assert "Not evaluable (NE)" in text


def test_timeline_positions_follow_the_days_and_part_same_day_studies():
    import datetime

    from reporting.timeline import time_fractions

    day = datetime.date
    # 0, 92 and 184 days: proportional to the time between studies
    assert time_fractions([day(2026, 1, 12), day(2026, 4, 14), day(2026, 7, 15)]) == [
        0.0,
        92 / 184,
        1.0,
    ]
    # two studies of one day spread across the axis instead of overprinting
    assert time_fractions([day(2015, 2, 6), day(2015, 2, 6)]) == [0.0, 1.0]
    # a repeat on the day of another study steps a little after it
    assert time_fractions([day(2026, 1, 1), day(2026, 1, 1), day(2026, 3, 1)]) == [
        0.0,
        0.12,
        1.0,
    ]
