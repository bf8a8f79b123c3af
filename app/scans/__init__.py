"""Scans: every time a label or code is read, by whom, where and when."""
