"""One module per page: home (the national picture and the map), explorer (search and
ranking), place (one jurisdiction's page, shown by the explorer), about (the publication)."""
