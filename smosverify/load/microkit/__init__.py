"""Microkit SDFs: positioned XML, the layout, its checks, and the labels that make it a system."""
