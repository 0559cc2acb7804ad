"""`make bench`: every measurement in bench/ (cold start, then round trips and cost)."""

from bench import cold_start, round_trips

cold_start.main()
round_trips.main()
