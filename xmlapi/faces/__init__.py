"""The faces of the catalog: each knows its wire format and its routes, nothing else."""
