"""Land and infrastructure planner for Chinese industrial parks (工业园区).

The planner keeps a park's parcels (宗地) with their supply status and their
七通一平 readiness in a GeoPackage, checks them against the rules of Chinese
land administration, and builds a realistic demo park. See ``README.md``.
"""

__version__ = "0.1.0"
