"""Tests of the foundation: loaders, P1-P4 analyses, reports and the check command."""
