"""Tests of the intranet: accounts, administration, the directory, notices, notifications."""
