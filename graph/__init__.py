"""Graph stores: the embedded RDF store and Neo4j, behind one interface, and the mapping between them."""
