"""Hanging: the newest study against the one before, series paired by likeness."""

from dataclasses import dataclass, field

from viewer.hanging import hang, pairing_score


@dataclass
class S:
    series_description: str
    modality: str = "CT"
    orientation: str = "AXIAL"
    body_part_examined: str = "CHEST"
    slice_thickness_mm: float | None = 2.5
    contrast: str = ""
    is_volume: bool = True
    n: int = 100

    @property
    def count(self):
        return self.n


@dataclass
class St:
    study_date: str
    series: list = field(default_factory=list)
    study_time: str = ""


def test_newest_is_current_and_the_one_before_is_the_comparison():
    studies = [
        St("20260112", [S("CHEST 2.5")]),
        St("20260414", [S("CHEST 2.5")]),
        St("20260715", [S("Scout", orientation="CORONAL", n=1), S("CHEST 2.5")]),
    ]
    hanging = hang(studies)
    assert hanging.current_study == 2 and hanging.current_series == 1
    assert hanging.comparison_study == 1 and hanging.comparison_series == 0


def test_baseline_can_be_chosen_as_comparison():
    studies = [
        St("20260112", [S("A")]),
        St("20260414", [S("A")]),
        St("20260715", [S("A")]),
    ]
    assert hang(studies, comparison=0).comparison_study == 0


def test_prior_series_paired_by_thickness_contrast_and_description():
    current = S("ABD PORTAL 2.5", contrast="IOHEXOL", slice_thickness_mm=2.5)
    prior_series = [
        S("ABD NATIVE 5.0", slice_thickness_mm=5.0),
        S("ABD PORTAL 2.5", contrast="IOHEXOL", slice_thickness_mm=2.5),
        S("ABD PORTAL 5.0", contrast="IOHEXOL", slice_thickness_mm=5.0),
        S("ABD PORTAL 2.5", modality="MR", contrast="GD"),
    ]
    studies = [St("20260101", prior_series), St("20260601", [current])]
    assert hang(studies).comparison_series == 1
    assert pairing_score(current, prior_series[1]) > pairing_score(
        current, prior_series[2]
    )


def test_a_localizer_is_never_hung_when_a_volume_exists():
    studies = [St("20260101", [S("Surview", is_volume=False, n=1), S("Brain")])]
    assert hang(studies).current_series == 1


def test_same_day_studies_hang_by_their_best_series_and_prior_date():
    # two visits, each with an axial study and a sagittal-only study the same day
    studies = [
        St("19040321", [S("ax 5 flip", modality="MR", n=2)]),
        St("19040321", [S("sag 3d gre +c", modality="MR", orientation="SAGITTAL")]),
        St("19040323", [S("ax 5 flip", modality="MR", n=2)]),
        St("19040323", [S("sag 3d gre +c", modality="MR", orientation="SAGITTAL")]),
    ]
    hanging = hang(studies)
    assert hanging.current_study == 2  # the axial study of the newest date
    assert hanging.comparison_study == 0  # the matching study of the visit before
