"""The study browser on the real Philips disc, whose DICOMDIR names missing files."""


def test_missing_disc_files_are_grouped_per_folder_in_the_browser(qtbot, shared_data):
    from app.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.open_paths([shared_data / "philips_ct_phantom_2studies_cd"])
    tree = window.browser
    problems = tree.topLevelItem(tree.topLevelItemCount() - 1)
    groups = {
        problems.child(i).text(0).rsplit("/", 2)[-1]: int(problems.child(i).text(1))
        for i in range(problems.childCount())
        if problems.child(i).childCount()
    }
    # SOURCES.md: S2020 and S2030 (140 slices each) and S3010 (58) were left out;
    # each count includes the series' missing DIRFILE
    assert groups["S2020"] == 141 and groups["S2030"] == 141 and groups["S3010"] == 59


def test_same_day_studies_are_timepoints_in_time_order_with_their_own_thickness(
    qtbot, shared_data
):
    from app.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.open_paths([shared_data / "philips_ct_phantom_2studies_cd"])
    timepoints = window.reading_session.reading.state.timepoints
    # study A at 09:28 (5 mm STD BRAIN) before study B at 09:34 (2.5 mm, tilted);
    # the thickness is the measured series', not the 0.625 mm surview's
    assert [(t.date, t.slice_thickness_mm) for t in timepoints] == [
        ("2015-02-06", 5.0),
        ("2015-02-06", 2.5),
    ]
    assert timepoints[0].baseline
    current = window.viewports[0].volume
    assert current.info.study_instance_uid == timepoints[1].study_uid


def test_a_same_day_comparison_is_named_by_its_time(qtbot, shared_data):
    from app.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.open_paths([shared_data / "philips_ct_phantom_2studies_cd"])
    box = window.comparison_box
    assert [box.itemText(i) for i in range(box.count())] == [
        "2015-02-06 09:28 (same day)"
    ]


def test_a_third_party_report_says_what_the_table_cannot_hold(qtbot, shared_data):
    from app.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.open_paths([shared_data / "qiicr_sr_tid1500_seg_example"])
    message = window.statusBar().currentMessage()
    assert message.startswith("Reading opened from sr.dcm; 22 measurements")
    assert "primary tumor: SUVbw" in message
    assert [x.id for x in window.reading_session.reading.state.lesions]
