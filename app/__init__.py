"""The Qt main window, actions, settings and the command line."""
