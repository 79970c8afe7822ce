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
