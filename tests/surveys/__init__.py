"""Tests of the report area (surveys): forms, campaigns, rounds, responses, totals, exports."""
