"""The situational picture ("tilannekuva"): figures of every service per area and month."""
