"""`make bench`: every measurement in bench/."""

from bench import cold_start

cold_start.main()
