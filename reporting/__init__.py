"""Writers and readers for the reading's outputs: DICOM SR, key object selection,
PDF report and the case file. Nothing in this package opens a window.
"""
