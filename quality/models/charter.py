"""The village charter: bad-egg reports, clauses, penalties, appeals, notice board."""
