"""SPARQL read queries of the embedded store (see graph/sparql/queries.py)."""
