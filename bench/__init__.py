"""The benchmark: simulated tablets and plenary screens against Tablée and a bare server."""
