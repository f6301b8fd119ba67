"""Loaders: read the curated fact files, validate them, compile them to RDF and write stores."""
