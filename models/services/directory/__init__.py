"""The directory: areas, workers, persons, care teams; invites, links, delegation, leaving."""
