"""Labels and the patient summary of the exported report, in English, German, Russian.

A small table rather than Qt's translation files: the report is written without a
window, and every string a reader or a patient sees on the report is here, so a
missing translation fails a test instead of showing English. Numbers and dates are
formatted by the report's renderer with the language's locale.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "de", "ru")

_LABELS: dict[str, tuple[str, str, str]] = {
    "title": (
        "Tumour response report",
        "Befundbericht Tumoransprechen",
        "Заключение об ответе опухоли",
    ),
    "patient": ("Patient", "Patient", "Пациент"),
    "patient_id": ("Patient ID", "Patienten-ID", "ID пациента"),
    "birth_date": ("Date of birth", "Geburtsdatum", "Дата рождения"),
    "studies": (
        "Studies compared",
        "Verglichene Untersuchungen",
        "Сравниваемые исследования",
    ),
    "timepoint": ("Timepoint", "Zeitpunkt", "Точка"),
    "date": ("Date", "Datum", "Дата"),
    "study": ("Study", "Untersuchung", "Исследование"),
    "baseline": ("baseline", "Ausgangsbefund", "исходное"),
    "method": ("Method", "Methode", "Метод"),
    "method_text": (
        "RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009)",
        "RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009)",
        "RECIST 1.1 (Eisenhauer и соавт., Eur J Cancer 2009)",
    ),
    "reader": ("Reader", "Befunder", "Врач"),
    "lesions": ("Lesions", "Läsionen", "Очаги"),
    "lesion": ("Lesion", "Läsion", "Очаг"),
    "kind": ("Type", "Art", "Тип"),
    "organ": ("Site", "Lokalisation", "Локализация"),
    "target": ("target", "Zielläsion", "таргетный"),
    "non-target": ("non-target", "Nicht-Zielläsion", "нетаргетный"),
    "new": ("new", "neu", "новый"),
    "node": ("lymph node", "Lymphknoten", "лимфоузел"),
    "sum": ("Sum of diameters", "Summe der Durchmesser", "Сумма диаметров"),
    "change_baseline": (
        "Change from baseline",
        "Änderung zum Ausgangsbefund",
        "Изменение от исходного",
    ),
    "change_nadir": ("Change from nadir", "Änderung zum Nadir", "Изменение от надира"),
    "nadir": ("Nadir", "Nadir", "Надир"),
    "responses": (
        "Response at each timepoint",
        "Ansprechen je Zeitpunkt",
        "Ответ в каждой точке",
    ),
    "target_response": ("Target lesions", "Zielläsionen", "Таргетные очаги"),
    "non_target_response": (
        "Non-target lesions",
        "Nicht-Zielläsionen",
        "Нетаргетные очаги",
    ),
    "new_lesions": ("New lesions", "Neue Läsionen", "Новые очаги"),
    "overall": ("Overall response", "Gesamtansprechen", "Общий ответ"),
    "best": ("Best overall response", "Bestes Gesamtansprechen", "Лучший общий ответ"),
    "margin": ("Margin", "Abstand zur Schwelle", "Запас до порога"),
    "yes": ("yes", "ja", "да"),
    "merged": ("merged (0 mm)", "verschmolzen (0 mm)", "слился (0 мм)"),
    "fragments": ("split", "geteilt", "разделился"),
    "seen_at": ("seen at", "gesehen bei", "отмечен в точке"),
    "confirmed_by": ("confirmed at", "bestätigt bei", "подтверждён в точке"),
    "no": ("no", "nein", "нет"),
    "timeline": (
        "Sum of diameters over time",
        "Summe der Durchmesser im Verlauf",
        "Сумма диаметров во времени",
    ),
    "pr_threshold": ("PR threshold (−30 %)", "PR-Schwelle (−30 %)", "Порог ЧО (−30 %)"),
    "pd_threshold": (
        "PD threshold (+20 %, +5 mm)",
        "PD-Schwelle (+20 %, +5 mm)",
        "Порог ПБ (+20 %, +5 мм)",
    ),
    "key_images": ("Key images", "Schlüsselbilder", "Ключевые изображения"),
    "findings": ("Findings", "Befund", "Описание"),
    "impression": ("Impression", "Beurteilung", "Заключение"),
    "summary": (
        "Summary for the patient",
        "Zusammenfassung für Patientinnen und Patienten",
        "Краткое пояснение для пациента",
    ),
    "page": ("Page", "Seite", "Стр."),
    "of": ("of", "von", "из"),
    "mm": ("mm", "mm", "мм"),
    "not_measured": ("not measured", "nicht gemessen", "не измерено"),
    "too-small": ("too small (5 mm)", "zu klein (5 mm)", "слишком мал (5 мм)"),
    "absent": ("absent", "nicht mehr sichtbar", "отсутствует"),
    "not-assessed": ("not assessed", "nicht beurteilt", "не оценён"),
    "present": ("present", "vorhanden", "присутствует"),
    "progression": ("progression", "Progression", "прогрессирование"),
    "equivocal": ("equivocal", "fraglich", "сомнительный"),
    "unequivocal": ("unequivocal", "eindeutig", "однозначный"),
    "none": ("none", "keine", "нет"),
    "sa": ("SA", "KA", "КО"),
    "sa_note": (
        "SA = short axis. Lymph nodes count with their short axis, other target "
        "lesions with their longest diameter (RECIST 1.1).",
        "KA = Kurzachse. Lymphknoten zählen mit ihrer Kurzachse, andere Zielläsionen "
        "mit ihrem längsten Durchmesser (RECIST 1.1).",
        "КО = короткая ось. Лимфоузлы учитываются по короткой оси, остальные "
        "таргетные очаги — по наибольшему диаметру (RECIST 1.1).",
    ),
    "overall_column": ("Overall", "Gesamt", "Общий"),
    "deidentified": (
        "De-identified for teaching",
        "Anonymisiert für die Lehre",
        "Обезличено для обучения",
    ),
}

_RESPONSES: dict[str, tuple[str, str, str]] = {
    "CR": ("Complete response (CR)", "Komplette Remission (CR)", "Полный ответ (ПО)"),
    "PR": ("Partial response (PR)", "Partielle Remission (PR)", "Частичный ответ (ЧО)"),
    "SD": ("Stable disease (SD)", "Stabile Erkrankung (SD)", "Стабилизация (СБ)"),
    "PD": (
        "Progressive disease (PD)",
        "Progrediente Erkrankung (PD)",
        "Прогрессирование (ПБ)",
    ),
    "NE": ("Not evaluable (NE)", "Nicht auswertbar (NE)", "Не оценимо (НО)"),
    "Non-CR/Non-PD": ("Non-CR/Non-PD", "Nicht-CR/Nicht-PD", "Не ПО/не ПБ"),
}

_SUMMARIES: dict[str, tuple[str, str, str]] = {
    "baseline": (
        "These are the first measurements of the tumour sites. Later scans will be "
        "compared with them to see how the disease responds to treatment.",
        "Dies sind die ersten Messungen der Tumorherde. Spätere Aufnahmen werden mit "
        "ihnen verglichen, um zu sehen, wie die Erkrankung auf die Behandlung "
        "anspricht.",
        "Это первые измерения очагов опухоли. С ними будут сравнивать последующие "
        "снимки, чтобы оценить ответ на лечение.",
    ),
    "CR": (
        "On the latest scan, none of the measured tumour sites can be seen any more. "
        "Your doctor will talk with you about what this means for your treatment.",
        "Auf der neuesten Aufnahme ist keiner der gemessenen Tumorherde mehr zu sehen. "
        "Ihre Ärztin oder Ihr Arzt bespricht mit Ihnen, was das für die Behandlung "
        "bedeutet.",
        "На последнем снимке ни один из измеренных очагов опухоли больше не виден. "
        "Лечащий врач обсудит с вами, что это значит для лечения.",
    ),
    "PR": (
        "The measured tumour sites have become clearly smaller than on the first "
        "scan (by at least 30 %). Your doctor will talk with you about what this "
        "means for your treatment.",
        "Die gemessenen Tumorherde sind deutlich kleiner geworden als auf der ersten "
        "Aufnahme (um mindestens 30 %). Ihre Ärztin oder Ihr Arzt bespricht mit Ihnen, "
        "was das für die Behandlung bedeutet.",
        "Измеренные очаги опухоли заметно уменьшились по сравнению с первым снимком "
        "(не менее чем на 30 %). Лечащий врач обсудит с вами, что это значит для "
        "лечения.",
    ),
    "SD": (
        "The measured tumour sites have stayed about the same size. Your doctor will "
        "talk with you about what this means for your treatment.",
        "Die gemessenen Tumorherde sind etwa gleich groß geblieben. Ihre Ärztin oder "
        "Ihr Arzt bespricht mit Ihnen, was das für die Behandlung bedeutet.",
        "Размер измеренных очагов опухоли существенно не изменился. Лечащий врач "
        "обсудит с вами, что это значит для лечения.",
    ),
    "PD": (
        "The measured tumour sites have grown since their smallest size, or new ones "
        "have appeared. Your doctor will talk with you about what this means for your "
        "treatment.",
        "Die gemessenen Tumorherde sind seit ihrer kleinsten Größe gewachsen, oder es "
        "sind neue hinzugekommen. Ihre Ärztin oder Ihr Arzt bespricht mit Ihnen, was "
        "das für die Behandlung bedeutet.",
        "Измеренные очаги опухоли увеличились по сравнению с их наименьшим размером, "
        "или появились новые. Лечащий врач обсудит с вами, что это значит для лечения.",
    ),
    "NE": (
        "Not all tumour sites could be assessed on the latest scan, so no statement "
        "about the course can be made yet. Your doctor will talk with you about the "
        "next steps.",
        "Auf der neuesten Aufnahme konnten nicht alle Tumorherde beurteilt werden; "
        "eine Aussage zum Verlauf ist daher noch nicht möglich. Ihre Ärztin oder Ihr "
        "Arzt bespricht mit Ihnen das weitere Vorgehen.",
        "На последнем снимке оценить все очаги опухоли не удалось, поэтому о динамике "
        "пока судить нельзя. Лечащий врач обсудит с вами дальнейшие шаги.",
    ),
    "Non-CR/Non-PD": (
        "The tumour sites are still visible but have not clearly grown. Your doctor "
        "will talk with you about what this means for your treatment.",
        "Die Tumorherde sind noch sichtbar, aber nicht eindeutig gewachsen. Ihre "
        "Ärztin oder Ihr Arzt bespricht mit Ihnen, was das für die Behandlung "
        "bedeutet.",
        "Очаги опухоли всё ещё видны, но явно не увеличились. Лечащий врач обсудит с "
        "вами, что это значит для лечения.",
    ),
}


_ORGANS: dict[str, tuple[str, str]] = {
    "liver": ("Leber", "печень"),
    "lung": ("Lunge", "лёгкое"),
    "bone": ("Knochen", "кость"),
    "brain": ("Gehirn", "головной мозг"),
    "adrenal gland": ("Nebenniere", "надпочечник"),
    "kidney": ("Niere", "почка"),
    "spleen": ("Milz", "селезёнка"),
    "pancreas": ("Pankreas", "поджелудочная железа"),
    "peritoneum": ("Peritoneum", "брюшина"),
    "pleura": ("Pleura", "плевра"),
    "mediastinum": ("Mediastinum", "средостение"),
    "mediastinal node": ("mediastinaler Lymphknoten", "лимфоузел средостения"),
    "abdominal node": ("abdomineller Lymphknoten", "абдоминальный лимфоузел"),
    "pelvic node": ("pelviner Lymphknoten", "тазовый лимфоузел"),
    "cervical node": ("zervikaler Lymphknoten", "шейный лимфоузел"),
    "lymph node": ("Lymphknoten", "лимфоузел"),
}


def organ(text: str, lang: str) -> str:
    """A lesion site in the report's language where it is a known one."""
    known = _ORGANS.get(text.strip().lower())
    if known is None or _index(lang) == 0:
        return text
    return known[_index(lang) - 1]


def _index(lang: str) -> int:
    if lang not in LANGUAGES:
        raise ValueError(
            f"language {lang!r} is not available; choose one of {', '.join(LANGUAGES)}"
        )
    return LANGUAGES.index(lang)


def label(key: str, lang: str) -> str:
    """The label ``key`` in language ``lang``."""
    return _LABELS[key][_index(lang)]


def response(code: str | None, lang: str) -> str:
    """The full name of a RECIST response code (CR, PR, SD, PD, NE, Non-CR/Non-PD)."""
    if not code:
        return "–"
    names = _RESPONSES.get(code)
    return names[_index(lang)] if names else code


_SHORT_RU = {"CR": "ПО", "PR": "ЧО", "SD": "СБ", "PD": "ПБ", "NE": "НО"}


def response_short(code: str | None, lang: str) -> str:
    """The abbreviation of a response code (Russian uses its own)."""
    if not code:
        return "–"
    _index(lang)
    return _SHORT_RU.get(code, code) if lang == "ru" else code


_MARGINS: dict[str, tuple[str, str, str]] = {
    "grow": (
        "{to} if the sum grows {mm} more",
        "{to}, wenn die Summe um weitere {mm} wächst",
        "{to}, если сумма вырастет ещё на {mm}",
    ),
    "grow_leaving": (
        "{to} if the sum grows by more than {mm}",
        "{to}, wenn die Summe um mehr als {mm} wächst",
        "{to}, если сумма вырастет более чем на {mm}",
    ),
    "shrink": (
        "{to} if it shrinks {mm} more",
        "{to}, wenn sie um weitere {mm} abnimmt",
        "{to}, если сумма уменьшится ещё на {mm}",
    ),
    "shrink_leaving": (
        "{to} if it shrinks by more than {mm}",
        "{to}, wenn sie um mehr als {mm} abnimmt",
        "{to}, если сумма уменьшится более чем на {mm}",
    ),
    "none": (
        "no change of the sum alone changes it",
        "keine Änderung der Summe allein ändert es",
        "одно лишь изменение суммы его не меняет",
    ),
}


def margin_text(key: str, lang: str, to: str = "", mm: str = "") -> str:
    """A sentence saying how far a response is from changing (see the engine)."""
    return _MARGINS[key][_index(lang)].format(to=to, mm=mm)


def patient_summary(overall: str | None, lang: str) -> str:
    """A short plain-language summary of the latest overall response
    (``"baseline"`` for a reading with no follow-up yet)."""
    texts = _SUMMARIES.get(overall or "NE", _SUMMARIES["NE"])
    return texts[_index(lang)]


def labels(lang: str) -> Mapping[str, str]:
    """Every label in one language (for a check that none is missing)."""
    i = _index(lang)
    return {key: values[i] for key, values in _LABELS.items()}
