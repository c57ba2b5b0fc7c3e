"""The national register (RNCP open data): fiches read in, searched, compared with ours."""
