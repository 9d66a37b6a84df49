"""runspine: re-analyses of the studies behind advice on running and low back pain.

The package is laid out by layer, in the order data flows through it; a layer imports only
layers above it in this list, and not all of them (the README's "Layout" table gives each
layer's set: notebook helpers never import studies, engine never imports studies or stats;
``tests/test_layers.py`` keeps it so):

- foundation: :mod:`runspine.project` (the project as a value: root, data, notebooks, reports), :mod:`runspine.data` (load and
  validate the Frictionless data package), :mod:`runspine.claims` (the claims and verdict
  rules), :mod:`runspine.parameters` (typed notebook parameters: one validation for the
  CLI and for the notebooks themselves)
- :mod:`runspine.stats`     statistics by family: pure functions on summary data
- :mod:`runspine.studies`   one module per study: the analysis its notebook shows
- :mod:`runspine.notebook`  what notebooks import: set-up, tables, figures, results
- :mod:`runspine.site`      reader HTML: reports, index and claims pages
- :mod:`runspine.engine`     plan and cache, execution, publishing, sweeps
- :mod:`runspine.cli`       the ``runspine`` command

Importing the package has no side effects.
"""

__version__ = "0.1.0"
