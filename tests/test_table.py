def test_a_timepoint_nobody_has_read_shows_no_verdict():
    from measurement.model import ReadingState, Timepoint
    from measurement.reading import Reading
    from measurement.table import LesionTable

    state = ReadingState(
        patient_id="P",
        timepoints=(
            Timepoint("T0", "1.1", "2026-01-01", baseline=True),
            Timepoint("T1", "1.2", "2026-03-01"),
        ),
    )
    table = LesionTable(Reading(state))
    texts = [
        table.footer(row, column)
        for row in range(table.footer_count)
        for column in range(table.column_count)
    ]
    assert set(texts) == {""}
