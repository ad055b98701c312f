"""Notices: circulars sent down from the association to its member societies."""
