"""Works and build-out plans: which works to build first so that the most land becomes 熟地 (变生地为熟地).

- :mod:`~planner.buildout.costs`: unit costs (``data/unit_costs.csv``, overridable per park);
- :mod:`~planner.buildout.works`: works — planned lines, source upgrades, leveling — and their costs;
- :mod:`~planner.buildout.candidates`: candidate extensions along the roads where none are drawn;
- :mod:`~planner.buildout.scenario`: readiness as if some works were built, by the same network model;
- :mod:`~planner.buildout.model`: what each target parcel needs of the works, read off the network model;
- :mod:`~planner.buildout.solve`: the choice under a budget, exact (MILP, HiGHS) or greedy with its bound;
- :mod:`~planner.buildout.plan`: the plan — works in order, by year and quarter, verified on the model.
"""
