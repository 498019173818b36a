"""Everything that knows XML: the safe parser, XSD checks, renderers, error documents."""
