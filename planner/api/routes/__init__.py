"""The API's routes, one router per resource; :func:`planner.api.app.create_app` includes them all.

- :mod:`~planner.api.routes.parcels`: ``/parcels`` (query, one parcel, edit, history);
- :mod:`~planner.api.routes.idle`: ``/idle``; :mod:`~planner.api.routes.stats`: ``/stats``;
- :mod:`~planner.api.routes.infra`: ``/infra/sources`` and ``/infra/{network}``;
- :mod:`~planner.api.routes.siting`: ``/siting/match`` and ``/siting/assign``;
- :mod:`~planner.api.routes.export`: ``/export/{fmt}``; :mod:`~planner.api.routes.tiles`: ``/tiles/…``;
- :mod:`~planner.api.routes.search`: ``/search`` (parcels by code, holder, name; roads by name);
- :mod:`~planner.api.routes.page`: the map at ``/`` and ``/health``.
"""
