"""Traceability: trace codes, box codes, scans, recalls."""
