"""capDL specs: the text and dump dialects, JSON specs, their checks, and mapping files."""
