"""Article data of the demo news site (package so the files ship with the wheel)."""
