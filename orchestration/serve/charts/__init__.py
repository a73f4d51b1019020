"""Server-drawn SVG charts on one base (base.py: the svg root, axes, legend keys, lines and the
data-status stamp inside every chart): the home page's charts (home.py) and the place page's
(place.py)."""
