"""The app's screens: the main screen and its modals."""
