"""The app's widgets: the profile tree, the chain view, the sessions pane."""
