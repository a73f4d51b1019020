"""The county map of the home page: the atlas' geometry (geometry.py, us-atlas kept in atlas/),
the measures a county is coloured by (measures.py), their values per county (cells.py), the
classes and legend (classes.py), a view from the request (view.py) and the SVG (draw.py)."""
