"""Analyses of capDL specs: their authority closure, its explanations, conformance to a system."""
