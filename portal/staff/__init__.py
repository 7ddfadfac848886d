"""The staff overview: where work is waiting, across review routing and cohorts."""
